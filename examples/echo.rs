//! Log in and answer every incoming text with the same text — once the messaging layer lands.
//!
//! ```text
//! cargo run -p wasndr-core --example echo -- --ws ws://127.0.0.1:PORT/ws/chat --root ROOT_KEY_HEX
//! ```
//!
//! Pairs by QR first (shown in the terminal). What works today: pairing, login, and the `message`
//! stanzas arriving as [`Event::Message`]. What is missing: decrypting them and sending a reply, which
//! the messaging issue adds to `Client` (decrypt → persist → ack, and a text send); until then this
//! example prints who wrote and the stanza id, and does not answer.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::sync::Arc;

use wasndr_core::client::{Client, DeviceSlot, Event, qr_terminal};
use wasndr_core::crypto::PublicKey;
use wasndr_core::noise::TrustRoot;
use wasndr_core::signal::{IdentityKeyPair, generate_registration_id};
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
    let mut rng: rand::rngs::StdRng = rand::make_rng();
    let signal = Arc::new(MemoryStore::new(
        IdentityKeyPair::generate(&mut rng),
        generate_registration_id(&mut rng),
    ));
    let (client, mut events) = Client::builder(signal, DeviceSlot::new())
        .url(url)
        .trust_root(root)
        .build();
    client.connect().await?;
    while let Some(event) = events.recv().await {
        match event {
            Event::Qr { code, .. } => println!("{}", qr_terminal(&code)?),
            Event::Connected { jid } => println!("logged in as {jid}; waiting for messages"),
            Event::Message(stanza) => println!(
                "message {} from {} (not answered: needs the messaging layer)",
                stanza.attr_str("id").unwrap_or("?"),
                stanza
                    .attr_value("from")
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            Event::LoggedOut { .. } | Event::StreamReplaced | Event::QrExpired => break,
            _ => {}
        }
    }
    Ok(())
}
