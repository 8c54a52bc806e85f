//! Live interop with libsignal-node 6.0.0 (and Baileys 7's sender-key GroupCipher) from the npm
//! registry, driven through `interop/signal-peer.mjs` over stdin/stdout: sessions started from either
//! side, with and without one-time prekeys, messages both ways in and out of order, duplicates, and
//! group messages both ways.
//!
//! Needs `node` and `interop/node_modules` (`npm ci --prefix interop`). With `WASNDR_REQUIRE_INTEROP=1`
//! (set by `.ci/run`) their absence fails the test; otherwise the test runs `npm ci` once and, if that
//! does not help, says why on stderr and skips.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is a failed test

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::OnceLock;

use common::peer::Peer;
use pollster::block_on;
use serde_json::{Value, json};
use wasndr_core::Error;
use wasndr_core::crypto::PublicKey;
use wasndr_core::signal::{PreKeyBundle, ProtocolAddress, SenderKeyName, cipher};
use wasndr_core::store::PreKeyStore;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

fn missing_prerequisite() -> Option<String> {
    match Command::new("node").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => return Some(format!("`node --version` failed: {:?}", out.status)),
        Err(e) => return Some(format!("cannot run `node`: {e}")),
    }
    for package in ["libsignal", "baileys"] {
        let manifest = interop_dir()
            .join("node_modules")
            .join(package)
            .join("package.json");
        if !manifest.exists() {
            return Some(format!(
                "{} is missing (run `npm ci --prefix interop`)",
                manifest.display()
            ));
        }
    }
    None
}

/// Writes to the real stderr: libtest captures `eprintln!` of passing tests, and a skip must be seen.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Whether the interop peer can run. Never silently skips: see the module docs.
fn interop_available() -> bool {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let ready = READY.get_or_init(|| {
        let Some(reason) = missing_prerequisite() else {
            return Ok(());
        };
        if std::env::var("WASNDR_REQUIRE_INTEROP").as_deref() == Ok("1") {
            return Err(reason);
        }
        say(&format!(
            "libsignal-node interop: {reason}; trying `npm ci --prefix interop` once"
        ));
        let status = Command::new("npm")
            .args(["ci", "--prefix"])
            .arg(interop_dir())
            .args(["--no-audit", "--no-fund"])
            .stdout(Stdio::null())
            .status();
        match missing_prerequisite() {
            None => Ok(()),
            Some(still) => Err(format!("{still} (npm ci: {status:?})")),
        }
    });
    match ready {
        Ok(()) => true,
        Err(reason) if std::env::var("WASNDR_REQUIRE_INTEROP").as_deref() == Ok("1") => {
            panic!("WASNDR_REQUIRE_INTEROP=1 but the libsignal-node interop peer cannot run: {reason}")
        }
        Err(reason) => {
            say(&format!("SKIPPED libsignal-node interop test: {reason}"));
            false
        }
    }
}

/// The Node peer process.
struct NodePeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl NodePeer {
    fn spawn() -> Self {
        let mut child = Command::new("node")
            .arg(interop_dir().join("signal-peer.mjs"))
            .current_dir(interop_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn node");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self { child, stdin, stdout }
    }

    /// Sends one request; `Ok(result)` or `Err(libsignal-node's error text)`.
    fn call(&mut self, request: Value) -> Result<Value, String> {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let response: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        match response.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => Err(response["error"].as_str().unwrap_or("?").to_owned()),
        }
    }

    fn ok(&mut self, request: Value) -> Value {
        let op = request["op"].clone();
        self.call(request).unwrap_or_else(|e| panic!("node {op}: {e}"))
    }

    fn encrypt(&mut self, to: &str, plaintext: &[u8]) -> (String, Vec<u8>) {
        let out = self.ok(json!({"op": "encrypt", "address": to, "plaintext": hex::encode(plaintext)}));
        (
            out["type"].as_str().unwrap().to_owned(),
            hex::decode(out["body"].as_str().unwrap()).unwrap(),
        )
    }

    fn decrypt(&mut self, from: &str, message: &(String, Vec<u8>)) -> Result<Vec<u8>, String> {
        let request =
            json!({"op": "decrypt", "address": from, "type": message.0, "body": hex::encode(&message.1)});
        self.call(request)
            .map(|out| hex::decode(out["plaintext"].as_str().unwrap()).unwrap())
    }
}

impl Drop for NodePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const NODE: &str = "node.0";
const RUST: &str = "rust.0";

fn node_address() -> ProtocolAddress {
    ProtocolAddress::new("node", 0)
}

fn key(value: &Value) -> PublicKey {
    PublicKey::from_slice(&hex::decode(value.as_str().unwrap()).unwrap()).unwrap()
}

/// The bundle the Node peer published, with one-time prekey `prekey`.
fn node_bundle(init: &Value, prekey: Option<usize>) -> PreKeyBundle {
    let spk = &init["signedPreKey"];
    PreKeyBundle {
        registration_id: init["registrationId"].as_u64().unwrap() as u32,
        identity_key: key(&init["identity"]),
        signed_prekey_id: spk["keyId"].as_u64().unwrap() as u32,
        signed_prekey: key(&spk["publicKey"]),
        signed_prekey_signature: hex::decode(spk["signature"].as_str().unwrap()).unwrap(),
        prekey: prekey.map(|i| {
            let p = &init["preKeys"][i];
            (p["keyId"].as_u64().unwrap() as u32, key(&p["publicKey"]))
        }),
    }
}

fn rust_encrypt(rust: &Peer, plaintext: &[u8]) -> (String, Vec<u8>) {
    let message = block_on(cipher::encrypt(&rust.store, &node_address(), plaintext)).unwrap();
    (message.enc_type().to_owned(), message.into_serialized())
}

fn rust_decrypt(rust: &mut Peer, message: &(String, Vec<u8>)) -> wasndr_core::Result<Vec<u8>> {
    block_on(cipher::decrypt(
        &rust.store,
        &node_address(),
        &message.0,
        &message.1,
        &mut rust.rng,
    ))
}

/// Messages both ways after a session exists: out-of-order batches, crossing messages, ping-pong
/// ratchet turns, and duplicates on both sides.
fn converse(rust: &mut Peer, node: &mut NodePeer) {
    for round in 0..4u8 {
        // A batch from Node, delivered in reverse.
        let batch: Vec<_> = (0..3u8).map(|i| node.encrypt(RUST, &[b'n', round, i])).collect();
        for (i, message) in batch.iter().enumerate().rev() {
            assert_eq!(rust_decrypt(rust, message).unwrap(), [b'n', round, i as u8]);
        }
        assert_eq!(
            rust_decrypt(rust, &batch[1]).unwrap_err(),
            Error::DuplicateMessage {
                counter: counter_of(&batch[1])
            }
        );
        // A batch from Rust, delivered middle first.
        let batch: Vec<_> = (0..3u8).map(|i| rust_encrypt(rust, &[b'r', round, i])).collect();
        for i in [1usize, 2, 0] {
            assert_eq!(node.decrypt(RUST, &batch[i]).unwrap(), [b'r', round, i as u8]);
        }
        assert!(
            node.decrypt(RUST, &batch[0]).is_err(),
            "libsignal-node accepted a duplicate"
        );
        // Crossing messages: both send before either receives.
        let from_node = node.encrypt(RUST, b"cross n");
        let from_rust = rust_encrypt(rust, b"cross r");
        assert_eq!(node.decrypt(RUST, &from_rust).unwrap(), b"cross r");
        assert_eq!(rust_decrypt(rust, &from_node).unwrap(), b"cross n");

        // A message overtaken by the next ratchet turn. libsignal-node closes the old receiving chain
        // when the new one appears, keeping only keys up to the previousCounter we send: a wrong value
        // loses `late`. Strict alternation first, so every message below carries a new ratchet key.
        for _ in 0..2 {
            let ping = rust_encrypt(rust, b"ping");
            assert_eq!(node.decrypt(RUST, &ping).unwrap(), b"ping");
            let pong = node.encrypt(RUST, b"pong");
            assert_eq!(rust_decrypt(rust, &pong).unwrap(), b"pong");
        }
        let first = rust_encrypt(rust, b"first r");
        assert_eq!(node.decrypt(RUST, &first).unwrap(), b"first r");
        let late = rust_encrypt(rust, b"late r");
        let turn = node.encrypt(RUST, b"turn n");
        assert_eq!(rust_decrypt(rust, &turn).unwrap(), b"turn n");
        let next = rust_encrypt(rust, b"next r");
        assert_eq!(node.decrypt(RUST, &next).unwrap(), b"next r");
        assert_eq!(node.decrypt(RUST, &late).unwrap(), b"late r");
        // The same the other way round (we keep old chains' keys, so this is the easy direction).
        let first = node.encrypt(RUST, b"first n");
        assert_eq!(rust_decrypt(rust, &first).unwrap(), b"first n");
        let late = node.encrypt(RUST, b"late n");
        let turn = rust_encrypt(rust, b"turn r");
        assert_eq!(node.decrypt(RUST, &turn).unwrap(), b"turn r");
        let next = node.encrypt(RUST, b"next n");
        assert_eq!(rust_decrypt(rust, &next).unwrap(), b"next n");
        assert_eq!(rust_decrypt(rust, &late).unwrap(), b"late n");
    }
}

/// The counter of a SignalMessage.
fn counter_of(message: &(String, Vec<u8>)) -> u32 {
    wasndr_core::signal::wire::SignalMessage::parse(&message.1)
        .unwrap()
        .counter
}

fn rust_initiates(prekey: Option<usize>) {
    if !interop_available() {
        return;
    }
    let mut node = NodePeer::spawn();
    let init = node.ok(json!({"op": "init", "prekeys": 3}));
    let mut rust = Peer::new("rust", rand::random());
    let bundle = node_bundle(&init, prekey);
    block_on(cipher::process_prekey_bundle(
        &rust.store,
        &node_address(),
        &bundle,
        &mut rust.rng,
    ))
    .unwrap();

    // Prekey messages, delivered out of order.
    let first: Vec<_> = (0..3u8).map(|i| rust_encrypt(&rust, &[b'p', i])).collect();
    assert!(first.iter().all(|m| m.0 == "pkmsg"));
    for i in [1usize, 0, 2] {
        assert_eq!(node.decrypt(RUST, &first[i]).unwrap(), [b'p', i as u8]);
    }
    // Node's reply ends the prekey phase.
    let reply = node.encrypt(RUST, b"reply");
    assert_eq!(reply.0, "msg");
    assert_eq!(rust_decrypt(&mut rust, &reply).unwrap(), b"reply");
    assert_eq!(rust_encrypt(&rust, b"after").0, "msg");
    converse(&mut rust, &mut node);
}

fn node_initiates(prekey: Option<u32>) {
    if !interop_available() {
        return;
    }
    let mut node = NodePeer::spawn();
    node.ok(json!({"op": "init", "prekeys": 1}));
    let mut rust = Peer::new("rust", rand::random());
    let bundle = rust.bundle(prekey);
    let mut json_bundle = json!({
        "registrationId": bundle.registration_id,
        "identity": hex::encode(bundle.identity_key.serialize()),
        "signedPreKey": {
            "keyId": bundle.signed_prekey_id,
            "publicKey": hex::encode(bundle.signed_prekey.serialize()),
            "signature": hex::encode(&bundle.signed_prekey_signature),
        },
    });
    if let Some((id, key)) = bundle.prekey {
        json_bundle["preKey"] = json!({"keyId": id, "publicKey": hex::encode(key.serialize())});
    }
    node.ok(json!({"op": "process_bundle", "address": RUST, "bundle": json_bundle}));

    let first: Vec<_> = (0..3u8).map(|i| node.encrypt(RUST, &[b'p', i])).collect();
    assert!(first.iter().all(|m| m.0 == "pkmsg"));
    // The second prekey message arrives first and builds the session.
    for i in [1usize, 2, 0] {
        assert_eq!(rust_decrypt(&mut rust, &first[i]).unwrap(), [b'p', i as u8]);
    }
    if let Some(id) = prekey {
        assert!(
            block_on(rust.store.load_prekey(id)).unwrap().is_none(),
            "used prekey deleted"
        );
    }
    assert!(matches!(
        rust_decrypt(&mut rust, &first[0]),
        Err(Error::DuplicateMessage { counter: 0 })
    ));
    let reply = rust_encrypt(&rust, b"reply");
    assert_eq!(reply.0, "msg");
    assert_eq!(node.decrypt(RUST, &reply).unwrap(), b"reply");
    assert_eq!(node.encrypt(RUST, b"after").0, "msg");
    converse(&mut rust, &mut node);
}

#[test]
fn rust_initiates_with_one_time_prekey() {
    rust_initiates(Some(1));
}

#[test]
fn rust_initiates_without_one_time_prekey() {
    rust_initiates(None);
}

#[test]
fn node_initiates_with_one_time_prekey() {
    node_initiates(Some(3));
}

#[test]
fn node_initiates_without_one_time_prekey() {
    node_initiates(None);
}

#[test]
fn group_messages_both_ways() {
    if !interop_available() {
        return;
    }
    let mut node = NodePeer::spawn();
    node.ok(json!({"op": "init", "prekeys": 1}));
    let mut rust = Peer::new("rust", rand::random());
    let group = "120363025246125888@g.us";
    let rust_name = SenderKeyName::new(group, rust.address.clone());
    let node_name = SenderKeyName::new(group, node_address());

    // Rust -> Node: Node learns our key, then decrypts our messages shuffled.
    let skdm = block_on(cipher::create_sender_key_distribution(
        &rust.store,
        &rust_name,
        &mut rust.rng,
    ))
    .unwrap();
    node.ok(json!({"op": "group_process", "group": group, "sender": RUST, "skdm": hex::encode(skdm.serialized())}));
    let sent: Vec<Vec<u8>> = (0..6u8)
        .map(|i| {
            let m = block_on(cipher::group_encrypt(
                &rust.store,
                &rust_name,
                &[b'g', i],
                &mut rust.rng,
            ))
            .unwrap();
            m.serialized().to_vec()
        })
        .collect();
    for i in [2usize, 0, 5, 1, 4, 3] {
        let out = node.ok(
            json!({"op": "group_decrypt", "group": group, "sender": RUST, "body": hex::encode(&sent[i])}),
        );
        assert_eq!(
            hex::decode(out["plaintext"].as_str().unwrap()).unwrap(),
            [b'g', i as u8]
        );
    }
    let replay =
        json!({"op": "group_decrypt", "group": group, "sender": RUST, "body": hex::encode(&sent[0])});
    assert!(node.call(replay).is_err(), "Baileys accepted a replay");

    // Node -> Rust: Baileys' sender uses iterations 0, 2, 4, ...; we decrypt them shuffled.
    let out = node.ok(json!({"op": "group_create", "group": group, "sender": NODE}));
    let skdm = wasndr_core::signal::wire::SenderKeyDistributionMessage::parse(
        &hex::decode(out["skdm"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    block_on(cipher::process_sender_key_distribution(
        &rust.store,
        &node_name,
        &skdm,
    ))
    .unwrap();
    let received: Vec<Vec<u8>> = (0..6u8)
        .map(|i| {
            let out = node.ok(json!({"op": "group_encrypt", "group": group, "sender": NODE, "plaintext": hex::encode([b'h', i])}));
            hex::decode(out["body"].as_str().unwrap()).unwrap()
        })
        .collect();
    for i in [3usize, 1, 0, 5, 2, 4] {
        let plaintext = block_on(cipher::group_decrypt(&rust.store, &node_name, &received[i])).unwrap();
        assert_eq!(plaintext, [b'h', i as u8]);
    }
    assert!(matches!(
        block_on(cipher::group_decrypt(&rust.store, &node_name, &received[3])),
        Err(Error::DuplicateMessage { .. })
    ));
}
