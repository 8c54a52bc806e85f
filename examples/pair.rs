//! Pair a new companion by QR (or by phone-number code) and log it in, showing each QR in the terminal.
//!
//! ```text
//! cargo run -p wasndr-sim --example pair                      # an in-process simulator (default)
//! cargo run -p wasndr-sim --example pair -- --manual          # ... you scan through its admin API
//! cargo run -p wasndr-sim --example pair -- --code            # ... pairing by code instead of QR
//! cargo run -p wasndr-sim --example pair -- --ws ws://127.0.0.1:PORT/ws/chat --root ROOT_KEY_HEX
//! cargo run -p wasndr-sim --example pair -- --real [--phone NUMBER]
//! ```
//!
//! By default the example starts a simulator in this process with one virtual phone, and that phone
//! scans the first QR (or types the code) so the whole flow runs on its own: QR, pairing, the 515
//! restart, login. `--manual` leaves the scan to you: the example prints the `curl` command for the
//! simulator's admin API. `--ws` and `--root` point it at a simulator running elsewhere (the
//! `wasndr-sim` binary prints both). `--real` connects to WhatsApp itself with the production root:
//! scan the QR with your phone under Settings → Linked devices, or pass `--phone NUMBER` to get a code
//! to type there instead. `--name OS` sets the name shown on the phone (default "wasndr"), `--png FILE`
//! also writes each QR as a PNG.
//!
//! The device lives in memory only: the example pairs, logs in, waits for Ctrl-C and logs out.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::sync::Arc;

use wasndr_core::client::{Client, Event, WHATSAPP_WEB_URL, qr_png, qr_terminal};
use wasndr_core::crypto::PublicKey;
use wasndr_core::login::{Browser, CompanionPlatform};
use wasndr_core::noise::TrustRoot;
use wasndr_core::store::MemoryStore;
use wasndr_sim::{SimConfig, SimHandle, Simulator};

/// The virtual phone of the in-process simulator.
const SIM_PHONE: &str = "15550001234";

enum Target {
    /// A simulator in this process; its phone scans (or types the code) unless `manual`.
    Embedded { manual: bool },
    /// A simulator or WhatsApp elsewhere.
    Remote { url: String, root: TrustRoot },
}

struct Args {
    target: Target,
    os_name: String,
    png: Option<String>,
    /// Pair by code with this phone number instead of by QR.
    phone: Option<String>,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let (mut url, mut root, mut real, mut manual, mut code) = (None, None, false, false, false);
    let mut os_name = "wasndr".to_owned();
    let (mut png, mut phone) = (None, None);
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
            "--manual" => manual = true,
            "--code" => code = true,
            "--name" => os_name = args.next().ok_or("--name needs a value")?,
            "--png" => png = args.next(),
            "--phone" => phone = args.next(),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let target = match (real, url, root) {
        (true, None, None) => Target::Remote {
            url: WHATSAPP_WEB_URL.to_owned(),
            root: TrustRoot::whatsapp_production(),
        },
        (false, Some(url), Some(root)) => Target::Remote { url, root },
        (false, None, None) => {
            if code {
                phone = Some(SIM_PHONE.to_owned());
            }
            Target::Embedded { manual }
        }
        _ => return Err("use --ws URL --root HEX (a simulator), --real (WhatsApp), or neither".into()),
    };
    Ok(Args {
        target,
        os_name,
        png,
        phone,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let (sim, url, root) = match &args.target {
        Target::Remote { url, root } => (None, url.clone(), *root),
        Target::Embedded { .. } => {
            let sim = Simulator::start(SimConfig::default()).await?;
            sim.create_phone(SIM_PHONE).await?;
            let info = sim.info();
            let root = TrustRoot {
                public_key: PublicKey::from_slice(&hex::decode(&info.root_public_key)?)?,
                serial: info.root_serial,
            };
            println!(
                "simulator at {} with phone +{SIM_PHONE} (admin API {})",
                info.ws_url, info.admin_url
            );
            (Some(sim), info.ws_url, root)
        }
    };
    let autopilot = match (&args.target, &sim) {
        (Target::Embedded { manual: false }, Some(sim)) => Some(sim.clone()),
        _ => None,
    };

    let (client, mut events) = Client::builder(Arc::new(MemoryStore::empty()))
        .url(url.clone())
        .trust_root(root)
        .platform(CompanionPlatform::new(args.os_name.clone(), Browser::Chrome))
        .build();
    client.connect().await?;
    println!("connecting to {url} …");
    if let Some(phone) = &args.phone {
        let code = client.pair_phone(phone, true).await?;
        println!("on the phone of {phone}, enter the code {code}");
        if let Some(sim) = &autopilot {
            let (sim, code) = (sim.clone(), code.clone());
            tokio::spawn(async move { type_code(&sim, &code).await });
        }
    }
    let mut scanned = false;
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
                if let (Target::Embedded { manual: true }, Some(sim)) = (&args.target, &sim) {
                    println!(
                        "scan it as the phone: curl -X POST {}/phones/{SIM_PHONE}/scan -H 'content-type: application/json' -d '{{\"qr\":\"{code}\"}}'",
                        sim.info().admin_url
                    );
                }
                if let (Some(sim), None, false) = (&autopilot, &args.phone, scanned) {
                    scanned = true;
                    let sim = sim.clone();
                    tokio::spawn(async move { scan(&sim, &code).await });
                }
            }
            Event::PairCode { code } => println!("pair code: {code}"),
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

/// The virtual phone scans `qr`, after a moment for the QR to be seen.
async fn scan(sim: &SimHandle, qr: &str) {
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    println!("the virtual phone scans the QR");
    if let Err(error) = sim.scan(SIM_PHONE, qr).await {
        eprintln!("the virtual phone could not scan: {error}");
    }
}

/// The user types `code` on the virtual phone.
async fn type_code(sim: &SimHandle, code: &str) {
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    println!("the code is typed on the virtual phone");
    if let Err(error) = sim.enter_link_code(SIM_PHONE, code).await {
        eprintln!("the virtual phone refused the code: {error}");
    }
}
