//! A real Baileys 7.0.0-rc14 client (interop/baileys-sim-client.mjs) against an in-process simulator:
//! QR pairing through the admin API, 515 restart, login, `open`, a text to a virtual phone that
//! decrypts it, the phone's answer received by Baileys, a restart from the saved auth state without a
//! QR, and a group of Baileys and two phones exchanging messages both ways with sender keys.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
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
    let auth = std::env::temp_dir().join(format!("wasndr-sim-baileys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&auth);
    let mut child = Command::new("node")
        .arg(common::interop_dir().join("baileys-sim-client.mjs"))
        .env("SIM_INFO", serde_json::to_string(&sim.info()).unwrap())
        .env("AUTH_DIR", &auth)
        .env("PHONE_A", a)
        .env("PHONE_B", b)
        .env("PHONE_C", c)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut steps = Vec::new();
    let run = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(error) = event.get("error") {
                panic!("Baileys script failed after {steps:?}: {error}");
            }
            if let Some(step) = event.get("step").and_then(Value::as_str) {
                eprintln!("baileys: {line}");
                steps.push(step.to_owned());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(170), run)
        .await
        .unwrap_or_else(|_| panic!("Baileys script timed out"));
    let status = child.wait().await.unwrap();
    assert!(status.success(), "Baileys script exited with {status}");
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
    let _ = std::fs::remove_dir_all(&auth);
}
