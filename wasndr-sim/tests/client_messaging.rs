//! Messaging through wasndr-core's `Client` against the in-process simulator: wasndr clients (each
//! paired to its own virtual phone) and the phones themselves exchanging real Signal-encrypted
//! messages. 1:1 both ways with history and receipts, our own second device getting device-sent
//! copies, a group of three with sender keys, a poll tallied from decrypted votes, a session lost on
//! one side and rebuilt through retry receipts, corrupt ciphertext answered with a retry receipt, and
//! a message type we do not model kept raw (its redelivery dropped as a duplicate).

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::sync::Arc;

use wasndr_client::{WAIT, memory_store, next_event, pair_by_qr};
use wasndr_core::binary::Node;
use wasndr_core::client::{Client, Event, Events, MessageEvent, ReceiptEvent, ReceiptKind};
use wasndr_core::jid::Jid;
use wasndr_core::message::{self, plain_text, protocol_address};
use wasndr_core::store::{HistoryQuery, MessageStatus, Store};
use wasndr_sim::SimHandle;

const ALICE: &str = "15550100001";
const BOB: &str = "15550100002";
const CAROL: &str = "15550100003";

/// A wasndr client paired to a virtual phone.
struct Party {
    client: Client,
    events: Events,
    jid: Jid,
    store: Arc<dyn Store>,
}

impl Party {
    async fn pair(sim: &SimHandle, phone: &str) -> Party {
        let store = memory_store();
        let (client, events, jid) = pair_by_qr(sim, phone, store.clone()).await;
        Party {
            client,
            events,
            jid,
            store,
        }
    }

    fn account(&self) -> Jid {
        self.jid.to_non_ad()
    }

    /// The next event that matches `pick`, skipping the others.
    async fn wait_for<T>(&mut self, what: &str, mut pick: impl FnMut(Event) -> Option<T>) -> T {
        let found = tokio::time::timeout(WAIT, async {
            loop {
                if let Some(found) = pick(next_event(&mut self.events).await) {
                    return found;
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("{} waited in vain for {what}", self.jid))
    }

    /// The next message event.
    async fn message(&mut self) -> MessageEvent {
        self.wait_for("a message", |event| match event {
            Event::Message(message) => Some(*message),
            _ => None,
        })
        .await
    }

    /// The next receipt of `kind` covering `id`.
    async fn receipt(&mut self, id: &str, kind: ReceiptKind) -> ReceiptEvent {
        self.wait_for("a receipt", |event| match event {
            Event::Receipt(receipt) if receipt.kind == kind && receipt.ids.iter().any(|i| i == id) => {
                Some(receipt)
            }
            _ => None,
        })
        .await
    }

    async fn status(&self, chat: &Jid, id: &str) -> MessageStatus {
        self.store.message(chat, id).await.unwrap().unwrap().status
    }
}

fn text_of(event: &MessageEvent) -> Option<&str> {
    event.message.as_ref().and_then(plain_text)
}

async fn sim_with_phones(phones: &[&str]) -> SimHandle {
    let sim = wasndr_client::simulator().await;
    for phone in phones {
        sim.create_phone(phone).await.unwrap();
    }
    sim
}

#[tokio::test]
async fn one_to_one_text_both_ways_with_receipts_replies_and_history() {
    let sim = sim_with_phones(&[ALICE, BOB]).await;
    let mut alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;

    let sent = alice.client.send_text(&bob.account(), "hello Bob").await.unwrap();
    assert!(sent.id.starts_with("3EB0") && sent.id.len() == 22, "{}", sent.id);
    assert_eq!(sent.to, bob.account());
    let stored = alice
        .store
        .message(&bob.account(), &sent.id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.from_me);
    assert_eq!(stored.text.as_deref(), Some("hello Bob"));
    assert!(
        stored.status.rank() >= MessageStatus::Sent.rank(),
        "{:?}",
        stored.status
    );

    let received = bob.message().await;
    assert_eq!(text_of(&received), Some("hello Bob"));
    assert_eq!(received.info.id, sent.id);
    assert_eq!(received.info.chat, alice.account());
    assert_eq!(received.info.sender, alice.jid);
    assert!(!received.info.from_me && !received.info.is_group);
    let row = bob
        .store
        .message(&alice.account(), &sent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.text.as_deref(), Some("hello Bob"));
    assert_eq!(row.message_type, "text");

    // Bob's phone and Alice's own phone (a device-sent copy, filed under Bob) decrypted it too.
    let at_bob_phone = sim.wait_for_messages(BOB, 1, WAIT).await.unwrap();
    assert_eq!(at_bob_phone[0].text, "hello Bob");
    let at_alice_phone = sim.wait_for_messages(ALICE, 1, WAIT).await.unwrap();
    assert_eq!(at_alice_phone[0].text, "hello Bob");
    assert_eq!(at_alice_phone[0].chat, bob.account().to_string());

    // Delivery, then read: each moves the stored status, before the event.
    alice.receipt(&sent.id, ReceiptKind::Delivered).await;
    assert!(alice.status(&bob.account(), &sent.id).await.rank() >= MessageStatus::Delivered.rank());
    bob.client
        .mark_read(&alice.account(), None, std::slice::from_ref(&sent.id))
        .await
        .unwrap();
    let read = alice.receipt(&sent.id, ReceiptKind::Read).await;
    assert_eq!(read.chat, bob.account());
    assert_eq!(read.sender.user(), BOB);
    assert_eq!(alice.status(&bob.account(), &sent.id).await, MessageStatus::Read);

    // Bob answers with a reply quoting it; Alice sees the quote.
    let reply = bob
        .client
        .send_reply(&alice.account(), "hi Alice", &row)
        .await
        .unwrap();
    let at_alice = alice.message().await;
    assert_eq!(at_alice.info.id, reply.id);
    assert_eq!(text_of(&at_alice), Some("hi Alice"));
    let context = at_alice
        .message
        .as_ref()
        .and_then(|m| m.extended_text_message.as_ref())
        .and_then(|x| x.context_info.as_ref())
        .unwrap();
    assert_eq!(context.stanza_id.as_deref(), Some(sent.id.as_str()));
    assert_eq!(
        context
            .quoted_message
            .as_ref()
            .and_then(|m| m.conversation.as_deref()),
        Some("hello Bob")
    );

    // More both ways on the settled sessions; a reaction too.
    for n in 0..3 {
        alice
            .client
            .send_text(&bob.account(), &format!("ping {n}"))
            .await
            .unwrap();
        assert_eq!(text_of(&bob.message().await), Some(format!("ping {n}").as_str()));
        bob.client
            .send_text(&alice.account(), &format!("pong {n}"))
            .await
            .unwrap();
        assert_eq!(
            text_of(&alice.message().await),
            Some(format!("pong {n}").as_str())
        );
    }
    bob.client
        .send_reaction(&alice.account(), &sent.id, None, false, "👍")
        .await
        .unwrap();
    let reaction = alice.message().await;
    let reacted = reaction
        .message
        .as_ref()
        .and_then(|m| m.reaction_message.as_ref())
        .unwrap();
    assert_eq!(reacted.text.as_deref(), Some("👍"));
    assert_eq!(
        reacted.key.as_ref().and_then(|k| k.id.as_deref()),
        Some(sent.id.as_str())
    );

    // History: by chat, and by text.
    let chat = alice
        .store
        .messages(&HistoryQuery {
            chat: Some(bob.account()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(chat.total, 9, "hello, hi, 3 pings, 3 pongs, a reaction");
    let found = alice
        .store
        .messages(&HistoryQuery {
            search: Some("PONG".into()),
            ..HistoryQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, 3);
    assert!(found.items.iter().all(|m| !m.from_me && m.chat == bob.account()));
}

#[tokio::test]
async fn a_client_and_a_virtual_phone_talk_both_ways() {
    let sim = sim_with_phones(&[ALICE, CAROL]).await;
    let mut alice = Party::pair(&sim, ALICE).await;

    let id = sim
        .send_text(CAROL, &alice.account().to_string(), "from Carol's phone")
        .await
        .unwrap();
    let received = alice.message().await;
    assert_eq!(received.info.id, id);
    assert_eq!(text_of(&received), Some("from Carol's phone"));
    assert_eq!(received.info.chat, Jid::pn(CAROL));

    let carol = Jid::pn(CAROL);
    alice.client.send_text(&carol, "to Carol's phone").await.unwrap();
    let at_carol = sim.wait_for_messages(CAROL, 1, WAIT).await.unwrap();
    assert_eq!(at_carol[0].text, "to Carol's phone");
    assert_eq!(at_carol[0].from, alice.account().to_string());
}

#[tokio::test]
async fn our_second_device_gets_device_sent_copies() {
    let sim = sim_with_phones(&[ALICE, BOB]).await;
    let alice = Party::pair(&sim, ALICE).await;
    let mut alice_laptop = Party::pair(&sim, ALICE).await;
    assert_ne!(alice.jid, alice_laptop.jid);
    let mut bob = Party::pair(&sim, BOB).await;

    let sent = alice
        .client
        .send_text(&bob.account(), "seen everywhere")
        .await
        .unwrap();
    let copy = alice_laptop.message().await;
    assert_eq!(copy.info.id, sent.id);
    assert!(copy.info.from_me);
    assert_eq!(copy.info.chat, bob.account(), "filed under the recipient");
    assert_eq!(text_of(&copy), Some("seen everywhere"));
    let row = alice_laptop
        .store
        .message(&bob.account(), &sent.id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.from_me);
    assert_eq!(text_of(&bob.message().await), Some("seen everywhere"));
}

#[tokio::test]
async fn a_group_of_three_with_sender_keys_and_a_tallied_poll() {
    let sim = sim_with_phones(&[ALICE, BOB, CAROL]).await;
    let mut alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;
    let group = Jid::parse(&sim.create_group(ALICE, "Team", &[BOB, CAROL]).unwrap()).unwrap();

    let first = alice.client.send_text(&group, "hello team").await.unwrap();
    let at_bob = bob.message().await;
    assert_eq!(at_bob.info.id, first.id);
    assert_eq!(at_bob.info.chat, group);
    assert!(at_bob.info.is_group);
    assert_eq!(at_bob.info.sender, alice.jid);
    assert_eq!(text_of(&at_bob), Some("hello team"));
    let at_carol = sim.wait_for_messages(CAROL, 1, WAIT).await.unwrap();
    assert_eq!(at_carol[0].text, "hello team");
    assert_eq!(at_carol[0].chat, group.to_string());

    // The second message is a bare skmsg (everyone holds the key) and still reads everywhere.
    alice.client.send_text(&group, "second").await.unwrap();
    assert_eq!(text_of(&bob.message().await), Some("second"));
    let at_carol = sim.wait_for_messages(CAROL, 2, WAIT).await.unwrap();
    assert_eq!(at_carol[1].text, "second");

    // Bob writes with his own sender key; Carol's phone writes with hers.
    bob.client.send_text(&group, "Bob here").await.unwrap();
    let at_alice = alice.message().await;
    assert_eq!(text_of(&at_alice), Some("Bob here"));
    assert_eq!(at_alice.info.sender, bob.jid);
    sim.send_text(CAROL, &group.to_string(), "Carol here")
        .await
        .unwrap();
    assert_eq!(text_of(&alice.message().await), Some("Carol here"));
    assert_eq!(text_of(&bob.message().await), Some("Carol here"));

    // A poll: Bob decrypts it, stores its secret, and votes; Alice decrypts the vote and tallies it.
    let options = vec!["Pizza".to_owned(), "Sushi".to_owned()];
    let poll = alice
        .client
        .send_poll(&group, "Lunch?", &options, 1)
        .await
        .unwrap();
    let poll_at_bob = bob.message().await;
    assert_eq!(poll_at_bob.info.id, poll.id);
    let secret = bob
        .store
        .message_secret(&group, &alice.account(), &poll.id)
        .await
        .unwrap()
        .expect("the poll's secret is stored on receipt");
    assert_eq!(secret.len(), 32);
    let (bob_account, alice_account) = (bob.account(), alice.account());
    bob.client
        .send_poll_vote(&group, &poll.id, &alice_account, &["Sushi".to_owned()])
        .await
        .unwrap();
    let (poll_id, voter, selected) = alice
        .wait_for("a poll vote", |event| match event {
            Event::PollVote {
                poll_id,
                voter,
                selected,
                ..
            } => Some((poll_id, voter, selected)),
            _ => None,
        })
        .await;
    assert_eq!((poll_id.as_str(), &voter), (poll.id.as_str(), &bob_account));
    assert_eq!(selected, ["Sushi"]);
    let results = alice.client.poll_results(&group, &poll.id).await.unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!((results[0].name.as_str(), results[0].voters.len()), ("Pizza", 0));
    assert_eq!(results[1].name, "Sushi");
    assert_eq!(results[1].voters, vec![bob_account.clone()]);

    // Alice votes in her own poll: Bob decrypts that vote too, and both tallies agree.
    alice
        .client
        .send_poll_vote(&group, &poll.id, &alice_account, &["Pizza".to_owned()])
        .await
        .unwrap();
    let (voter, selected) = bob
        .wait_for("Alice's vote", |event| match event {
            Event::PollVote { voter, selected, .. } => Some((voter, selected)),
            _ => None,
        })
        .await;
    assert_eq!(
        (&voter, selected.as_slice()),
        (&alice_account, &["Pizza".to_owned()][..])
    );
    for party in [&alice, &bob] {
        let results = party.client.poll_results(&group, &poll.id).await.unwrap();
        assert_eq!(results[0].voters, vec![alice_account.clone()], "{}", party.jid);
        assert_eq!(results[1].voters, vec![bob_account.clone()], "{}", party.jid);
    }
}

#[tokio::test]
async fn a_lost_session_is_rebuilt_through_retry_receipts() {
    let sim = sim_with_phones(&[ALICE, BOB]).await;
    let mut alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;
    alice.client.send_text(&bob.account(), "first").await.unwrap();
    assert_eq!(text_of(&bob.message().await), Some("first"));
    bob.client.send_text(&alice.account(), "reply").await.unwrap();
    assert_eq!(text_of(&alice.message().await), Some("reply"));

    // Bob loses his session with Alice's companion.
    bob.store
        .delete_session(&protocol_address(&alice.jid))
        .await
        .unwrap();
    // Behind Bob's client, which caches its sessions: it must read the store again.
    bob.client.forget_cached_state().await.unwrap();
    let sent = alice
        .client
        .send_text(&bob.account(), "after the loss")
        .await
        .unwrap();
    let mut failures = Vec::new();
    let received = bob
        .wait_for("the resent message", |event| match event {
            Event::UndecryptableMessage {
                info, retry_count, ..
            } => {
                assert_eq!(info.id, sent.id);
                failures.push(retry_count);
                None
            }
            Event::Message(message) => Some(*message),
            _ => None,
        })
        .await;
    assert_eq!(received.info.id, sent.id);
    assert_eq!(text_of(&received), Some("after the loss"));
    assert_eq!(
        failures,
        [Some(1), Some(2)],
        "a resend on the old session, then a fresh one from the keys of retry #2"
    );
    // The rebuilt session carries on both ways.
    bob.client
        .send_text(&alice.account(), "back again")
        .await
        .unwrap();
    assert_eq!(text_of(&alice.message().await), Some("back again"));
    alice.client.send_text(&bob.account(), "great").await.unwrap();
    assert_eq!(text_of(&bob.message().await), Some("great"));
}

#[tokio::test]
async fn corrupt_ciphertext_gets_a_retry_receipt_and_breaks_nothing() {
    let sim = sim_with_phones(&[ALICE, BOB]).await;
    let alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;

    // A stanza whose ciphertext is garbage, routed by the simulator like any other.
    let bad_id = "3EB0BADBADBADBADBADBAD";
    let garbage = Node::new("enc")
        .attr("type", "msg")
        .attr("v", "2")
        .bytes(vec![0x33, 0x0a, 0xff, 0x00, 0x13, 0x37]);
    let stanza = Node::new("message")
        .attr("id", bad_id)
        .attr("to", bob.account())
        .attr("type", "text")
        .children([Node::new("participants")
            .children([Node::new("to").attr("jid", bob.jid.clone()).children([garbage])])]);
    alice.client.send_node(&stanza).await.unwrap();
    let (info, retry_count) = bob
        .wait_for("the undecryptable message", |event| match event {
            Event::UndecryptableMessage {
                info, retry_count, ..
            } => Some((info, retry_count)),
            _ => None,
        })
        .await;
    assert_eq!(info.id, bad_id);
    assert_eq!(info.sender, alice.jid);
    assert_eq!(retry_count, Some(1));
    assert!(
        bob.store
            .message(&alice.account(), bad_id)
            .await
            .unwrap()
            .is_none(),
        "nothing stored"
    );

    // Bob carries on as before.
    alice
        .client
        .send_text(&bob.account(), "still fine")
        .await
        .unwrap();
    assert_eq!(text_of(&bob.message().await), Some("still fine"));
}

#[tokio::test]
async fn a_message_of_a_type_we_do_not_model_is_stored_raw_and_reported_once() {
    use wasndr_core::signal::session;
    let sim = sim_with_phones(&[ALICE, BOB]).await;
    let alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;
    alice.client.send_text(&bob.account(), "first").await.unwrap();
    assert_eq!(text_of(&bob.message().await), Some("first"));
    // Alice's client cached the devices it sent to; nothing asks the server again while that holds.
    assert!(alice.store.device_list(&bob.account()).await.unwrap().is_some());

    // A plaintext whose only field (number 4000, varint 1) is not in our schema, encrypted on Alice's
    // stored session with Bob's companion as a newer client would send it.
    let raw = vec![0x80, 0xfa, 0x01, 0x01];
    let address = protocol_address(&bob.jid);
    let record = alice.store.load_session(&address).await.unwrap().unwrap();
    let encrypted = session::encrypt(&record, &message::pad(&raw, 3)).unwrap();
    alice
        .store
        .store_session(&address, &encrypted.record)
        .await
        .unwrap();
    // Behind Alice's client, which caches its sessions: it must read this one again.
    alice.client.forget_cached_state().await.unwrap();
    let id = "3EB0F00DF00DF00DF00DF0";
    let stanza = wasndr_client::single_device_message(id, &bob.account(), &bob.jid, encrypted.message);
    alice.client.send_node(&stanza).await.unwrap();

    let received = bob.message().await;
    assert_eq!(received.info.id, id);
    assert_eq!(&received.raw[..], &raw[..], "the plaintext as it came");
    let row = bob.store.message(&alice.account(), id).await.unwrap().unwrap();
    assert_eq!(row.message_type, "unknown");
    assert_eq!(row.raw, raw);

    // The same ciphertext delivered again is a duplicate: dropped without an event, and Bob goes on.
    alice.client.send_node(&stanza).await.unwrap();
    let next = alice
        .client
        .send_text(&bob.account(), "after the duplicate")
        .await
        .unwrap();
    let received = bob.message().await;
    assert_eq!(received.info.id, next.id, "no second event for the duplicate");
    assert_eq!(text_of(&received), Some("after the duplicate"));
}

#[tokio::test]
async fn a_lost_sender_key_is_redistributed_through_a_group_retry() {
    use wasndr_core::signal::SenderKeyName;
    let sim = sim_with_phones(&[ALICE, BOB, CAROL]).await;
    let alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;
    let group = Jid::parse(&sim.create_group(ALICE, "Team", &[BOB, CAROL]).unwrap()).unwrap();
    alice.client.send_text(&group, "key goes out").await.unwrap();
    assert_eq!(text_of(&bob.message().await), Some("key goes out"));

    // Bob loses Alice's sender key; Alice believes he holds it, so her next message is a bare skmsg.
    let name = SenderKeyName::new(group.to_string(), protocol_address(&alice.jid));
    bob.store.delete_sender_key(&name).await.unwrap();
    // Behind Bob's client, which caches its sender keys: it must read the store again.
    bob.client.forget_cached_state().await.unwrap();
    let sent = alice
        .client
        .send_text(&group, "can you read this?")
        .await
        .unwrap();
    let mut failures = Vec::new();
    let received = bob
        .wait_for("the resent group message", |event| match event {
            Event::UndecryptableMessage {
                info, retry_count, ..
            } => {
                assert_eq!((info.id.as_str(), info.is_group), (sent.id.as_str(), true));
                failures.push(retry_count);
                None
            }
            Event::Message(message) => Some(*message),
            _ => None,
        })
        .await;
    assert_eq!(
        failures,
        [Some(1)],
        "one retry receipt (with keys), answered pairwise"
    );
    assert_eq!(received.info.id, sent.id);
    assert_eq!(received.info.chat, group);
    assert_eq!(text_of(&received), Some("can you read this?"));
    // The key came with the resend: the next bare skmsg reads again, and Carol's phone read them all.
    alice.client.send_text(&group, "welcome back").await.unwrap();
    assert_eq!(text_of(&bob.message().await), Some("welcome back"));
    let at_carol = sim.wait_for_messages(CAROL, 3, WAIT).await.unwrap();
    assert_eq!(at_carol[2].text, "welcome back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_both_ways_all_arrive_in_full() {
    const EACH: usize = 25;
    let sim = sim_with_phones(&[ALICE, BOB]).await;
    let mut alice = Party::pair(&sim, ALICE).await;
    let mut bob = Party::pair(&sim, BOB).await;
    // Both start at once with no session yet: each side's first messages race the other's prekey
    // messages, and every send races the receives on the same ratchets.
    let spawn_sends = |from: &Party, to: Jid, tag: &'static str| {
        let client = from.client.clone();
        tokio::spawn(async move {
            let sends: Vec<_> = (0..EACH)
                .map(|n| {
                    let (client, to) = (client.clone(), to.clone());
                    tokio::spawn(async move { client.send_text(&to, &format!("{tag} {n}")).await })
                })
                .collect();
            for send in sends {
                send.await.unwrap().unwrap();
            }
        })
    };
    let from_alice = spawn_sends(&alice, bob.account(), "a");
    let from_bob = spawn_sends(&bob, alice.account(), "b");
    let mut at_bob = Vec::new();
    let mut at_alice = Vec::new();
    for _ in 0..EACH {
        at_bob.push(text_of(&bob.message().await).unwrap().to_owned());
        at_alice.push(text_of(&alice.message().await).unwrap().to_owned());
    }
    from_alice.await.unwrap();
    from_bob.await.unwrap();
    at_bob.sort();
    at_alice.sort();
    let expected = |tag: &str| {
        let mut all: Vec<String> = (0..EACH).map(|n| format!("{tag} {n}")).collect();
        all.sort();
        all
    };
    assert_eq!(at_bob, expected("a"));
    assert_eq!(at_alice, expected("b"));
}

#[tokio::test]
async fn a_number_not_on_whatsapp_gets_nothing_and_we_are_told() {
    let sim = sim_with_phones(&[ALICE]).await;
    let alice = Party::pair(&sim, ALICE).await;
    let nobody = Jid::pn("15559999999");
    let error = alice
        .client
        .send_text(&nobody, "anyone there?")
        .await
        .unwrap_err();
    assert!(matches!(error, wasndr_core::Error::NoDevices(_)), "{error:?}");
    let history = alice.store.messages(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history.total, 0, "nothing recorded as sent");
    // Our own phone got no lone device-sent copy either.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(sim.messages(ALICE).unwrap().is_empty());
}

#[tokio::test]
async fn a_member_leaving_makes_the_others_use_a_new_sender_key() {
    use wasndr_core::signal::SenderKeyName;
    use wasndr_core::stanza::ParticipantAction;
    let sim = sim_with_phones(&[ALICE, BOB, CAROL]).await;
    let mut alice = Party::pair(&sim, ALICE).await;
    let bob = Party::pair(&sim, BOB).await;
    let group = Jid::parse(&sim.create_group(ALICE, "Team", &[BOB, CAROL]).unwrap()).unwrap();
    bob.client.send_text(&group, "before").await.unwrap();
    assert_eq!(text_of(&alice.message().await), Some("before"));
    let name = SenderKeyName::new(group.to_string(), protocol_address(&bob.jid));
    let key_id = |record: Option<wasndr_core::signal::group::SenderKeyRecord>| {
        record.unwrap().newest().unwrap().key_id()
    };
    let old_key = key_id(bob.store.load_sender_key(&name).await.unwrap());
    alice.client.send_text(&group, "admin before").await.unwrap();
    let alice_name = SenderKeyName::new(group.to_string(), protocol_address(&alice.jid));
    let alice_old_key = key_id(alice.store.load_sender_key(&alice_name).await.unwrap());

    // Alice (an admin) removes Carol through the API; the server's notification makes Bob drop his
    // key, and Alice, who gets no notification for her own change, drops hers in the call.
    let results = alice
        .client
        .update_group_participants(&group, ParticipantAction::Remove, &[Jid::pn(CAROL)])
        .await
        .unwrap();
    assert!(results.iter().all(|r| r.succeeded()), "{results:?}");
    assert!(
        alice.store.load_sender_key(&alice_name).await.unwrap().is_none(),
        "the remover dropped its own sender key"
    );
    alice.client.send_text(&group, "admin after").await.unwrap();
    assert_ne!(
        alice_old_key,
        key_id(alice.store.load_sender_key(&alice_name).await.unwrap()),
        "the remover sends under a new key"
    );
    tokio::time::timeout(WAIT, async {
        while bob.store.load_sender_key(&name).await.unwrap().is_some() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("Bob dropped his sender key when Carol was removed");

    // Bob's next message goes out under a new key, distributed afresh; Alice reads it.
    bob.client.send_text(&group, "after").await.unwrap();
    assert_eq!(text_of(&alice.message().await), Some("after"));
    let new_key = key_id(bob.store.load_sender_key(&name).await.unwrap());
    assert_ne!(old_key, new_key, "a new sender key after a member left");
    let at_carol = sim.messages(CAROL).unwrap();
    assert!(at_carol.iter().all(|m| m.text != "after"), "Carol is out");
}

#[tokio::test]
async fn a_note_to_self_reaches_our_other_devices() {
    let sim = sim_with_phones(&[ALICE]).await;
    let alice = Party::pair(&sim, ALICE).await;
    let mut laptop = Party::pair(&sim, ALICE).await;
    let sent = alice
        .client
        .send_text(&alice.account(), "note to self")
        .await
        .unwrap();
    let copy = laptop.message().await;
    assert_eq!(copy.info.id, sent.id);
    assert!(copy.info.from_me);
    assert_eq!(copy.info.chat, alice.account());
    assert_eq!(text_of(&copy), Some("note to self"));
    let at_phone = sim.wait_for_messages(ALICE, 1, WAIT).await.unwrap();
    assert_eq!(at_phone[0].text, "note to self");
}
