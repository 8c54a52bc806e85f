//! Pair a new companion by QR and log it in, showing each QR in the terminal.
//!
//! ```text
//! cargo run -p wasndr-core --example pair -- --ws ws://127.0.0.1:PORT/ws/chat --root ROOT_KEY_HEX
//! cargo run -p wasndr-core --example pair -- --real
//! ```
//!
//! `--ws` and `--root` point it at a simulator (wasndr-sim prints both; the root is its certificate
//! authority's 32-byte public key in hex). `--real` connects to WhatsApp itself with the production
//! root: scan the QR with the phone under Settings → Linked devices. Options: `--name OS` (shown on the
//! phone, default "wasndr"), `--png FILE` (also write each QR as a PNG).
//!
//! The device lives in memory only: the example pairs, logs in, waits for Ctrl-C and logs out.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::sync::Arc;

use wasndr_core::client::{Client, DeviceSlot, Event, WHATSAPP_WEB_URL, qr_png, qr_terminal};
use wasndr_core::crypto::PublicKey;
use wasndr_core::login::{Browser, CompanionPlatform};
use wasndr_core::noise::TrustRoot;
use wasndr_core::signal::{IdentityKeyPair, generate_registration_id};
use wasndr_core::store::MemoryStore;

struct Args {
    url: String,
    root: TrustRoot,
    os_name: String,
    png: Option<String>,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut url = None;
    let mut root = None;
    let mut real = false;
    let mut os_name = "wasndr".to_owned();
    let mut png = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ws" => url = args.next(),
            "--root" => {
                let key = hex::decode(args.next().ok_or("--root needs a hex key")?)?;
                root = Some(TrustRoot {
                    public_key: PublicKey::from_slice(&key)?,
                    serial: 0,
                });
            }
            "--real" => real = true,
            "--name" => os_name = args.next().ok_or("--name needs a value")?,
            "--png" => png = args.next(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    match (real, url, root) {
        (true, None, None) => Ok(Args {
            url: WHATSAPP_WEB_URL.to_owned(),
            root: TrustRoot::whatsapp_production(),
            os_name,
            png,
        }),
        (false, Some(url), Some(root)) => Ok(Args {
            url,
            root,
            os_name,
            png,
        }),
        _ => Err("use either --ws URL --root HEX (a simulator) or --real (WhatsApp)".into()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let mut rng: rand::rngs::StdRng = rand::make_rng();
    let signal = Arc::new(MemoryStore::new(
        IdentityKeyPair::generate(&mut rng),
        generate_registration_id(&mut rng),
    ));
    let (client, mut events) = Client::builder(signal, DeviceSlot::new())
        .url(args.url.clone())
        .trust_root(args.root)
        .platform(CompanionPlatform::new(args.os_name.clone(), Browser::Chrome))
        .build();
    client.connect().await?;
    println!("connecting to {} …", args.url);
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = tokio::signal::ctrl_c() => {
                println!("logging out");
                client.logout().await?;
                return Ok(());
            }
        };
        let Some(event) = event else { return Ok(()) };
        match event {
            Event::Qr {
                code,
                index,
                remaining,
                valid_for,
            } => {
                println!("{}", qr_terminal(&code)?);
                println!(
                    "QR {} (valid {}s, {remaining} more after it): {code}",
                    index + 1,
                    valid_for.as_secs()
                );
                if let Some(path) = &args.png {
                    std::fs::write(path, qr_png(&code, 8)?)?;
                    println!("written to {path}");
                }
            }
            Event::QrExpired => {
                println!("no scan in time; run again for new codes");
                return Ok(());
            }
            Event::Paired { jid, platform, .. } => {
                println!("paired as {jid} (phone: {})", platform.unwrap_or_default());
            }
            Event::PairError { reason } => eprintln!("pairing refused: {reason}"),
            Event::Connected { jid } => println!("logged in as {jid}; Ctrl-C logs out"),
            Event::Disconnected { reason, reconnect_in } => {
                println!("disconnected: {reason:?}, reconnecting in {reconnect_in:?}")
            }
            Event::LoggedOut { reason } => {
                println!("logged out: {reason:?}");
                return Ok(());
            }
            Event::StreamReplaced => {
                println!("another connection took over");
                return Ok(());
            }
            _ => {}
        }
    }
}
