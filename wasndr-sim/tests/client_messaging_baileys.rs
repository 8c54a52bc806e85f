//! A real Baileys 7.0.0-rc14 client (interop/baileys-wasndr-chat.mjs) and a wasndr `Client`, each paired
//! to its own phone on an in-process simulator, messaging each other: 1:1 both ways and in a group
//! both ways (sender keys), each side decrypting what the other encrypted.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;
mod wasndr_client;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;
use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::client::{Event, Events, MessageEvent};
use wasndr_core::jid::Jid;
use wasndr_core::message::plain_text;

/// The script's steps, or its error.
type Script = JoinHandle<Result<Vec<String>, String>>;

/// Waits for a message with `text`, failing at once if the script fails first.
async fn wait_text(events: &mut Events, script: &mut Script, text: &str) -> MessageEvent {
    let found = tokio::time::timeout(WAIT, async {
        loop {
            tokio::select! {
                event = next_event(events) => {
                    if let Event::Message(message) = event
                        && message.message.as_ref().and_then(plain_text) == Some(text)
                    {
                        return *message;
                    }
                }
                outcome = &mut *script => panic!("the Baileys script ended first: {outcome:?}"),
            }
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("no message {text:?} from Baileys"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baileys_client_and_a_wasndr_client_message_each_other() {
    if !common::interop_ready() {
        return;
    }
    let sim = wasndr_client::simulator().await;
    let (baileys_phone, our_phone) = ("15550300001", "15550300002");
    for phone in [baileys_phone, our_phone] {
        sim.create_phone(phone).await.unwrap();
    }
    let (client, mut events, jid) = pair_by_qr(&sim, our_phone, memory_store()).await;
    let group = Jid::parse(&sim.create_group(our_phone, "mixed", &[baileys_phone]).unwrap()).unwrap();

    let auth = std::env::temp_dir().join(format!("wasndr-baileys-chat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&auth);
    let mut child = Command::new("node")
        .arg(common::interop_dir().join("baileys-wasndr-chat.mjs"))
        .env("SIM_INFO", serde_json::to_string(&sim.info()).unwrap())
        .env("AUTH_DIR", &auth)
        .env("PHONE_A", baileys_phone)
        .env("PEER", jid.to_non_ad().to_string())
        .env("GROUP", group.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut script: Script = tokio::spawn(async move {
        let mut steps = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(error) = event.get("error") {
                return Err(format!("after {steps:?}: {error}"));
            }
            if let Some(step) = event.get("step").and_then(Value::as_str) {
                eprintln!("baileys: {line}");
                steps.push(step.to_owned());
            }
        }
        Ok(steps)
    });

    let baileys = Jid::pn(baileys_phone);
    let hello = wait_text(&mut events, &mut script, "hello wasndr, from baileys").await;
    assert_eq!(hello.info.chat, baileys);
    assert!(!hello.info.from_me && !hello.info.is_group);
    client
        .send_text(&baileys, "hello baileys, from wasndr")
        .await
        .unwrap();

    let in_group = wait_text(&mut events, &mut script, "group hello from baileys").await;
    assert_eq!(in_group.info.chat, group);
    assert_eq!(in_group.info.sender.user(), baileys_phone);
    client.send_text(&group, "group hello from wasndr").await.unwrap();

    let steps = tokio::time::timeout(Duration::from_secs(120), script)
        .await
        .expect("the Baileys script did not finish")
        .unwrap()
        .unwrap_or_else(|error| panic!("Baileys script failed {error}"));
    let status = child.wait().await.unwrap();
    assert!(status.success(), "Baileys script exited with {status}");
    for expected in [
        "open",
        "dm_sent",
        "dm_received",
        "group_sent",
        "group_received",
        "done",
    ] {
        assert!(
            steps.iter().any(|step| step == expected),
            "missing {expected} in {steps:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&auth);
}
