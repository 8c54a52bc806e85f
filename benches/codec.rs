//! Binary node codec throughput over the `testdata/vectors/binary-node.json` corpus, in MB/s of wire
//! bytes (decimal megabytes, flags byte included).
//!
//! The corpus is every case with a full `hex` (72 of 74; the two multi-megabyte blobs would make the
//! figure a memcpy benchmark). Each iteration encodes every node, or decodes every payload, once, with
//! fresh output allocations as a caller would get them; nothing is cached between iterations.
//!
//! `benches/node/codec-baileys.mjs` measures Baileys on the same corpus; compare figures from the same
//! machine and run. `cargo bench -p wasndr-core --bench codec`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use wasndr_core::binary::{self, Node};

fn corpus_payloads() -> Vec<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/vectors/binary-node.json"
    );
    let text = std::fs::read_to_string(path).expect("corpus file");
    let json: serde_json::Value = serde_json::from_str(&text).expect("corpus JSON");
    let cases = json["cases"].as_array().expect("cases");
    cases
        .iter()
        .filter_map(|case| case["hex"].as_str())
        .map(|hex_payload| hex::decode(hex_payload).expect("hex"))
        .collect()
}

fn codec(c: &mut Criterion) {
    let payloads = corpus_payloads();
    assert_eq!(payloads.len(), 72);
    // The nodes to encode are the decoded corpus: typed JIDs where the wire had JID tags.
    let nodes: Vec<Node> = payloads
        .iter()
        .map(|p| binary::decode_owned(p).expect("corpus decodes"))
        .collect();
    let encoded_bytes: usize = nodes
        .iter()
        .map(|node| binary::encode(node).expect("encodes").len())
        .sum();
    let wire_bytes: usize = payloads.iter().map(Vec::len).sum();

    let mut group = c.benchmark_group("corpus");
    group.throughput(Throughput::BytesDecimal(encoded_bytes as u64));
    group.bench_function("encode", |b| {
        b.iter(|| {
            for node in &nodes {
                black_box(binary::encode(black_box(node)).expect("encodes"));
            }
        })
    });
    group.bench_function("encode_into_reused_buffer", |b| {
        let mut out = Vec::with_capacity(8192);
        b.iter(|| {
            for node in &nodes {
                out.clear();
                binary::encode_into(black_box(node), &mut out).expect("encodes");
                black_box(&out);
            }
        })
    });

    group.throughput(Throughput::BytesDecimal(wire_bytes as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            for payload in &payloads {
                let body = binary::unpack(black_box(payload)).expect("unpacks");
                let tree = binary::decode_node(&body).expect("decodes");
                black_box(&tree);
            }
        })
    });
    group.bench_function("decode_to_owned", |b| {
        b.iter(|| {
            for payload in &payloads {
                black_box(binary::decode_owned(black_box(payload)).expect("decodes"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
