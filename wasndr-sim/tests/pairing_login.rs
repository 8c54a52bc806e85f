//! Pairing and login against the simulator with a minimal test companion: QR (URL and bare forms),
//! success with lid, passive/active with the offline queue, 401 for unknown and removed devices, 440
//! conflict for a second connection, link-code pairing.

#![allow(clippy::unwrap_used)]

mod common;

use common::client::{TestClient, login_payload};
use common::{pair, simulator};
use wasndr_core::binary::Node;
use wasndr_core::jid::Jid;

const PHONE: &str = "15550004444";

async fn login(sim: &wasndr_sim::SimHandle, keys: &common::client::CompanionKeys, device: u32) -> TestClient {
    let mut client = TestClient::connect(&sim.info(), &keys.noise, &login_payload(PHONE, device, true)).await;
    let success = client.expect("success").await;
    let lid = success.attr_jid("lid").unwrap().to_owned();
    assert_eq!(lid.device(), device as u16);
    assert!(success.attr_str("t").is_some());
    client
}

fn active(id: &str) -> Node {
    Node::new("iq")
        .attr("id", id.to_owned())
        .attr("to", Jid::server())
        .attr("type", "set")
        .attr("xmlns", "passive")
        .children([Node::new("active")])
}

#[tokio::test]
async fn qr_pairing_in_both_forms_then_login() {
    let sim = simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let (first, device) = pair(&sim, PHONE, 1, false).await;
    assert_eq!(device, 1);
    let (_, second) = pair(&sim, PHONE, 2, true).await;
    assert_eq!(second, 2);
    assert_eq!(sim.phones()[0].devices, vec![0, 1, 2]);

    let mut client = login(&sim, &first, device).await;
    let answer = client.iq(active("a-1")).await;
    assert_eq!(answer.attr_str("type"), Some("result"));
    // Device 1 was offline when device 2 paired: the account's own `devices` notification waited.
    let notice = client.expect("notification").await;
    assert_eq!(notice.attr_str("type"), Some("devices"));
    assert_eq!(notice.attr_str("offline"), Some("1"));
    let added = notice.child("add").unwrap();
    let added_device = added.child("device").unwrap().attr_jid("jid").unwrap().to_owned();
    assert_eq!(added_device, Jid::pn(PHONE).with_device(2));
    assert!(added.child("key-index-list").unwrap().attr_str("ts").is_some());
    let offline = client.expect("ib").await;
    assert_eq!(offline.child("offline").unwrap().attr_str("count"), Some("1"));
    // Prekey count before and after an upload.
    let count = client
        .iq(Node::new("iq")
            .attr("id", "c-1")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "encrypt")
            .children([Node::new("count")]))
        .await;
    assert_eq!(count.child("count").unwrap().attr_str("value"), Some("0"));
}

#[tokio::test]
async fn the_offline_queue_is_delivered_in_order_after_active() {
    let sim = simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    sim.create_phone("15550005555").await.unwrap();
    let (keys, device) = pair(&sim, PHONE, 3, false).await;
    // The peer writes while the companion is offline; the companion's own phone copies too.
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        ids.push(sim.send_text("15550005555", PHONE, text).await.unwrap());
    }
    let mut client = login(&sim, &keys, device).await;
    client.send(&active("a-2")).await;
    let mut delivered = Vec::new();
    loop {
        let node = client.recv().await.unwrap();
        match node.tag.as_ref() {
            "message" => {
                assert_eq!(node.attr_str("offline"), Some("1"));
                assert_eq!(node.attr_jid("from").unwrap().user(), "15550005555");
                assert_eq!(node.child("enc").unwrap().attr_str("type"), Some("pkmsg"));
                delivered.push(node.attr_str("id").unwrap().to_owned());
            }
            "ib" => {
                assert_eq!(node.child("offline").unwrap().attr_str("count"), Some("3"));
                break;
            }
            _ => {}
        }
    }
    assert_eq!(delivered, ids);
}

#[tokio::test]
async fn unknown_and_removed_devices_get_401_and_a_second_connection_replaces_the_first() {
    let sim = simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let (keys, device) = pair(&sim, PHONE, 4, false).await;

    // Unknown device number.
    let mut stranger = TestClient::connect(&sim.info(), &keys.noise, &login_payload(PHONE, 9, true)).await;
    let failure = stranger.closed().await.unwrap();
    assert_eq!(
        (failure.tag.as_ref(), failure.attr_str("reason")),
        ("failure", Some("401"))
    );
    // Right device number, wrong Noise key.
    let other = common::client::CompanionKeys::generate(99);
    let mut impostor =
        TestClient::connect(&sim.info(), &other.noise, &login_payload(PHONE, device, true)).await;
    assert_eq!(impostor.closed().await.unwrap().attr_str("reason"), Some("401"));

    let mut first = login(&sim, &keys, device).await;
    let _second = login(&sim, &keys, device).await;
    let replaced = first.closed().await.unwrap();
    assert_eq!(replaced.tag, "stream:error");
    assert_eq!(
        replaced.child("conflict").unwrap().attr_str("type"),
        Some("replaced")
    );

    assert!(sim.remove_device(PHONE, device as u16).unwrap());
    let mut removed =
        TestClient::connect(&sim.info(), &keys.noise, &login_payload(PHONE, device, true)).await;
    assert_eq!(removed.closed().await.unwrap().attr_str("reason"), Some("401"));
}

#[tokio::test]
async fn link_code_pairing() {
    use wasndr_core::pair::companion::verify_and_countersign;
    use wasndr_core::pair::link_code::CompanionLinkCode;
    use wasndr_core::pair::stanza::{PairDeviceSign, PairSuccess};
    let sim = simulator().await;
    sim.create_phone(PHONE).await.unwrap();
    let keys = common::client::CompanionKeys::generate(5);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(5);
    let mut companion = TestClient::connect(&sim.info(), &keys.noise, &keys.registration_payload()).await;
    companion.expect("iq").await; // pair-device (ignored: we pair by code)
    let link = CompanionLinkCode::new(&mut rng);
    let hello = Node::new("iq")
        .attr("id", "lc-1")
        .attr("to", Jid::server())
        .attr("type", "set")
        .attr("xmlns", "md")
        .children([Node::new("link_code_companion_reg")
            .attr("jid", Jid::pn(PHONE))
            .attr("stage", "companion_hello")
            .attr("should_show_push_notification", "true")
            .children([
                Node::new("link_code_pairing_wrapped_companion_ephemeral_pub")
                    .bytes(link.wrapped_ephemeral(&mut rng).to_vec()),
                Node::new("companion_server_auth_key_pub").bytes(keys.noise.public.as_bytes().to_vec()),
                Node::new("companion_platform_id").text("1"),
                Node::new("companion_platform_display").text("Chrome (Linux)"),
                Node::new("link_code_pairing_nonce").bytes(vec![0]),
            ])]);
    let answer = companion.iq(hello).await;
    let pairing_ref = answer
        .child("link_code_companion_reg")
        .and_then(|reg| reg.child("link_code_pairing_ref"))
        .and_then(Node::content_bytes)
        .unwrap()
        .to_vec();
    let typed = {
        let sim = sim.clone();
        let code = link.code().to_lowercase();
        tokio::spawn(async move { sim.enter_link_code(PHONE, &code).await })
    };
    let notification = companion.expect("notification").await;
    let reg = notification.child("link_code_companion_reg").unwrap();
    assert_eq!(
        reg.child("link_code_pairing_ref")
            .unwrap()
            .content_bytes()
            .unwrap(),
        pairing_ref.as_slice()
    );
    let primary_identity = wasndr_core::crypto::PublicKey::from_slice(
        reg.child("primary_identity_pub")
            .unwrap()
            .content_bytes()
            .unwrap(),
    )
    .unwrap();
    let wrapped = reg
        .child("link_code_pairing_wrapped_primary_ephemeral_pub")
        .unwrap()
        .content_bytes()
        .unwrap();
    let finish = link
        .finish(wrapped, &primary_identity, &keys.identity, &mut rng)
        .unwrap();
    companion
        .send(
            &Node::new("iq")
                .attr("id", "lc-2")
                .attr("to", Jid::server())
                .attr("type", "set")
                .attr("xmlns", "md")
                .children([Node::new("link_code_companion_reg")
                    .attr("jid", Jid::pn(PHONE))
                    .attr("stage", "companion_finish")
                    .children([
                        Node::new("link_code_pairing_wrapped_key_bundle")
                            .bytes(finish.wrapped_key_bundle.clone()),
                        Node::new("companion_identity_public")
                            .bytes(keys.identity.public().as_bytes().to_vec()),
                        Node::new("link_code_pairing_ref").bytes(pairing_ref),
                    ])]),
        )
        .await;
    let success = loop {
        let iq = companion.expect("iq").await;
        if iq.child("pair-success").is_some() {
            break common::with_ref(&iq, PairSuccess::from_node).unwrap();
        }
    };
    // The pair-success HMAC uses the new ADV secret, not the one from the (unused) QR.
    let paired = verify_and_countersign(
        &success.device_identity,
        &finish.adv_secret,
        &keys.identity,
        &mut rng,
    )
    .unwrap();
    companion
        .send(
            &PairDeviceSign {
                id: success.id,
                key_index: paired.key_index(),
                device_identity: paired.reply_identity(),
            }
            .to_node(),
        )
        .await;
    assert_eq!(companion.closed().await.unwrap().attr_str("code"), Some("515"));
    assert_eq!(typed.await.unwrap().unwrap(), format!("{PHONE}:1@s.whatsapp.net"));
}
