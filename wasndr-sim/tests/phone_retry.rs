//! A virtual phone that cannot decrypt a message asks the sender to retry, as wasndr-core's receive
//! pipeline does: retry receipts count up per message id, carry fresh keys from the second one on,
//! and stop after the fourth.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::client::{TestClient, login_payload};
use common::{pair, simulator};
use wasndr_core::binary::Node;
use wasndr_core::jid::Jid;

const SENDER: &str = "15550011001";
const PHONE: &str = "15550011002";

/// A message to the phone whose pairwise ciphertext is not a Signal message.
fn undecryptable(id: &str) -> Node {
    Node::new("message")
        .attr("to", Jid::pn(PHONE))
        .attr("id", id.to_owned())
        .attr("type", "text")
        .children([Node::new("participants").children([Node::new("to")
            .attr("jid", Jid::pn(PHONE).with_device(0))
            .children([Node::new("enc")
                .attr("v", "2")
                .attr("type", "msg")
                .bytes(vec![0x33; 40])])])])
}

/// The next receipt for `id`, or `None` if none comes within `wait`.
async fn receipt_for(client: &mut TestClient, id: &str, wait: Duration) -> Option<Node> {
    tokio::time::timeout(wait, async {
        loop {
            let node = client.expect("receipt").await;
            if node.attr_str("id") == Some(id) {
                return node;
            }
        }
    })
    .await
    .ok()
}

#[tokio::test]
async fn a_phone_that_cannot_decrypt_asks_for_retries_with_keys_then_stops() {
    let sim = simulator().await;
    sim.create_phone(SENDER).await.unwrap();
    sim.create_phone(PHONE).await.unwrap();
    let (keys, device) = pair(&sim, SENDER, 41, false).await;
    let mut sender =
        TestClient::connect(&sim.info(), &keys.noise, &login_payload(SENDER, device, false)).await;
    sender.expect("success").await;

    for count in 1..=4u32 {
        sender.send(&undecryptable("RETRY1")).await;
        let receipt = receipt_for(&mut sender, "RETRY1", Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("retry receipt {count} arrives"));
        assert_eq!(receipt.attr_str("type"), Some("retry"));
        let retry = receipt.child("retry").expect("a <retry> child");
        assert_eq!(retry.attr_str("count"), Some(count.to_string().as_str()));
        assert!(receipt.child("registration").is_some());
        // Keys from the second retry on: the sender may have lost our session.
        assert_eq!(receipt.child("keys").is_some(), count > 1, "retry {count}");
    }
    // The fifth failure is not answered with a retry receipt.
    sender.send(&undecryptable("RETRY1")).await;
    assert!(
        receipt_for(&mut sender, "RETRY1", Duration::from_secs(2))
            .await
            .is_none()
    );
    // Another message id starts counting again, and the phone recorded nothing it could not read.
    sender.send(&undecryptable("RETRY2")).await;
    let receipt = receipt_for(&mut sender, "RETRY2", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(receipt.child("retry").unwrap().attr_str("count"), Some("1"));
    assert!(sim.messages(PHONE).unwrap().is_empty());
}
