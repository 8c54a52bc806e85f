//! A real Baileys 7.0.0-rc14 client (interop/baileys-sim-phone-media.mjs) receives media a virtual
//! phone sends through `POST /admin/phones/{phone}/send-media`: an image with a caption and a document
//! with a file name, each downloaded from the simulator's media host and decrypted by Baileys, which
//! compares SHA-256, caption and file name with what was sent.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BAILEYS_PHONE: &str = "15550012001";
const SENDING_PHONE: &str = "15550012002";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baileys_downloads_and_decrypts_media_a_virtual_phone_sends() {
    if !common::interop_ready() {
        return;
    }
    let sim = common::simulator().await;
    for phone in [BAILEYS_PHONE, SENDING_PHONE] {
        sim.create_phone(phone).await.unwrap();
    }
    let dir = std::env::temp_dir().join(format!("wasndr-sim-baileys-phone-media-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("media-ca.pem");
    std::fs::write(&ca, wasndr_sim::MEDIA_CA_PEM).unwrap();
    let mut child = Command::new("node")
        .arg(common::interop_dir().join("baileys-sim-phone-media.mjs"))
        .env("SIM_INFO", serde_json::to_string(&sim.info()).unwrap())
        .env("AUTH_DIR", dir.join("auth"))
        .env("PHONE_A", BAILEYS_PHONE)
        .env("PHONE_B", SENDING_PHONE)
        .env("NODE_EXTRA_CA_CERTS", &ca)
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
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .unwrap_or_else(|_| panic!("Baileys script timed out after {steps:?}"));
    let status = child.wait().await.unwrap();
    assert!(status.success(), "Baileys script exited with {status}");
    assert_eq!(steps, ["scanned", "open", "received", "received", "done"]);
    let _ = std::fs::remove_dir_all(&dir);
}
