//! wasndr-core's `Client` beside a real Baileys 7.0.0-rc14 client (interop/baileys-sim-login.mjs) on
//! one simulator: the ClientPayloads Baileys puts on the wire (registration and login) against ours,
//! field by field; and both clients paired to the same phone and logged in at the same time.
//!
//! Baileys' payloads are recorded inside the Node process as its socket encodes them for the Noise
//! ClientFinish (the simulator does not expose what it decrypted). Ours are built by the same
//! `PayloadConfig` calls the connection driver makes, from the device the client stored, and the
//! simulator accepted both logins.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod common;
mod wasndr_client;

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use wasndr_client::{WAIT, config, first_qr, memory_store, paired_then_connected};
use wasndr_core::binary::Node;
use wasndr_core::client::{Client, ConnectionState};
use wasndr_core::jid::Jid;
use wasndr_core::login::{
    Browser, ClientRequest, CompanionPlatform, RegistrationKeys, WaVersion, parse_client_payload,
};
use wasndr_proto::Message as _;
use wasndr_proto::client_payload::ClientPayload;
use wasndr_proto::companion_reg::DeviceProps;
use wasndr_sim::SimHandle;

/// The Baileys script, running.
struct Baileys {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    auth: PathBuf,
}

impl Baileys {
    fn start(sim: &SimHandle, phone: &str, name: &str) -> Baileys {
        let auth = std::env::temp_dir().join(format!("wasndr-client-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&auth);
        let mut child = Command::new("node")
            .arg(common::interop_dir().join("baileys-sim-login.mjs"))
            .env("SIM_INFO", serde_json::to_string(&sim.info()).unwrap())
            .env("AUTH_DIR", &auth)
            .env("PHONE", phone)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Baileys { child, lines, auth }
    }

    /// The next step the script reports.
    async fn next(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("Baileys said nothing in time")
            .unwrap()
            .expect("the Baileys script ended early");
        let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if let Some(error) = event.get("error") {
            panic!("the Baileys script failed: {error}");
        }
        event
    }

    /// Reads steps up to and including `name`, returning all of them.
    async fn until(&mut self, name: &str) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let event = self.next().await;
            let done = event.get("step").and_then(Value::as_str) == Some(name);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }

    /// Tells the script to log off (stdin closes) and checks that it ends well.
    async fn finish(mut self) {
        drop(self.child.stdin.take());
        self.until("done").await;
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "Baileys exited with {status}");
        let _ = std::fs::remove_dir_all(&self.auth);
    }
}

fn steps<'a>(events: &'a [Value], name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    events
        .iter()
        .filter(move |event| event.get("step").and_then(Value::as_str) == Some(name))
}

fn decode_payload(hex_text: &str) -> ClientPayload {
    let bytes = hex::decode(hex_text).unwrap();
    // Both must read as what they are meant to be, the way the simulator reads them.
    parse_client_payload(&bytes).unwrap();
    ClientPayload::decode(bytes.as_slice()).unwrap()
}

/// The registration payload without what differs between any two devices (keys, ids, signature),
/// after checking that those have the same shape. `DeviceProps` is compared decoded.
fn registration_shape(mut payload: ClientPayload) -> (ClientPayload, DeviceProps) {
    let data = payload.device_pairing_data.as_mut().unwrap();
    let sizes = [
        (&mut data.e_regid, 4),
        (&mut data.e_ident, 32),
        (&mut data.e_skey_val, 32),
        (&mut data.e_skey_sig, 64),
    ];
    for (field, len) in sizes {
        assert_eq!(field.as_ref().map(Vec::len), Some(len));
        *field = None;
    }
    let props = DeviceProps::decode(data.device_props.take().unwrap().as_slice()).unwrap();
    (payload, props)
}

/// The login payload without the account and device it names.
fn login_shape(mut payload: ClientPayload) -> ClientPayload {
    assert!(payload.username.take().is_some());
    assert!(payload.device.take().is_some());
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_payloads_match_the_ones_baileys_sends() {
    if !common::interop_ready() {
        return;
    }
    let sim = wasndr_client::simulator().await;
    let (theirs, ours) = ("15550007001", "15550007002");
    sim.create_phone(theirs).await.unwrap();
    sim.create_phone(ours).await.unwrap();

    let mut baileys = Baileys::start(&sim, theirs, "payload");
    let events = baileys.until("open").await;
    baileys.finish().await;
    let config_step = steps(&events, "config").next().unwrap().clone();
    let payloads: Vec<ClientPayload> = steps(&events, "payload")
        .map(|event| decode_payload(event["hex"].as_str().unwrap()))
        .collect();
    assert_eq!(payloads.len(), 2, "registration, then login after the 515");
    assert!(payloads[0].device_pairing_data.is_some());
    assert!(payloads[1].username.is_some());

    // Our client, told the version, browser and country Baileys used, pairs with the other phone.
    let version = &config_step["version"];
    let browser = &config_step["browser"];
    let mut config = config(&sim);
    config.payload.version = WaVersion {
        primary: version[0].as_u64().unwrap() as u32,
        secondary: version[1].as_u64().unwrap() as u32,
        tertiary: version[2].as_u64().unwrap() as u32,
    };
    config.payload.platform = CompanionPlatform::new(
        browser[0].as_str().unwrap(),
        Browser::from_name(browser[1].as_str().unwrap()).unwrap(),
    );
    config.payload.country = config_step["countryCode"].as_str().unwrap().to_owned();
    let store = memory_store();
    let (client, mut client_events) = Client::builder(store.clone()).config(config.clone()).build();
    client.connect().await.unwrap();
    let qr = first_qr(&mut client_events).await;
    // The registration payload our driver sent: built from the device it stored before connecting.
    let device = store.load_device().await.unwrap().unwrap();
    let signed = store
        .load_signed_prekey(device.signed_prekey_id)
        .await
        .unwrap()
        .unwrap();
    let our_registration = config.payload.registration_payload(&RegistrationKeys {
        registration_id: device.registration_id,
        identity: device.identity.public(),
        signed_prekey_id: signed.id,
        signed_prekey: &signed.key_pair.public,
        signed_prekey_signature: &signed.signature,
    });
    sim.scan(ours, &qr).await.unwrap();
    let jid = paired_then_connected(&mut client_events).await;
    let our_login = config.payload.login_payload(&jid).unwrap();
    client.disconnect().await;

    let (their_registration, their_props) = registration_shape(payloads[0].clone());
    let (our_registration, our_props) = registration_shape(our_registration);
    assert_eq!(our_props, their_props, "DeviceProps differ");
    assert_eq!(
        our_registration, their_registration,
        "registration payloads differ"
    );
    assert_eq!(
        login_shape(our_login),
        login_shape(payloads[1].clone()),
        "login payloads differ"
    );
    // And each login named its own device.
    let ClientRequest::Login(their_login) = parse_client_payload(&payloads[1].encode_to_vec())
        .unwrap()
        .request
    else {
        panic!("Baileys' second payload is not a login");
    };
    assert_eq!(their_login.username.to_string(), theirs);
    assert_eq!(jid.user(), ours);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wasndr_client_and_a_baileys_client_are_logged_in_at_once() {
    if !common::interop_ready() {
        return;
    }
    let sim = wasndr_client::simulator().await;
    let phone = "15550007003";
    sim.create_phone(phone).await.unwrap();

    // Baileys pairs first and stays connected.
    let mut baileys = Baileys::start(&sim, phone, "together");
    let events = baileys.until("open").await;
    let baileys_jid = Jid::parse(steps(&events, "open").next().unwrap()["me"].as_str().unwrap()).unwrap();
    assert_eq!(baileys_jid.user(), phone);

    // Then ours, as a second companion of the same phone.
    let (client, _client_events, jid) = wasndr_client::pair_by_qr(&sim, phone, memory_store()).await;
    assert_ne!(jid.device(), baileys_jid.device());
    assert_eq!(
        sim.phones()[0].devices,
        vec![0, baileys_jid.device(), jid.device()]
    );
    assert!(
        sim.is_connected(phone, baileys_jid.device()),
        "Baileys is logged in"
    );
    assert!(sim.is_connected(phone, jid.device()), "wasndr is logged in");
    assert_eq!(client.state(), ConnectionState::Connected);
    let ping = Node::new("iq")
        .attr("to", Jid::server())
        .attr("type", "get")
        .attr("xmlns", "w:p")
        .children([Node::new("ping")]);
    client.send_iq(ping).await.unwrap();

    // Both still up; then each leaves cleanly.
    assert!(sim.is_connected(phone, baileys_jid.device()));
    baileys.finish().await;
    assert_eq!(client.state(), ConnectionState::Connected);
    client.disconnect().await;
}
