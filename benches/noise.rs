//! The Noise wire layer's hot paths: transport frame encryption and decryption (the per-stanza cost of a
//! connection), the frame decoder over coalesced and split messages, and one full handshake.

// A bench is a test harness: an error here is a broken bench, so unwrap.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::crypto::KeyPair;
use wasndr_core::noise::{
    CertificateAuthority, CertificateParams, FrameDecoder, Initiator, RecvCipher, Responder, SendCipher,
    encode_frame,
};

const NOW: u64 = 1_760_000_000;

fn transport(c: &mut Criterion) {
    let mut group = c.benchmark_group("transport");
    for size in [64usize, 1024, 64 * 1024] {
        let plaintext = vec![0x42u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(
            BenchmarkId::new("encrypt_frame", size),
            &plaintext,
            |b, plaintext| {
                let mut send = SendCipher::new(&[1; 32]);
                let mut out = Vec::with_capacity(size + 32);
                b.iter(|| {
                    out.clear();
                    send.encrypt_frame(black_box(plaintext), &mut out).unwrap();
                });
            },
        );
        // Decrypting needs frames under consecutive counters: encrypt a batch up front, then decrypt it
        // with a fresh receiver per batch.
        let mut send = SendCipher::new(&[1; 32]);
        let frames: Vec<Vec<u8>> = (0..64)
            .map(|_| {
                let mut out = Vec::new();
                send.encrypt_frame(&plaintext, &mut out).unwrap();
                out.split_off(3)
            })
            .collect();
        group.throughput(Throughput::Bytes((size * frames.len()) as u64));
        group.bench_with_input(
            BenchmarkId::new("decrypt_frame_x64", size),
            &frames,
            |b, frames| {
                let mut out = Vec::with_capacity(size);
                b.iter(|| {
                    let mut recv = RecvCipher::new(&[1; 32]);
                    for frame in frames {
                        recv.decrypt_frame(black_box(frame), &mut out).unwrap();
                    }
                });
            },
        );
    }
    group.finish();
}

fn frame_decoder(c: &mut Criterion) {
    let mut stream = Vec::new();
    for i in 0..256usize {
        encode_frame(&vec![i as u8; 16 + (i * 37) % 900], &mut stream).unwrap();
    }
    let mut group = c.benchmark_group("frame_decoder");
    group.throughput(Throughput::Bytes(stream.len() as u64));
    for message_size in [usize::MAX, 4096, 100] {
        let label = if message_size == usize::MAX {
            "one_message".to_owned()
        } else {
            format!("{message_size}B_messages")
        };
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut decoder = FrameDecoder::new();
                let mut total = 0usize;
                for message in stream.chunks(message_size.min(stream.len())) {
                    let mut frames = decoder.decode(black_box(message));
                    while let Some(frame) = frames.next_frame() {
                        total += frame.len();
                    }
                }
                total
            });
        });
    }
    group.finish();
}

fn handshake(c: &mut Criterion) {
    let mut rng = StdRng::seed_from_u64(1);
    let authority = CertificateAuthority::generate(&mut rng);
    let intermediate = KeyPair::generate(&mut rng);
    let server_static = KeyPair::generate(&mut rng);
    let window = |serial| CertificateParams {
        serial,
        not_before: NOW - 1,
        not_after: NOW + 1,
    };
    let chain = authority.issue_chain(
        &intermediate,
        window(1),
        &server_static.public,
        window(2),
        &mut rng,
    );
    let client_static = KeyPair::generate(&mut rng);
    c.bench_function("handshake/initiator+responder", |b| {
        b.iter(|| {
            let (client, first) =
                Initiator::new(client_static.clone(), authority.trust_root()).start(&mut rng);
            let responder = Responder::new(server_static.clone(), chain.clone());
            let (responder, hello) = responder.read_client_hello(&first[7..], &mut rng).unwrap();
            let client = client.read_server_hello(&hello[3..], NOW).unwrap();
            let (_, finish) = client.write_client_finish(b"payload").unwrap();
            responder.read_client_finish(&finish[3..]).unwrap()
        });
    });
}

criterion_group!(benches, transport, frame_decoder, handshake);
criterion_main!(benches);
