//! Helpers shared by the simulator's integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Command;

/// The repository's `interop/` directory.
pub fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

/// Whether `node` and `interop/node_modules/baileys` are usable. Follows the project's rule: with
/// `WASNDR_REQUIRE_INTEROP=1` anything missing is a test failure (panic with the reason); otherwise one
/// `npm ci --prefix interop` is tried, and if it still cannot run the reason goes to stderr and the
/// caller returns.
pub fn interop_ready() -> bool {
    let required = std::env::var("WASNDR_REQUIRE_INTEROP").as_deref() == Ok("1");
    let missing = || -> Option<String> {
        match Command::new("node").arg("--version").output() {
            Ok(output) if output.status.success() => {}
            _ => return Some("`node` is not installed".into()),
        }
        if !interop_dir().join("node_modules/baileys/package.json").exists() {
            return Some("interop/node_modules/baileys is missing (run `npm ci --prefix interop`)".into());
        }
        None
    };
    let Some(mut reason) = missing() else {
        return true;
    };
    if required {
        panic!("WASNDR_REQUIRE_INTEROP=1 but the interop test cannot run: {reason}");
    }
    let installed = Command::new("npm")
        .args(["ci", "--prefix"])
        .arg(interop_dir())
        .args(["--no-audit", "--no-fund"])
        .status()
        .is_ok_and(|status| status.success());
    if installed {
        match missing() {
            None => return true,
            Some(still) => reason = still,
        }
    }
    eprintln!("skipping the Baileys interop test: {reason}");
    false
}

pub mod baileys;
pub mod client;

use wasndr_core::binary::{self, Node, NodeRef};

/// Runs a parser that takes the borrowed node form over an owned node.
pub fn with_ref<T>(node: &Node, parse: impl FnOnce(&NodeRef<'_>) -> T) -> T {
    let bytes = binary::encode(node).unwrap();
    let body = binary::unpack(&bytes).unwrap().into_owned();
    let tree = binary::decode_node(&body).unwrap();
    parse(&tree.root())
}

/// A simulator with shortened pairing windows.
pub async fn simulator() -> wasndr_sim::SimHandle {
    wasndr_sim::Simulator::start(wasndr_sim::SimConfig::default())
        .await
        .unwrap()
}

/// Pairs a fresh test companion with `phone` by QR; returns its keys and device number.
pub async fn pair(
    sim: &wasndr_sim::SimHandle,
    phone: &str,
    seed: u64,
    bare_qr: bool,
) -> (client::CompanionKeys, u32) {
    use wasndr_core::pair::QrCode;
    use wasndr_core::pair::companion::verify_and_countersign;
    use wasndr_core::pair::stanza::{PairDeviceSign, PairSuccess, iq_result_to_server, parse_pair_device};
    let keys = client::CompanionKeys::generate(seed);
    let info = sim.info();
    let mut companion = client::TestClient::connect(&info, &keys.noise, &keys.registration_payload()).await;
    let pair_device = companion.expect("iq").await;
    let refs = with_ref(&pair_device, parse_pair_device).unwrap();
    assert_eq!(refs.len(), 6, "six refs, like the real server");
    companion
        .send(&iq_result_to_server(pair_device.attr_str("id").unwrap()))
        .await;
    let qr = QrCode {
        reference: refs[0].clone(),
        noise_public: keys.noise.public,
        identity_public: *keys.identity.public(),
        adv_secret: keys.adv_secret,
        client_type: (!bare_qr).then(|| "1".to_owned()),
    };
    let text = if bare_qr {
        qr.to_bare_string()
    } else {
        qr.to_string()
    };
    let scanner = {
        let sim = sim.clone();
        let phone = phone.to_owned();
        tokio::spawn(async move { sim.scan(&phone, &text).await })
    };
    let success = companion.expect("iq").await;
    let success = with_ref(&success, PairSuccess::from_node).unwrap();
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let paired = verify_and_countersign(
        &success.device_identity,
        &keys.adv_secret,
        &keys.identity,
        &mut rng,
    )
    .unwrap();
    companion
        .send(
            &PairDeviceSign {
                id: success.id.clone(),
                key_index: paired.key_index(),
                device_identity: paired.reply_identity(),
            }
            .to_node(),
        )
        .await;
    let last = companion.closed().await.expect("a stream error before closing");
    assert_eq!(last.tag, "stream:error");
    assert_eq!(last.attr_str("code"), Some("515"));
    let device_jid = scanner.await.unwrap().unwrap();
    assert_eq!(device_jid, success.jid.to_string());
    assert_eq!(
        success.lid.as_ref().map(|lid| lid.device()),
        Some(success.jid.device())
    );
    (keys, u32::from(success.jid.device()))
}
