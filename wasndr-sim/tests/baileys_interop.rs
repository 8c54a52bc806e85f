//! A real Baileys 7.0.0-rc14 client (interop/baileys-sim-client.mjs) against an in-process simulator:
//! QR pairing through the admin API, 515 restart, login, `open`, a text to a virtual phone that
//! decrypts it, the phone's answer received by Baileys, a restart from the saved auth state without a
//! QR, and a group of Baileys and two phones exchanging messages both ways with sender keys.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use common::baileys::BaileysScript;
use wasndr_sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baileys_pairs_logs_in_and_messages_through_the_simulator() {
    if !common::interop_ready() {
        return;
    }
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let (a, b, c) = ("15550001111", "15550002222", "15550003333");
    for phone in [a, b, c] {
        sim.create_phone(phone).await.unwrap();
    }
    let script = BaileysScript::spawn(
        "baileys-sim-client.mjs",
        &sim,
        &[("PHONE_A", a), ("PHONE_B", b), ("PHONE_C", c)],
    );
    let steps = tokio::time::timeout(Duration::from_secs(170), script.finish())
        .await
        .expect("Baileys script timed out");
    for expected in [
        "qr",
        "scanned",
        "restart",
        "open",
        "phone_received",
        "reply_received",
        "relogin",
        "group",
        "group_received_by_phones",
        "group_reply_received",
        "done",
    ] {
        assert!(
            steps.iter().any(|step| step == expected),
            "missing step {expected} in {steps:?}"
        );
    }
    // The simulator's side of the same story: the phones decrypted what Baileys sent.
    let texts = |phone| {
        sim.messages(phone)
            .unwrap()
            .into_iter()
            .map(|m| m.text)
            .collect::<Vec<_>>()
    };
    assert!(texts(b).contains(&"hello from baileys".to_owned()));
    assert!(texts(b).contains(&"hello group from baileys".to_owned()));
    assert!(texts(c).contains(&"hello group from baileys".to_owned()));
    let devices = &sim.phones()[0].devices;
    assert_eq!(
        devices,
        &vec![0, 1],
        "phone A has its primary and the Baileys companion"
    );
}
