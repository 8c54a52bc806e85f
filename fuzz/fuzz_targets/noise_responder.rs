//! The server side of the handshake on arbitrary client bytes: connection header, then a ClientHello
//! frame, a ClientFinish frame and any transport frames, all from the input. The server's keys,
//! certificate chain and ephemeral key come from a fixed seed, so a crash reproduces exactly. Nothing
//! may panic; every refusal must be an error.

#![no_main]

use std::convert::Infallible;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wasndr_core::crypto::KeyPair;
use wasndr_core::noise::{
    CertificateAuthority, CertificateParams, ClientHeaderReader, FrameDecoder, Responder,
};
use wasndr_core::rand_core::{TryCryptoRng, TryRng};

/// SplitMix64: deterministic, which is all a fuzz target needs.
struct FixedRng(u64);

impl TryRng for FixedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedRng {}

/// The server's static key and certificate chain, made once from seed 1.
fn server() -> &'static (KeyPair, Vec<u8>) {
    static SERVER: OnceLock<(KeyPair, Vec<u8>)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut rng = FixedRng(1);
        let authority = CertificateAuthority::generate(&mut rng);
        let intermediate = KeyPair::generate(&mut rng);
        let static_key = KeyPair::generate(&mut rng);
        let window = |serial| CertificateParams {
            serial,
            not_before: 0,
            not_after: u64::MAX,
        };
        let chain = authority.issue_chain(&intermediate, window(1), &static_key.public, window(2), &mut rng);
        (static_key, chain)
    })
}

fuzz_target!(|data: &[u8]| {
    let (static_key, chain) = server();
    let mut header = ClientHeaderReader::new();
    let Ok(Some(used)) = header.read(data) else {
        return;
    };
    let mut decoder = FrameDecoder::new();
    let mut frames = decoder.decode(&data[used..]);

    let Some(hello) = frames.next_frame() else {
        return;
    };
    let mut rng = FixedRng(2);
    let responder = Responder::new(static_key.clone(), chain.clone());
    let Ok((responder, server_hello)) = responder.read_client_hello(hello, &mut rng) else {
        return;
    };
    assert!(server_hello.len() > 3);

    let Some(finish) = frames.next_frame() else {
        return;
    };
    let Ok(finished) = responder.read_client_finish(finish) else {
        return;
    };
    let mut transport = finished.transport;
    let mut plaintext = Vec::new();
    while let Some(frame) = frames.next_frame() {
        if transport.recv.decrypt_frame(frame, &mut plaintext).is_err() {
            return;
        }
    }
});
