//! Media transfer speed of a wasndr client through the in-process simulator's media host.
//!
//! One `Client` over a memory store, paired to a virtual phone, in one process with the simulator
//! (multi-threaded runtime). For each file size: `upload_media` (fresh media key, AES-256-CBC + HMAC,
//! POST over loopback HTTP) then `download_media` (GET, SHA-256 of the body, MAC check, decrypt,
//! SHA-256 of the plaintext), each repeated and timed separately; the downloaded bytes are compared
//! with the original every time.
//!
//! Anchor, in the same run: the pure crypto alone (`media::encrypt`, then `media::decrypt` with its
//! checks) over the same sizes on one thread, no network.
//!
//! Every figure is the best of `REPEATS` runs, so that a burst of other load on a shared machine
//! (which only ever slows a run down) does not decide it.
//!
//! Run: `cargo bench -p wasndr-sim --bench client_media`.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "../wasndr-sim/tests/wasndr_client/mod.rs"]
mod wasndr_client;

use std::time::Instant;

use wasndr_core::media::{self, MediaType};
use wasndr_core::message::{MediaDetails, attachment, media_message};

const SIZES: [(usize, usize); 3] = [(64 * 1024, 50), (1024 * 1024, 20), (16 * 1024 * 1024, 4)];
const REPEATS: usize = 3;

fn best(values: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
    values.fold((0.0, 0.0), |(a, b), (x, y)| (a.max(x), b.max(y)))
}

fn sample(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[2])
        .collect()
}

fn mib_per_s(bytes: usize, rounds: usize, seconds: f64) -> f64 {
    (bytes * rounds) as f64 / (1024.0 * 1024.0) / seconds
}

/// Pure encrypt and decrypt throughput, MiB/s.
fn anchor(data: &[u8], rounds: usize) -> (f64, f64) {
    let key = [7u8; 32];
    let start = Instant::now();
    let mut encrypted = None;
    for _ in 0..rounds {
        encrypted = Some(std::hint::black_box(media::encrypt(
            &key,
            MediaType::Document,
            data,
        )));
    }
    let encrypt = mib_per_s(data.len(), rounds, start.elapsed().as_secs_f64());
    let encrypted = encrypted.unwrap();
    let start = Instant::now();
    for _ in 0..rounds {
        let plain = media::decrypt(
            &key,
            MediaType::Document,
            &encrypted.body,
            &encrypted.hashes.file_enc_sha256,
            &encrypted.hashes.file_sha256,
        )
        .unwrap();
        std::hint::black_box(plain);
    }
    (
        encrypt,
        mib_per_s(data.len(), rounds, start.elapsed().as_secs_f64()),
    )
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let sim = runtime.block_on(wasndr_client::simulator());
    runtime.block_on(sim.create_phone("15550300001")).unwrap();
    let (client, _events, _) = runtime.block_on(wasndr_client::pair_by_qr(
        &sim,
        "15550300001",
        wasndr_client::memory_store(),
    ));
    println!("client_media: upload_media / download_media through the in-process simulator (loopback HTTP)");
    for (size, rounds) in SIZES {
        let data = sample(size);
        let (upload, download) = best((0..REPEATS).map(|_| {
            runtime.block_on(async {
                // Warm-up: the media_conn grant is fetched and cached.
                client.upload_media(&data, MediaType::Document).await.unwrap();
                let start = Instant::now();
                let mut uploads = Vec::with_capacity(rounds);
                for _ in 0..rounds {
                    uploads.push(client.upload_media(&data, MediaType::Document).await.unwrap());
                }
                let upload = mib_per_s(size, rounds, start.elapsed().as_secs_f64());
                let details = MediaDetails {
                    mimetype: "application/octet-stream".into(),
                    ..MediaDetails::default()
                };
                let infos: Vec<_> = uploads
                    .iter()
                    .map(|uploaded| {
                        let message = media_message(MediaType::Document, &details, uploaded).unwrap();
                        attachment(&message).unwrap().to_media_info()
                    })
                    .collect();
                let start = Instant::now();
                for info in &infos {
                    let bytes = client.download_media(info).await.unwrap();
                    assert!(bytes == data, "downloaded bytes differ");
                }
                (upload, mib_per_s(size, rounds, start.elapsed().as_secs_f64()))
            })
        }));
        let (encrypt, decrypt) = best((0..REPEATS).map(|_| anchor(&data, rounds)));
        println!(
            "  {:>6} KiB x{rounds:<3} upload {upload:>7.1} MiB/s (anchor encrypt {encrypt:>7.1}, ratio {:.2})   \
             download {download:>7.1} MiB/s (anchor decrypt {decrypt:>7.1}, ratio {:.2})",
            size / 1024,
            upload / encrypt,
            download / decrypt,
        );
    }
    runtime.block_on(client.disconnect());
}
