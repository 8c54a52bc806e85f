//! Media between a real Baileys 7.0.0-rc14 client (interop/baileys-sim-media.mjs) and wasndr-core's
//! `Client` through the simulator. Baileys uploads only over HTTPS, so it uses the simulator's HTTPS
//! media host (trusting `MEDIA_CA_PEM`); the wasndr client uses the plain one. Baileys sends a
//! document to a virtual phone, which decrypts it; Baileys sends a document to the wasndr client, which
//! downloads and decrypts it; the wasndr client sends an image to Baileys, which downloads and decrypts
//! it. Each side compares SHA-256 of what it got with what was sent.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;
mod wasndr_client;

use std::time::Duration;

use common::baileys::BaileysScript;
use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::client::{Event, OutgoingMedia};
use wasndr_core::crypto::sha256;
use wasndr_core::jid::Jid;
use wasndr_core::media::MediaType;
use wasndr_core::message::{attachment, plain_text};

const BAILEYS_PHONE: &str = "15550011001";
const PEER_PHONE: &str = "15550011002";
const CLIENT_PHONE: &str = "15550011003";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baileys_and_a_wasndr_client_exchange_media_through_the_simulator() {
    if !common::interop_ready() {
        return;
    }
    let sim = wasndr_client::simulator().await;
    for phone in [BAILEYS_PHONE, PEER_PHONE, CLIENT_PHONE] {
        sim.create_phone(phone).await.unwrap();
    }
    let (client, mut events, _) = pair_by_qr(&sim, CLIENT_PHONE, memory_store()).await;

    let mut script = BaileysScript::spawn(
        "baileys-sim-media.mjs",
        &sim,
        &[
            ("PHONE_A", BAILEYS_PHONE),
            ("PHONE_B", PEER_PHONE),
            ("CLIENT", CLIENT_PHONE),
        ],
    );
    let photo: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(7919) >> 3) as u8)
        .collect();
    let run = async {
        while let Some(event) = script.next_step().await {
            let step = event["step"].as_str().unwrap_or_default();
            match step {
                "sent_to_client" => {
                    // Baileys' document reaches the wasndr client, which fetches and decrypts it.
                    let id = event["id"].as_str().unwrap().to_owned();
                    let message = tokio::time::timeout(WAIT, async {
                        loop {
                            if let Event::Message(message) = next_event(&mut events).await
                                && message.info.id == id
                            {
                                return message;
                            }
                        }
                    })
                    .await
                    .expect("Baileys' document reaches the wasndr client");
                    assert_eq!(message.info.sender.to_non_ad(), Jid::pn(BAILEYS_PHONE));
                    let content = message.message.as_ref().unwrap();
                    assert_eq!(plain_text(content), Some("for the wasndr client"));
                    let info = attachment(content).unwrap().to_media_info();
                    assert_eq!(info.file_name.as_deref(), Some("for-client.bin"));
                    let bytes = client.download_media(&info).await.unwrap();
                    assert_eq!(hex::encode(sha256(&bytes)), event["sha256"].as_str().unwrap());
                    assert_eq!(Some(bytes.len() as u64), event["size"].as_u64());

                    // And the other way: an image from the wasndr client for Baileys to download.
                    client
                        .send_media(
                            &Jid::pn(BAILEYS_PHONE),
                            OutgoingMedia {
                                data: photo.clone(),
                                kind: MediaType::Image,
                                mime: "image/jpeg".into(),
                                caption: Some("from the wasndr client".into()),
                                file_name: None,
                            },
                        )
                        .await
                        .unwrap();
                }
                "downloaded" => {
                    assert_eq!(event["sha256"].as_str().unwrap(), hex::encode(sha256(&photo)));
                    assert_eq!(event["caption"].as_str(), Some("from the wasndr client"));
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(170), run)
        .await
        .unwrap_or_else(|_| panic!("Baileys script timed out after {:?}", script.steps));
    let steps = script.finish().await;
    assert_eq!(
        steps,
        [
            "scanned",
            "open",
            "phone_decrypted",
            "sent_to_client",
            "downloaded",
            "done"
        ]
    );
    client.disconnect().await;
}
