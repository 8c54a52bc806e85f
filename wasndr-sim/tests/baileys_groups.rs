//! A group administered by wasndr-core's `Client` with a real Baileys 7.0.0-rc14 client in it
//! (interop/baileys-sim-groups.mjs), through the simulator: the wasndr client creates the group with
//! Baileys' account and a virtual phone, Baileys sees it (`groups.upsert`); the wasndr client renames it
//! and sets a description, Baileys sees the rename (`groups.update`) and reads the same metadata with
//! its own query; Baileys leaves, and the wasndr client gets the typed notification and drops Baileys
//! from its group cache.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;
mod wasndr_client;

use std::time::Duration;

use common::baileys::BaileysScript;
use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::client::Event;
use wasndr_core::jid::Jid;
use wasndr_core::stanza::{GroupChange, MembershipChange};

const BAILEYS_PHONE: &str = "15550012001";
const PEER_PHONE: &str = "15550012002";
const CLIENT_PHONE: &str = "15550012003";
const RENAMED: &str = "Renamed by wasndr";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wasndr_client_administers_a_group_baileys_is_in() {
    if !common::interop_ready() {
        return;
    }
    let sim = wasndr_client::simulator().await;
    for phone in [BAILEYS_PHONE, PEER_PHONE, CLIENT_PHONE] {
        sim.create_phone(phone).await.unwrap();
    }
    let store = memory_store();
    let (client, mut events, _) = pair_by_qr(&sim, CLIENT_PHONE, store.clone()).await;

    let mut script = BaileysScript::spawn(
        "baileys-sim-groups.mjs",
        &sim,
        &[("PHONE_A", BAILEYS_PHONE), ("SUBJECT", RENAMED)],
    );
    let mut group = None;
    let run = async {
        while let Some(event) = script.next_step().await {
            let step = event["step"].as_str().unwrap_or_default();
            match step {
                "open" => {
                    let created = client
                        .create_group("Made by wasndr", &[Jid::pn(BAILEYS_PHONE), Jid::pn(PEER_PHONE)])
                        .await
                        .unwrap();
                    group = Some(created.jid);
                }
                "group_seen" => {
                    let jid = group.clone().unwrap();
                    assert_eq!(event["jid"].as_str(), Some(jid.to_string().as_str()));
                    assert_eq!(event["subject"].as_str(), Some("Made by wasndr"));
                    assert_eq!(event["participants"].as_u64(), Some(3));
                    client
                        .set_group_description(&jid, Some("set by wasndr"))
                        .await
                        .unwrap();
                    client.set_group_subject(&jid, RENAMED).await.unwrap();
                }
                "metadata" => {
                    assert_eq!(event["subject"].as_str(), Some(RENAMED));
                    assert_eq!(event["desc"].as_str(), Some("set by wasndr"));
                    let mut members: Vec<(String, Option<String>)> = event["participants"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| {
                            (
                                p["id"].as_str().unwrap().to_owned(),
                                p["admin"].as_str().map(str::to_owned),
                            )
                        })
                        .collect();
                    members.sort();
                    assert_eq!(
                        members,
                        [
                            (Jid::pn(BAILEYS_PHONE).to_string(), None),
                            (Jid::pn(PEER_PHONE).to_string(), None),
                            (Jid::pn(CLIENT_PHONE).to_string(), Some("superadmin".to_owned())),
                        ]
                    );
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
            "group_seen",
            "subject_seen",
            "metadata",
            "left",
            "done"
        ]
    );

    // Baileys' leave reaches the wasndr client as a typed change, and its cache follows.
    let group = group.unwrap();
    let left = tokio::time::timeout(WAIT, async {
        loop {
            if let Event::GroupUpdate(update) = next_event(&mut events).await
                && update.group == group
                && let Some(GroupChange::Membership { participants, .. }) = update.changes.iter().find(|c| {
                    matches!(
                        c,
                        GroupChange::Membership {
                            change: MembershipChange::Leave,
                            ..
                        }
                    )
                })
            {
                return participants.clone();
            }
        }
    })
    .await
    .expect("Baileys' leave reaches the wasndr client");
    assert_eq!(left[0].jid, Jid::pn(BAILEYS_PHONE));
    let cached = store.group(&group).await.unwrap().unwrap();
    let mut members: Vec<Jid> = cached.participants.iter().map(|p| p.jid.clone()).collect();
    members.sort();
    assert_eq!(members, [Jid::pn(PEER_PHONE), Jid::pn(CLIENT_PHONE)]);
    assert_eq!(cached.subject, RENAMED);
    client.disconnect().await;
}
