//! A real Baileys 7.0.0-rc14 client (interop/baileys-sim-phone-media.mjs) receives media a virtual
//! phone sends through `POST /admin/phones/{phone}/send-media`: an image with a caption and a document
//! with a file name, each downloaded from the simulator's media host and decrypted by Baileys, which
//! compares SHA-256, caption and file name with what was sent.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;

use std::time::Duration;

use common::baileys::BaileysScript;

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
    let script = BaileysScript::spawn(
        "baileys-sim-phone-media.mjs",
        &sim,
        &[("PHONE_A", BAILEYS_PHONE), ("PHONE_B", SENDING_PHONE)],
    );
    let steps = tokio::time::timeout(Duration::from_secs(120), script.finish())
        .await
        .expect("Baileys script timed out");
    assert_eq!(steps, ["scanned", "open", "received", "received", "done"]);
}
