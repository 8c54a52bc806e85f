//! The Noise wire layer end to end: our initiator against our responder with a real certificate chain,
//! through the header reader and frame decoder, then transport frames both ways; the handshake
//! re-derived step by step from the primitives (transport guide A.4 table) as a known-answer check; and
//! the rejections a peer can provoke.

// Helpers outside `#[test]` functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::Error;
use wasndr_core::crypto::{
    KeyPair, PrivateKey, PublicKey, aes256_gcm_decrypt, aes256_gcm_encrypt, hkdf_sha256, sha256_parts,
};
use wasndr_core::noise::{
    CertRole, CertificateAuthority, CertificateParams, ClientHeaderReader, FrameDecoder,
    HandshakeMessageKind, Initiator, InitiatorAwaitingServerHello, Responder, ResponderAwaitingClientFinish,
    Transport, TrustRoot,
};
use wasndr_core::rand_core::{TryCryptoRng, TryRng};
use wasndr_proto::Message;
use wasndr_proto::handshake::HandshakeMessage;

const NOW: u64 = 1_760_000_000;
const CLIENT_PAYLOAD: &[u8] = b"\x18\x01 a serialized ClientPayload stands here";

/// An RNG that remembers what it handed out, so a test can recover the ephemeral private keys the
/// handshake drew (a key is 32 drawn bytes, clamped).
struct RecordingRng {
    inner: StdRng,
    drawn: Vec<u8>,
}

impl RecordingRng {
    fn new(seed: u64) -> Self {
        Self {
            inner: StdRng::seed_from_u64(seed),
            drawn: Vec::new(),
        }
    }

    fn key_at(&self, offset: usize) -> PrivateKey {
        PrivateKey::from_slice(&self.drawn[offset..offset + 32]).unwrap()
    }
}

impl TryRng for RecordingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.try_fill_bytes(dst)?;
        self.drawn.extend_from_slice(dst);
        Ok(())
    }
}

impl TryCryptoRng for RecordingRng {}

/// A simulator-style server: its own root, an intermediate, and a static key certified by the chain.
struct Server {
    authority: CertificateAuthority,
    static_key: KeyPair,
    chain: Vec<u8>,
}

fn window(serial: u32) -> CertificateParams {
    CertificateParams {
        serial,
        not_before: NOW - 86_400,
        not_after: NOW + 86_400,
    }
}

fn server(rng: &mut StdRng) -> Server {
    let authority = CertificateAuthority::generate(rng);
    let intermediate = KeyPair::generate(rng);
    let static_key = KeyPair::generate(rng);
    let chain = authority.issue_chain(&intermediate, window(1), &static_key.public, window(2), rng);
    Server {
        authority,
        static_key,
        chain,
    }
}

/// Every frame payload `message` completes.
fn frames(decoder: &mut FrameDecoder, message: &[u8]) -> Vec<Vec<u8>> {
    let mut frames = decoder.decode(message);
    let mut out = Vec::new();
    while let Some(frame) = frames.next_frame() {
        out.push(frame.to_vec());
    }
    out
}

/// The payload of a message that is exactly one frame.
fn single_frame(message: &[u8]) -> Vec<u8> {
    let mut decoder = FrameDecoder::new();
    let mut all = frames(&mut decoder, message);
    assert_eq!(all.len(), 1);
    assert_eq!(decoder.buffered_len(), 0);
    all.remove(0)
}

fn trust(server: &Server) -> TrustRoot {
    server.authority.trust_root()
}

/// Runs the client's first step and the server's answer; returns both states and the ServerHello
/// payload.
fn through_server_hello(
    server: &Server,
    client_static: KeyPair,
    trust_root: TrustRoot,
    rng: &mut StdRng,
) -> (
    InitiatorAwaitingServerHello,
    ResponderAwaitingClientFinish,
    Vec<u8>,
) {
    let (client, first) = Initiator::new(client_static, trust_root).start(rng);
    let mut header = ClientHeaderReader::new();
    let used = header.read(&first).unwrap().unwrap();
    let hello = single_frame(&first[used..]);
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (responder, server_hello) = responder.read_client_hello(&hello, rng).unwrap();
    (client, responder, single_frame(&server_hello))
}

#[test]
fn handshake_then_transport_both_ways() {
    let mut rng = StdRng::seed_from_u64(1);
    let server = server(&mut rng);
    let client_static = KeyPair::generate(&mut rng);

    // Client → server: header and ClientHello in one WebSocket message.
    let (client, first_message) = Initiator::new(client_static.clone(), trust(&server)).start(&mut rng);
    let mut header = ClientHeaderReader::new();
    let mut server_frames = FrameDecoder::new();
    let used = header.read(&first_message).unwrap().unwrap();
    assert_eq!(used, 4);
    let hello = frames(&mut server_frames, &first_message[used..]);
    assert_eq!(hello.len(), 1);

    // Server → client: ServerHello.
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (responder, server_hello) = responder.read_client_hello(&hello[0], &mut rng).unwrap();
    let mut client_frames = FrameDecoder::new();
    let server_hello = frames(&mut client_frames, &server_hello);
    let client = client.read_server_hello(&server_hello[0], NOW).unwrap();
    assert_eq!(client.server_static(), &server.static_key.public);
    assert_eq!(client.certificates().leaf.serial(), 2);
    assert_eq!(client.certificates().leaf.issuer_serial(), 1);

    // Client → server: ClientFinish, followed in the same WebSocket message by the first transport
    // frame, as a client that writes eagerly would send it.
    let (client_transport, mut finish_message) = client.write_client_finish(CLIENT_PAYLOAD).unwrap();
    let Transport {
        send: mut client_send,
        recv: mut client_recv,
    } = client_transport;
    client_send
        .encrypt_frame(b"first stanza", &mut finish_message)
        .unwrap();
    let mut received = frames(&mut server_frames, &finish_message).into_iter();
    let finished = responder.read_client_finish(&received.next().unwrap()).unwrap();
    assert_eq!(finished.client_static, client_static.public);
    assert_eq!(finished.client_payload, CLIENT_PAYLOAD);
    let (mut server_send, mut server_recv) = finished.transport.into_split();
    let mut plaintext = Vec::new();
    server_recv
        .decrypt_frame(&received.next().unwrap(), &mut plaintext)
        .unwrap();
    assert_eq!(plaintext, b"first stanza");
    assert!(received.next().is_none());

    // Many frames each way, coalesced into one message and then split at awkward places.
    let mut down = Vec::new();
    for i in 0..50u32 {
        server_send
            .encrypt_frame(&i.to_be_bytes().repeat(i as usize), &mut down)
            .unwrap();
    }
    let mut got = Vec::new();
    for piece in down.chunks(37) {
        for payload in frames(&mut client_frames, piece) {
            let mut payload = payload;
            got.push(client_recv.decrypt_frame_in_place(&mut payload).unwrap().to_vec());
        }
    }
    let expected: Vec<Vec<u8>> = (0..50u32).map(|i| i.to_be_bytes().repeat(i as usize)).collect();
    assert_eq!(got, expected);

    let mut up = Vec::new();
    for i in 0..20u8 {
        client_send.encrypt_frame(&[i; 100], &mut up).unwrap();
    }
    let mut count = 0;
    for payload in frames(&mut server_frames, &up) {
        server_recv.decrypt_frame(&payload, &mut plaintext).unwrap();
        assert_eq!(plaintext, [count; 100]);
        count += 1;
    }
    assert_eq!(count, 20);
    assert_eq!(client_send.frames_sent(), 21);
    assert_eq!(server_recv.frames_received(), 21);
    assert_eq!(server_send.frames_sent(), 50);
    assert_eq!(client_recv.frames_received(), 50);
}

#[test]
fn wire_shapes_match_the_guide() {
    let mut rng = StdRng::seed_from_u64(2);
    let server = server(&mut rng);
    let (client, first) = Initiator::new(KeyPair::generate(&mut rng), trust(&server)).start(&mut rng);

    // 57 41 06 03 | 00 00 24 | 12 22 0A 20 <32-byte ephemeral>
    assert_eq!(first.len(), 4 + 3 + 36);
    assert_eq!(
        &first[..11],
        &[0x57, 0x41, 0x06, 0x03, 0x00, 0x00, 0x24, 0x12, 0x22, 0x0a, 0x20]
    );

    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (responder, server_hello) = responder.read_client_hello(&first[7..], &mut rng).unwrap();
    // ServerHello: 1A <len> 0A 20 <e_s> 12 30 <48 bytes> 1A <len> <cert ciphertext = chain + 16>.
    let payload = single_frame(&server_hello);
    let body = skip_tag_and_len(&payload, 0x1a);
    assert_eq!(&body[..2], &[0x0a, 0x20]);
    assert_eq!(&body[34..36], &[0x12, 0x30]);
    let cert = skip_tag_and_len(&body[84..], 0x1a);
    assert_eq!(cert.len(), server.chain.len() + 16);

    let client = client.read_server_hello(&payload, NOW).unwrap();
    let (_, finish) = client.write_client_finish(CLIENT_PAYLOAD).unwrap();
    // ClientFinish: 22 <len> 0A 30 <48 bytes> 12 <len> <payload ciphertext = payload + 16>.
    let payload = single_frame(&finish);
    let body = skip_tag_and_len(&payload, 0x22);
    assert_eq!(&body[..2], &[0x0a, 0x30]);
    let sealed_payload = skip_tag_and_len(&body[50..], 0x12);
    assert_eq!(sealed_payload.len(), CLIENT_PAYLOAD.len() + 16);
    responder.read_client_finish(&payload).unwrap();
}

/// Checks that `bytes` is `tag` followed by a one-or-two-byte varint length covering the rest, and
/// returns the rest.
fn skip_tag_and_len(bytes: &[u8], tag: u8) -> &[u8] {
    assert_eq!(bytes[0], tag);
    let (len, used) = if bytes[1] < 0x80 {
        (bytes[1] as usize, 2)
    } else {
        ((bytes[1] & 0x7f) as usize | (bytes[2] as usize) << 7, 3)
    };
    assert_eq!(bytes.len() - used, len, "length prefix covers exactly the rest");
    &bytes[used..]
}

/// The handshake written out from the guide's table with nothing but the primitives — SHA-256, HKDF,
/// AES-GCM, X25519 — to check our two state machines against an independent derivation.
struct Reference {
    h: [u8; 32],
    ck: [u8; 32],
    k: [u8; 32],
    n: u32,
}

impl Reference {
    fn new() -> Self {
        let name = *b"Noise_XX_25519_AESGCM_SHA256\0\0\0\0";
        let mut reference = Self {
            h: name,
            ck: name,
            k: name,
            n: 0,
        };
        reference.mix_hash(&[0x57, 0x41, 0x06, 0x03]);
        reference
    }

    fn mix_hash(&mut self, data: &[u8]) {
        self.h = sha256_parts(&[&self.h, data]);
    }

    fn mix_key(&mut self, dh: [u8; 32]) {
        let okm: [u8; 64] = hkdf_sha256(&self.ck, &dh, &[]);
        self.ck.copy_from_slice(&okm[..32]);
        self.k.copy_from_slice(&okm[32..]);
        self.n = 0;
    }

    fn iv(&self) -> [u8; 12] {
        let mut iv = [0; 12];
        iv[8..].copy_from_slice(&self.n.to_be_bytes());
        iv
    }

    fn encrypt(&mut self, plaintext: &[u8]) -> Vec<u8> {
        let ciphertext = aes256_gcm_encrypt(&self.k, &self.iv(), &self.h, plaintext);
        self.n += 1;
        self.mix_hash(&ciphertext);
        ciphertext
    }

    fn decrypt(&mut self, ciphertext: &[u8]) -> Vec<u8> {
        let plaintext = aes256_gcm_decrypt(&self.k, &self.iv(), &self.h, ciphertext).unwrap();
        self.n += 1;
        self.mix_hash(ciphertext);
        plaintext
    }

    fn split(&self) -> ([u8; 32], [u8; 32]) {
        let okm: [u8; 64] = hkdf_sha256(&self.ck, &[], &[]);
        (okm[..32].try_into().unwrap(), okm[32..].try_into().unwrap())
    }
}

#[test]
fn handshake_matches_an_independent_derivation() {
    let mut setup = StdRng::seed_from_u64(3);
    let server = server(&mut setup);
    let client_static = KeyPair::generate(&mut setup);

    let mut client_rng = RecordingRng::new(30);
    let mut server_rng = RecordingRng::new(31);
    let (client, first) = Initiator::new(client_static.clone(), trust(&server)).start(&mut client_rng);
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (responder, server_hello) = responder.read_client_hello(&first[7..], &mut server_rng).unwrap();
    let client = client.read_server_hello(&server_hello[3..], NOW).unwrap();
    let (client_transport, finish) = client.write_client_finish(CLIENT_PAYLOAD).unwrap();
    let finished = responder.read_client_finish(&finish[3..]).unwrap();

    // Both ephemeral keys were the first 32 bytes each side drew.
    let e_c = KeyPair::from_private(client_rng.key_at(0));
    let e_s = KeyPair::from_private(server_rng.key_at(0));
    let s_s = &server.static_key;
    let s_c = &client_static;
    assert_eq!(&first[11..], e_c.public.as_bytes());

    let hello = HandshakeMessage::decode(&server_hello[3..])
        .unwrap()
        .server_hello
        .unwrap();
    let finish_message = HandshakeMessage::decode(&finish[3..])
        .unwrap()
        .client_finish
        .unwrap();

    let mut r = Reference::new();
    // 1. MixHash(e_c.pub)
    r.mix_hash(e_c.public.as_bytes());
    // 2. MixHash(e_s.pub)
    assert_eq!(hello.ephemeral.as_deref(), Some(e_s.public.as_bytes().as_slice()));
    r.mix_hash(e_s.public.as_bytes());
    // 3. ee
    r.mix_key(e_s.private.agree(&e_c.public));
    // 4. static key under n = 0
    let static_ct = hello.r#static.unwrap();
    assert_eq!(static_ct.len(), 48);
    assert_eq!(static_ct, r.clone_encrypt(s_s.public.as_bytes()));
    assert_eq!(r.decrypt(&static_ct), s_s.public.as_bytes());
    // 5. es
    r.mix_key(s_s.private.agree(&e_c.public));
    // 6. certificate chain under n = 0
    assert_eq!(r.decrypt(&hello.payload.unwrap()), server.chain);
    // 9. client static under n = 1: no MixKey since the certificate was decrypted.
    assert_eq!(r.n, 1);
    let client_static_ct = finish_message.r#static.unwrap();
    assert_eq!(client_static_ct, r.clone_encrypt(s_c.public.as_bytes()));
    assert_eq!(r.decrypt(&client_static_ct), s_c.public.as_bytes());
    // 10. se
    r.mix_key(s_c.private.agree(&e_s.public));
    // 11. payload under n = 0
    assert_eq!(r.decrypt(&finish_message.payload.unwrap()), CLIENT_PAYLOAD);

    // 13. Split: first half client → server, second half server → client, counters from 0, empty AAD.
    let (c2s, s2c) = r.split();
    let (mut client_send, mut client_recv) = client_transport.into_split();
    let (mut server_send, _) = finished.transport.into_split();
    let mut frame = Vec::new();
    client_send.encrypt_frame(b"up", &mut frame).unwrap();
    assert_eq!(
        aes256_gcm_decrypt(&c2s, &[0; 12], &[], &frame[3..]).unwrap(),
        b"up"
    );
    frame.clear();
    client_send.encrypt_frame(b"up again", &mut frame).unwrap();
    let mut iv1 = [0; 12];
    iv1[11] = 1;
    assert_eq!(
        aes256_gcm_decrypt(&c2s, &iv1, &[], &frame[3..]).unwrap(),
        b"up again"
    );
    frame.clear();
    server_send.encrypt_frame(b"down", &mut frame).unwrap();
    assert_eq!(
        aes256_gcm_decrypt(&s2c, &[0; 12], &[], &frame[3..]).unwrap(),
        b"down"
    );
    let mut plain = Vec::new();
    client_recv.decrypt_frame(&frame[3..], &mut plain).unwrap();
    assert_eq!(plain, b"down");
}

impl Reference {
    /// What `encrypt` would produce now, without advancing.
    fn clone_encrypt(&self, plaintext: &[u8]) -> Vec<u8> {
        aes256_gcm_encrypt(&self.k, &self.iv(), &self.h, plaintext)
    }
}

#[test]
fn tampered_handshake_ciphertexts_are_refused() {
    let mut rng = StdRng::seed_from_u64(4);
    let server = server(&mut rng);
    let client_static = KeyPair::generate(&mut rng);

    // The untampered transcript from this seed is accepted, so every refusal below is the tampering's
    // doing.
    let (client, _, hello) = through_server_hello_fixed(&server, &client_static, 40);
    client.read_server_hello(&hello, NOW).unwrap();

    // ServerHello = 1A <len> 0A 20 <e_s: 32> 12 30 <static: 48> 1A <len> <certificate ciphertext>.
    let body_at = hello.len() - skip_tag_and_len(&hello, 0x1a).len();
    let ephemeral = body_at + 2..body_at + 34;
    let static_ct = body_at + 36..body_at + 84;
    let cert_ct = hello.len() - skip_tag_and_len(&hello[body_at + 84..], 0x1a).len()..hello.len();
    for i in 0..hello.len() {
        let mut bad = hello.clone();
        bad[i] ^= 0x01;
        let (client, _, _) = through_server_hello_fixed(&server, &client_static, 40);
        let Err(error) = client.read_server_hello(&bad, NOW) else {
            panic!("flipping ServerHello byte {i} was accepted");
        };
        if ephemeral.contains(&i) || static_ct.contains(&i) || cert_ct.contains(&i) {
            // A changed key or ciphertext fails authentication.
            assert!(
                matches!(error, Error::HandshakeDecryptFailed(_)),
                "byte {i}: {error}"
            );
        } else {
            // A changed tag or length breaks the protobuf.
            assert!(
                matches!(error, Error::MalformedHandshakeMessage(_)),
                "byte {i}: {error}"
            );
        }
    }

    // ClientFinish = 22 <len> 0A 30 <static: 48> 12 <len> <payload ciphertext>.
    let (client, _, hello) = through_server_hello_fixed(&server, &client_static, 41);
    let (_, finish) = client
        .read_server_hello(&hello, NOW)
        .unwrap()
        .write_client_finish(CLIENT_PAYLOAD)
        .unwrap();
    let finish = single_frame(&finish);
    let (_, responder, _) = through_server_hello_fixed(&server, &client_static, 41);
    assert_eq!(
        responder.read_client_finish(&finish).unwrap().client_payload,
        CLIENT_PAYLOAD
    );
    let body_at = finish.len() - skip_tag_and_len(&finish, 0x22).len();
    let static_ct = body_at + 2..body_at + 50;
    let payload_ct = finish.len() - skip_tag_and_len(&finish[body_at + 50..], 0x12).len()..finish.len();
    for i in 0..finish.len() {
        let mut bad = finish.clone();
        bad[i] ^= 0x01;
        let (_, responder, _) = through_server_hello_fixed(&server, &client_static, 41);
        let Err(error) = responder.read_client_finish(&bad) else {
            panic!("flipping ClientFinish byte {i} was accepted");
        };
        if static_ct.contains(&i) || payload_ct.contains(&i) {
            assert!(
                matches!(error, Error::HandshakeDecryptFailed(_)),
                "byte {i}: {error}"
            );
        } else {
            assert!(
                matches!(error, Error::MalformedHandshakeMessage(_)),
                "byte {i}: {error}"
            );
        }
    }
}

/// Like [`through_server_hello`] but from a fixed seed, so the same transcript can be replayed.
fn through_server_hello_fixed(
    server: &Server,
    client_static: &KeyPair,
    seed: u64,
) -> (
    InitiatorAwaitingServerHello,
    ResponderAwaitingClientFinish,
    Vec<u8>,
) {
    through_server_hello(
        server,
        client_static.clone(),
        trust(server),
        &mut StdRng::seed_from_u64(seed),
    )
}

#[test]
fn tampered_client_hello_breaks_the_handshake() {
    let mut rng = StdRng::seed_from_u64(5);
    let server = server(&mut rng);
    let (client, mut first) = Initiator::new(KeyPair::generate(&mut rng), trust(&server)).start(&mut rng);
    // A man in the middle swaps one bit of the client's ephemeral key: the server answers a different
    // transcript, which the client cannot decrypt.
    first[20] ^= 0x04;
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (_, server_hello) = responder.read_client_hello(&first[7..], &mut rng).unwrap();
    assert_eq!(
        client.read_server_hello(&server_hello[3..], NOW).unwrap_err(),
        Error::HandshakeDecryptFailed("ServerHello static key")
    );
}

#[test]
fn certificate_rejections_stop_the_client() {
    let mut rng = StdRng::seed_from_u64(6);
    let server = server(&mut rng);
    let client_static = KeyPair::generate(&mut rng);

    // The default trust root is WhatsApp's production key, which did not sign the simulator's chain.
    let (client, _, hello) =
        through_server_hello(&server, client_static.clone(), TrustRoot::default(), &mut rng);
    assert_eq!(
        client.read_server_hello(&hello, NOW).unwrap_err(),
        Error::CertSignatureInvalid {
            role: CertRole::Intermediate
        }
    );

    // Expired at the client's clock.
    let (client, _, hello) = through_server_hello(&server, client_static.clone(), trust(&server), &mut rng);
    assert_eq!(
        client.read_server_hello(&hello, NOW + 86_401).unwrap_err(),
        Error::CertExpired {
            role: CertRole::Intermediate,
            not_after: NOW + 86_400,
            now: NOW + 86_401
        }
    );

    // A server presenting a chain issued for another static key.
    let other_static = KeyPair::generate(&mut rng);
    let stolen = Server {
        chain: server.chain.clone(),
        static_key: other_static,
        authority: server.authority.clone(),
    };
    let (client, _, hello) = through_server_hello(&stolen, client_static, trust(&server), &mut rng);
    assert_eq!(
        client.read_server_hello(&hello, NOW).unwrap_err(),
        Error::CertLeafKeyMismatch
    );
}

#[test]
fn messages_out_of_turn_are_named() {
    let mut rng = StdRng::seed_from_u64(7);
    let server = server(&mut rng);
    let (client, first) = Initiator::new(KeyPair::generate(&mut rng), trust(&server)).start(&mut rng);
    let client_hello = first[7..].to_vec();

    // The server expects ClientHello.
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (responder_next, server_hello) = responder
        .clone()
        .read_client_hello(&client_hello, &mut rng)
        .unwrap();
    assert_eq!(
        responder
            .clone()
            .read_client_hello(&server_hello[3..], &mut rng)
            .unwrap_err(),
        Error::UnexpectedHandshakeMessage {
            expected: HandshakeMessageKind::ClientHello,
            received: HandshakeMessageKind::ServerHello
        }
    );
    // The server then expects ClientFinish, not another ClientHello.
    assert_eq!(
        responder_next.read_client_finish(&client_hello).unwrap_err(),
        Error::UnexpectedHandshakeMessage {
            expected: HandshakeMessageKind::ClientFinish,
            received: HandshakeMessageKind::ClientHello
        }
    );
    // The client expects ServerHello; an echo of its own hello is refused.
    assert_eq!(
        client.read_server_hello(&client_hello, NOW).unwrap_err(),
        Error::UnexpectedHandshakeMessage {
            expected: HandshakeMessageKind::ServerHello,
            received: HandshakeMessageKind::ClientHello
        }
    );
    // Empty and non-protobuf frames.
    assert_eq!(
        responder.clone().read_client_hello(&[], &mut rng).unwrap_err(),
        Error::UnexpectedHandshakeMessage {
            expected: HandshakeMessageKind::ClientHello,
            received: HandshakeMessageKind::Empty
        }
    );
    assert!(matches!(
        responder.read_client_hello(&[0xff, 0xff, 0xff], &mut rng),
        Err(Error::MalformedHandshakeMessage(_))
    ));
}

#[test]
fn malformed_fields_are_refused() {
    use wasndr_proto::handshake::handshake_message::{ClientHello, ServerHello};
    let mut rng = StdRng::seed_from_u64(8);
    let server = server(&mut rng);
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());

    for ephemeral in [None, Some(vec![1; 31]), Some(vec![1; 33])] {
        let hello = HandshakeMessage {
            client_hello: Some(ClientHello {
                ephemeral,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(matches!(
            responder
                .clone()
                .read_client_hello(&hello.encode_to_vec(), &mut rng),
            Err(Error::MalformedHandshakeMessage(_))
        ));
    }
    // A low-order ephemeral key would make the first DH output public.
    let hello = HandshakeMessage {
        client_hello: Some(ClientHello {
            ephemeral: Some(vec![0; 32]),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        responder
            .read_client_hello(&hello.encode_to_vec(), &mut rng)
            .unwrap_err(),
        Error::LowOrderPublicKey("client ephemeral key")
    );

    // ServerHello with parts missing or the wrong size.
    let (_, _, real) = through_server_hello(&server, KeyPair::generate(&mut rng), trust(&server), &mut rng);
    let real = HandshakeMessage::decode(real.as_slice())
        .unwrap()
        .server_hello
        .unwrap();
    let variants: [fn(&mut ServerHello); 4] = [
        |h| h.ephemeral = None,
        |h| h.ephemeral.as_mut().unwrap().push(0),
        |h| h.r#static = None,
        |h| h.payload = None,
    ];
    for edit in variants {
        let mut hello = real.clone();
        edit(&mut hello);
        let message = HandshakeMessage {
            server_hello: Some(hello),
            ..Default::default()
        };
        let (client, _, _) =
            through_server_hello(&server, KeyPair::generate(&mut rng), trust(&server), &mut rng);
        assert!(matches!(
            client.read_server_hello(&message.encode_to_vec(), NOW),
            Err(Error::MalformedHandshakeMessage(_))
        ));
    }
}

#[test]
fn client_static_must_decrypt_to_32_bytes() {
    // A scripted client, built from the reference derivation, that encrypts a 33-byte static key.
    let mut rng = StdRng::seed_from_u64(9);
    let server = server(&mut rng);
    let e_c = KeyPair::generate(&mut rng);
    let mut r = Reference::new();
    r.mix_hash(e_c.public.as_bytes());
    let hello = HandshakeMessage {
        client_hello: Some(wasndr_proto::handshake::handshake_message::ClientHello {
            ephemeral: Some(e_c.public.as_bytes().to_vec()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (responder, server_hello) = responder
        .read_client_hello(&hello.encode_to_vec(), &mut rng)
        .unwrap();
    let server_hello = HandshakeMessage::decode(&server_hello[3..])
        .unwrap()
        .server_hello
        .unwrap();
    let e_s = PublicKey::from_slice(server_hello.ephemeral.as_deref().unwrap()).unwrap();
    r.mix_hash(e_s.as_bytes());
    r.mix_key(e_c.private.agree(&e_s));
    let s_s = PublicKey::from_slice(&r.decrypt(&server_hello.r#static.unwrap())).unwrap();
    r.mix_key(e_c.private.agree(&s_s));
    r.decrypt(&server_hello.payload.unwrap());
    let s_c = KeyPair::generate(&mut rng);
    let finish = HandshakeMessage {
        client_finish: Some(wasndr_proto::handshake::handshake_message::ClientFinish {
            r#static: Some(r.encrypt(&s_c.public.serialize())),
            payload: Some(vec![0; 16]),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        responder.read_client_finish(&finish.encode_to_vec()).unwrap_err(),
        Error::MalformedHandshakeMessage("ClientFinish static key does not decrypt to 32 bytes")
    );
}

#[test]
fn transport_refuses_tampered_replayed_and_reordered_frames() {
    let mut rng = StdRng::seed_from_u64(10);
    let server = server(&mut rng);
    let (client, responder, hello) =
        through_server_hello(&server, KeyPair::generate(&mut rng), trust(&server), &mut rng);
    let (client_transport, finish) = client
        .read_server_hello(&hello, NOW)
        .unwrap()
        .write_client_finish(&[])
        .unwrap();
    let mut server_transport = responder.read_client_finish(&finish[3..]).unwrap().transport;
    let mut client_transport = client_transport;

    let mut frames = Vec::new();
    for i in 0..3u8 {
        let mut out = Vec::new();
        client_transport.send.encrypt_frame(&[i; 10], &mut out).unwrap();
        frames.push(out[3..].to_vec());
    }
    let mut plain = Vec::new();
    let mut tampered = frames[0].clone();
    tampered[2] ^= 0x20;
    assert_eq!(
        server_transport.recv.decrypt_frame(&tampered, &mut plain),
        Err(Error::TransportDecryptFailed { counter: 0 })
    );
    // Reordered: frame 1 first.
    assert_eq!(
        server_transport.recv.decrypt_frame(&frames[1], &mut plain),
        Err(Error::TransportDecryptFailed { counter: 0 })
    );
    server_transport
        .recv
        .decrypt_frame(&frames[0], &mut plain)
        .unwrap();
    // Replayed.
    assert_eq!(
        server_transport.recv.decrypt_frame(&frames[0], &mut plain),
        Err(Error::TransportDecryptFailed { counter: 1 })
    );
    // Skipped.
    assert_eq!(
        server_transport.recv.decrypt_frame(&frames[2], &mut plain),
        Err(Error::TransportDecryptFailed { counter: 1 })
    );
    // A frame the server itself sent does not decrypt as one from the client.
    let mut own = Vec::new();
    server_transport.send.encrypt_frame(&[1; 10], &mut own).unwrap();
    assert!(
        server_transport
            .recv
            .decrypt_frame(&own[3..], &mut plain)
            .is_err()
    );
    server_transport
        .recv
        .decrypt_frame(&frames[1], &mut plain)
        .unwrap();
    assert_eq!(plain, [1; 10]);
}

#[test]
fn edge_routing_client_reaches_the_responder() {
    let mut rng = StdRng::seed_from_u64(11);
    let server = server(&mut rng);
    let (client, first) = Initiator::new(KeyPair::generate(&mut rng), trust(&server)).start(&mut rng);
    // What Baileys sends when it holds routing info: ED 00 01 <len24> <routing> then the plain first message.
    let mut message = Vec::new();
    wasndr_core::noise::client_header(Some(b"\x08\x02\x10\x03routing"), &mut message).unwrap();
    message.truncate(message.len() - 4);
    message.extend_from_slice(&first);
    let mut header = ClientHeaderReader::new();
    let mut decoder = FrameDecoder::new();
    // Delivered byte by byte.
    let mut hello = Vec::new();
    for byte in &message {
        let byte = std::slice::from_ref(byte);
        if header.is_done() {
            hello.extend(frames(&mut decoder, byte));
        } else if let Some(used) = header.read(byte).unwrap() {
            hello.extend(frames(&mut decoder, &byte[used..]));
        }
    }
    assert_eq!(header.edge_routing_len(), Some(11));
    assert_eq!(hello.len(), 1);
    let responder = Responder::new(server.static_key.clone(), server.chain.clone());
    let (_, server_hello) = responder.read_client_hello(&hello[0], &mut rng).unwrap();
    client.read_server_hello(&server_hello[3..], NOW).unwrap();
}
