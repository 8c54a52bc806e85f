//! Log in and answer every incoming text with the same text.
//!
//! ```text
//! cargo run -p wasndr-core --example echo -- --ws ws://127.0.0.1:PORT/ws/chat --root ROOT_KEY_HEX
//! ```
//!
//! Pairs by QR first (shown in the terminal, and as text on a `qr:` line, which a simulator's phone
//! scans with `POST /admin/phones/PHONE/scan {"qr": "..."}`). Every text that arrives as [`Event::Message`] (already
//! decrypted, stored and acknowledged) is answered with [`Client::send_text`] in the same chat; our own
//! messages from other devices are not echoed.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::sync::Arc;

use wasndr_core::client::{Client, Event, qr_terminal};
use wasndr_core::crypto::PublicKey;
use wasndr_core::message::plain_text;
use wasndr_core::noise::TrustRoot;
use wasndr_core::store::MemoryStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (mut url, mut root) = (None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ws" => url = args.next(),
            "--root" => root = args.next(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let (Some(url), Some(root)) = (url, root) else {
        return Err("usage: echo --ws URL --root ROOT_KEY_HEX".into());
    };
    let root = TrustRoot {
        public_key: PublicKey::from_slice(&hex::decode(root)?)?,
        serial: 0,
    };
    let (client, mut events) = Client::builder(Arc::new(MemoryStore::empty()))
        .url(url)
        .trust_root(root)
        .build();
    client.connect().await?;
    while let Some(event) = events.recv().await {
        match event {
            Event::Qr { code, .. } => {
                println!("{}", qr_terminal(&code)?);
                // The text too: a simulator's phone scans it through its admin API.
                println!("qr: {code}");
            }
            Event::Connected { jid } => println!("logged in as {jid}; waiting for messages"),
            Event::Message(message) if !message.info.from_me => {
                let text = message.message.as_ref().and_then(plain_text).map(str::to_owned);
                let Some(text) = text else { continue };
                println!("{} wrote {text:?}", message.info.sender);
                match client.send_text(&message.info.chat, &text).await {
                    Ok(sent) => println!("echoed as {}", sent.id),
                    Err(error) => eprintln!("echo failed: {error}"),
                }
            }
            Event::LoggedOut { .. } | Event::StreamReplaced | Event::QrExpired => break,
            _ => {}
        }
    }
    Ok(())
}
