//! Parties exchanging messages through the pure send planner and receive pipeline, with only encoded
//! stanza bytes crossing between them: Alice with two devices, Bob and Carol with one, 1:1 and in a
//! group of three. Each device keeps its state in a `MemoryStore`, loads the records a step needs,
//! applies the step's `Changes`, and only then sends the step's stanzas, as the Client will.
//!
//! A small router stands in for the server: it fans a sent `<message>` out to the devices it names (the
//! skmsg to every member device), turns `to` into `from`, and carries receipts back.

// Helpers outside #[test] functions: a panic here is a failed test, not a crash on peer input.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::binary::{self, Content, Node};
use wasndr_core::crypto::KeyPair;
use wasndr_core::jid::Jid;
use wasndr_core::message::{
    self, GroupSend, OwnDevice, PlannedSend, ReceiveContext, ReceiveOutcome, Received, Records, RetryRequest,
    SendRequest, VoteContext, plain_text, protocol_address,
};
use wasndr_core::signal::{IdentityKeyPair, PreKeyBundle, PreKeyRecord, SenderKeyName, SignedPreKeyRecord};
use wasndr_core::stanza::{IncomingMessage, IncomingReceipt};
use wasndr_core::store::{
    AddressingMode, IdentityKeyStore, MemoryStore, MessageStore, PreKeyStore, SenderKeyStore, SessionStore,
    SignedPreKeyStore, TransactionalStore,
};
use wasndr_proto::Message as _;
use wasndr_proto::e2e::Message;

const NOW: u64 = 1_700_000_000;

fn block<F: std::future::Future>(future: F) -> F::Output {
    pollster::block_on(future)
}

/// One linked device with its own store.
struct Device {
    jid: Jid,
    identity: IdentityKeyPair,
    registration_id: u32,
    signed_prekey: SignedPreKeyRecord,
    device_identity: Vec<u8>,
    store: MemoryStore,
    /// Prekeys the "server" has not handed out yet.
    unclaimed: Vec<u32>,
    /// Retry receipts sent per message id (the Client's counter).
    retries: HashMap<String, u32>,
    /// Devices holding our sender key, per group (Baileys' sender-key memory).
    sender_key_memory: HashMap<Jid, HashSet<Jid>>,
}

impl Device {
    fn new(jid: Jid, rng: &mut StdRng) -> Device {
        let identity = IdentityKeyPair::generate(rng);
        let registration_id = 1 + u32::from(jid.device()) + 100 * (jid.user().len() as u32);
        let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, NOW, rng).unwrap();
        let store = MemoryStore::new(identity.clone(), registration_id);
        let prekeys: Vec<PreKeyRecord> = (1..=10)
            .map(|id| PreKeyRecord {
                id,
                key_pair: KeyPair::generate(rng),
            })
            .collect();
        block(store.store_prekeys(&prekeys)).unwrap();
        block(store.store_signed_prekey(&signed_prekey)).unwrap();
        Device {
            device_identity: format!("adv identity of {jid}").into_bytes(),
            jid,
            identity,
            registration_id,
            signed_prekey,
            store,
            unclaimed: (1..=10).collect(),
            retries: HashMap::new(),
            sender_key_memory: HashMap::new(),
        }
    }

    fn own(&self) -> OwnDevice<'_> {
        OwnDevice {
            identity: &self.identity,
            registration_id: self.registration_id,
            pn: &self.jid,
            lid: None,
            device_identity: &self.device_identity,
        }
    }

    /// What the server hands out for this device: a bundle with one unclaimed one-time prekey.
    fn claim_bundle(&mut self) -> PreKeyBundle {
        let id = self.unclaimed.remove(0);
        let prekey = block(self.store.load_prekey(id)).unwrap().unwrap();
        PreKeyBundle {
            registration_id: self.registration_id,
            identity_key: *self.identity.public(),
            signed_prekey_id: self.signed_prekey.id,
            signed_prekey: self.signed_prekey.key_pair.public,
            signed_prekey_signature: self.signed_prekey.signature.to_vec(),
            prekey: Some((id, prekey.key_pair.public)),
        }
    }

    /// Loads sessions and identities of `devices`, and our sender key in `group`.
    fn records_for_send(&self, devices: &[Jid], group: Option<&Jid>) -> Records {
        let mut records = Records::default();
        for device in devices {
            let address = protocol_address(device);
            if let Some(session) = block(self.store.load_session(&address)).unwrap() {
                records.sessions.insert(address.clone(), session);
            }
            if let Some(identity) = block(self.store.remote_identity(&address)).unwrap() {
                records.identities.insert(address, identity);
            }
        }
        if let Some(group) = group {
            let name = SenderKeyName::new(group.to_string(), protocol_address(&self.jid));
            if let Some(record) = block(self.store.load_sender_key(&name)).unwrap() {
                records.sender_keys.insert(name, record);
            }
        }
        records
    }

    fn load(&self, keys: &message::RecordKeys) -> Records {
        let mut records = Records::default();
        for address in &keys.sessions {
            if let Some(session) = block(self.store.load_session(address)).unwrap() {
                records.sessions.insert(address.clone(), session);
            }
            if let Some(identity) = block(self.store.remote_identity(address)).unwrap() {
                records.identities.insert(address.clone(), identity);
            }
        }
        for id in &keys.prekeys {
            if let Some(prekey) = block(self.store.load_prekey(*id)).unwrap() {
                records.prekeys.insert(*id, prekey);
            }
        }
        for id in &keys.signed_prekeys {
            if let Some(signed) = block(self.store.load_signed_prekey(*id)).unwrap() {
                records.signed_prekeys.insert(*id, signed);
            }
        }
        for name in &keys.sender_keys {
            if let Some(record) = block(self.store.load_sender_key(name)).unwrap() {
                records.sender_keys.insert(name.clone(), record);
            }
        }
        records
    }

    /// Receives an incoming `<message>` from its bytes: loads records, runs the pipeline, applies the
    /// changes, and returns the result with its replies encoded.
    fn receive(&mut self, payload: &[u8], rng: &mut StdRng) -> (Received, Vec<Vec<u8>>) {
        let body = binary::unpack(payload).unwrap();
        let tree = binary::decode_node(&body).unwrap();
        let incoming = IncomingMessage::parse(tree.root()).unwrap();
        let keys = message::needed_records(&incoming, false);
        let records = self.load(&keys);
        let next_prekey_id = block(self.store.next_prekey_id()).unwrap();
        let context = ReceiveContext {
            own: self.own(),
            signed_prekey: &self.signed_prekey,
            next_prekey_id,
            previous_retries: self.retries.get(&incoming.id).copied().unwrap_or(0),
            active: true,
            prefer_lid: false,
        };
        let received = message::receive(&incoming, &context, &records, rng);
        block(self.store.apply(&received.changes)).unwrap();
        if let ReceiveOutcome::Failed {
            retry_count: Some(count),
            ..
        } = received.outcome
        {
            self.retries.insert(incoming.id.clone(), count);
        }
        let replies = received
            .replies
            .iter()
            .map(|node| binary::encode(node).unwrap())
            .collect();
        (received, replies)
    }

    /// Plans and commits a send; returns the stanza bytes.
    fn send(
        &mut self,
        id: &str,
        chat: &Jid,
        content: &Message,
        devices: &[Jid],
        bundles: &HashMap<Jid, PreKeyBundle>,
        rng: &mut StdRng,
    ) -> (PlannedSend, Vec<u8>) {
        let group = chat.is_group().then_some(AddressingMode::Pn);
        let records = self.records_for_send(devices, group.map(|_| chat));
        let memory = self.sender_key_memory.get(chat).cloned().unwrap_or_default();
        let request = SendRequest {
            id,
            chat,
            message: content,
            own: self.own(),
            devices,
            records: &records,
            bundles,
            group: group.map(|addressing_mode| GroupSend {
                sender: &self.jid,
                addressing_mode: Some(addressing_mode),
                has_sender_key: Some(&memory),
            }),
            now: NOW,
        };
        let planned = message::plan_send(&request, rng).unwrap();
        block(self.store.apply(&planned.changes)).unwrap();
        if group.is_some() {
            self.sender_key_memory
                .entry(chat.clone())
                .or_default()
                .extend(planned.sender_key_recipients.iter().cloned());
        }
        let bytes = binary::encode(&planned.stanza.to_node()).unwrap();
        (planned, bytes)
    }

    /// Answers a retry receipt from its bytes; `bundle` is fetched from the router when the pipeline
    /// asks for one.
    fn answer_retry(&mut self, payload: &[u8], router: &mut Router, rng: &mut StdRng) -> Vec<u8> {
        let body = binary::unpack(payload).unwrap();
        let tree = binary::decode_node(&body).unwrap();
        let receipt = IncomingReceipt::parse(tree.root()).unwrap();
        assert_eq!(receipt.receipt_type, "retry");
        let chat = if receipt.from.is_group() {
            receipt.from.clone()
        } else {
            receipt.sender().to_non_ad()
        };
        let recent = block(self.store.recent_message(&chat, &receipt.id))
            .unwrap()
            .expect("the original is kept for retries");
        let original = Message::decode(recent.plaintext.as_slice()).unwrap();
        let devices = [receipt.sender().clone()];
        let records = self.records_for_send(&devices, receipt.from.is_group().then_some(&chat));
        let bundle = message::retry_needs_bundle(&receipt, &records, false)
            .then(|| router.claim_bundle(receipt.sender()));
        let request = RetryRequest {
            receipt: &receipt,
            original: &original,
            chat: &chat,
            own: self.own(),
            records: &records,
            bundle: bundle.as_ref(),
            group_sender: receipt.from.is_group().then_some(&self.jid),
        };
        let planned = message::plan_retry(&request, rng).unwrap();
        block(self.store.apply(&planned.changes)).unwrap();
        binary::encode(&planned.stanza.to_node()).unwrap()
    }
}

/// The server: knows every device and the group's members, and routes stanzas.
struct Router {
    devices: HashMap<Jid, Device>,
    group: Jid,
    members: Vec<Jid>,
    clock: u64,
}

impl Router {
    fn device(&mut self, jid: &Jid) -> &mut Device {
        self.devices.get_mut(jid).unwrap()
    }

    fn claim_bundle(&mut self, jid: &Jid) -> PreKeyBundle {
        self.device(jid).claim_bundle()
    }

    /// Bundles for the devices `sender` has no session with.
    fn bundles_for(&mut self, sender: &Jid, devices: &[Jid]) -> HashMap<Jid, PreKeyBundle> {
        let missing: Vec<Jid> = devices
            .iter()
            .filter(|device| *device != sender)
            .filter(|device| {
                let address = protocol_address(device);
                block(self.devices[sender].store.load_session(&address))
                    .unwrap()
                    .is_none()
            })
            .cloned()
            .collect();
        missing
            .into_iter()
            .map(|device| {
                let bundle = self.claim_bundle(&device);
                (device, bundle)
            })
            .collect()
    }

    /// Every device of the accounts of `users`.
    fn devices_of(&self, users: &[&Jid]) -> Vec<Jid> {
        let mut devices: Vec<Jid> = self
            .devices
            .keys()
            .filter(|device| users.iter().any(|user| user.user() == device.user()))
            .cloned()
            .collect();
        devices.sort();
        devices
    }

    /// Turns a sent `<message>` into what each addressed device receives: (device, payload).
    fn fan_out(&mut self, sender: &Jid, payload: &[u8]) -> Vec<(Jid, Vec<u8>)> {
        self.clock += 1;
        let sent = binary::decode_owned(payload).unwrap();
        assert_eq!(sent.tag, "message");
        let to = sent.attr_jid("to").unwrap().to_owned();
        let is_group = to.is_group();
        let direct: Vec<Node> = sent.children_with_tag("enc").cloned().collect();
        let mut per_device: Vec<(Jid, Vec<Node>)> = Vec::new();
        if let Some(participants) = sent.child("participants") {
            for target in participants.children_with_tag("to") {
                let device = target.attr_jid("jid").unwrap().to_owned();
                per_device.push((device, target.child_nodes().to_vec()));
            }
        }
        if is_group && direct.iter().any(|enc| enc.attr_str("type") == Some("skmsg")) {
            // Every member device gets the skmsg, after its own pairwise enc if it has one.
            for device in self.members.clone() {
                if device == *sender {
                    continue;
                }
                match per_device.iter_mut().find(|(jid, _)| *jid == device) {
                    Some((_, encs)) => encs.extend(direct.iter().cloned()),
                    None => per_device.push((device, direct.clone())),
                }
            }
        } else if sent.child("participants").is_none() {
            // A resend to one device.
            let device = match sent.attr_jid("participant") {
                Some(participant) => participant.to_owned(),
                None => to.clone(),
            };
            per_device.push((device, direct.clone()));
        }
        per_device
            .into_iter()
            .map(|(device, encs)| {
                let mut incoming = Node::new("message")
                    .attr("from", if is_group { to.clone() } else { sender.clone() })
                    .attr("id", sent.attr_str("id").unwrap().to_owned())
                    .attr("t", self.clock);
                if is_group {
                    incoming.set_attr("participant", sender.clone());
                } else if sender.user() == device.user() {
                    // Our own other device's DM: the chat travels as `recipient`.
                    incoming.set_attr("recipient", to.to_non_ad());
                }
                incoming.set_attr("type", sent.attr_str("type").unwrap().to_owned());
                incoming.content = Content::Nodes(encs);
                (device, binary::encode(&incoming).unwrap())
            })
            .collect()
    }

    /// Delivers `payload` (sent by `sender`) to every addressed device; returns each device's result and
    /// replies.
    fn deliver(
        &mut self,
        sender: &Jid,
        payload: &[u8],
        rng: &mut StdRng,
    ) -> Vec<(Jid, Received, Vec<Vec<u8>>)> {
        let mut results = Vec::new();
        for (device, incoming) in self.fan_out(sender, payload) {
            let (received, replies) = self.device(&device).receive(&incoming, rng);
            results.push((device, received, replies));
        }
        results
    }

    /// A retry receipt from `device`, as the original sender receives it.
    fn receipt_to_sender(&self, device: &Jid, reply: &[u8]) -> (Jid, Vec<u8>) {
        let mut node = binary::decode_owned(reply).unwrap();
        assert_eq!(node.tag, "receipt");
        let to = node.attr_jid("to").unwrap().to_owned();
        node.attrs.retain(|attr| attr.key != "to");
        let target = if to.is_group() {
            let target = node.attr_jid("participant").unwrap().to_owned();
            node.set_attr("participant", device.clone());
            node.set_attr("from", to);
            target
        } else {
            node.set_attr("from", device.clone());
            to
        };
        (target, binary::encode(&node).unwrap())
    }
}

fn text(body: &str) -> Message {
    Message {
        conversation: Some(body.into()),
        ..Default::default()
    }
}

fn setup() -> (Router, StdRng) {
    let mut rng = StdRng::seed_from_u64(7);
    let devices = [
        Jid::pn("15550000001"),
        Jid::pn("15550000001").with_device(5),
        Jid::pn("15550000002"),
        Jid::pn("15550000003"),
    ];
    let group = Jid::group("120363000000000001");
    let members = devices.to_vec();
    let devices = devices
        .into_iter()
        .map(|jid| (jid.clone(), Device::new(jid, &mut rng)))
        .collect();
    (
        Router {
            devices,
            group,
            members,
            clock: NOW,
        },
        rng,
    )
}

fn alice() -> Jid {
    Jid::pn("15550000001").with_device(5)
}
fn alice_phone() -> Jid {
    Jid::pn("15550000001")
}
fn bob() -> Jid {
    Jid::pn("15550000002")
}
fn carol() -> Jid {
    Jid::pn("15550000003")
}

/// Sends `content` from `sender` to `chat`, fetching bundles for devices without a session.
fn send(
    router: &mut Router,
    sender: &Jid,
    id: &str,
    chat: &Jid,
    content: &Message,
    rng: &mut StdRng,
) -> (PlannedSend, Vec<u8>) {
    let devices = if chat.is_group() {
        router.members.clone()
    } else {
        router.devices_of(&[chat, sender])
    };
    let bundles = router.bundles_for(sender, &devices);
    router
        .device(sender)
        .send(id, chat, content, &devices, &bundles, rng)
}

fn only_text(received: &Received) -> Option<&str> {
    assert!(received.messages.len() <= 1, "{:?}", received.messages);
    received.messages.first().and_then(|m| plain_text(&m.message))
}

fn reply_tags(replies: &[Vec<u8>]) -> Vec<(String, Option<String>)> {
    replies
        .iter()
        .map(|bytes| {
            let node = binary::decode_owned(bytes).unwrap();
            (node.tag.to_string(), node.attr_str("type").map(str::to_owned))
        })
        .collect()
}

#[test]
fn one_to_one_both_ways_with_own_device_copies_duplicates_and_corruption() {
    let (mut router, mut rng) = setup();
    let (alice, alice_phone, bob) = (alice(), alice_phone(), bob());

    // Alice's companion writes to Bob: Bob's phone and Alice's own phone get prekey messages, the phone a
    // device-sent copy; the stanza carries Alice's device identity.
    let (planned, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000001",
        &bob,
        &text("hi Bob"),
        &mut rng,
    );
    assert!(planned.skipped.is_empty());
    assert_eq!(planned.stanza.participants.len(), 2);
    assert!(planned.stanza.device_identity.is_some());
    assert_eq!(planned.stanza.message_type, "text");
    let results = router.deliver(&alice, &bytes, &mut rng);
    assert_eq!(results.len(), 2);
    for (device, received, replies) in &results {
        assert_eq!(received.outcome, ReceiveOutcome::Decrypted, "{device}");
        assert_eq!(only_text(received), Some("hi Bob"));
        assert_eq!(
            received.changes.removed_prekeys.len(),
            1,
            "the one-time prekey is consumed"
        );
        if *device == alice_phone {
            assert!(received.from_me);
            assert_eq!(
                received.chat, bob,
                "the device-sent copy is filed under its destination"
            );
            assert_eq!(reply_tags(replies), [("receipt".into(), Some("sender".into()))]);
        } else {
            assert!(!received.from_me);
            assert_eq!(received.chat, alice.to_non_ad());
            assert_eq!(reply_tags(replies), [("receipt".into(), None)]);
        }
    }

    // Bob answers: his session with Alice's companion exists now (msg); Alice's phone needs a bundle.
    let (planned, bytes) = send(
        &mut router,
        &bob,
        "3EB0000000000000000002",
        &alice.to_non_ad(),
        &text("hello Alice"),
        &mut rng,
    );
    let types: HashMap<Jid, &str> = planned
        .stanza
        .participants
        .iter()
        .map(|(jid, enc)| (jid.clone(), enc.enc_type.as_str()))
        .collect();
    assert_eq!(types[&alice], "msg");
    assert_eq!(types[&alice_phone], "pkmsg");
    for (_, received, _) in router.deliver(&bob, &bytes, &mut rng) {
        assert_eq!(received.outcome, ReceiveOutcome::Decrypted);
        assert_eq!(only_text(&received), Some("hello Alice"));
    }

    // Alice's next message to Bob is a plain msg: his answer settled the session. Her phone has not
    // answered her companion yet, so its copy is still a prekey message, with the device identity.
    let (planned, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000003",
        &bob,
        &text("how are you?"),
        &mut rng,
    );
    let types: HashMap<Jid, &str> = planned
        .stanza
        .participants
        .iter()
        .map(|(jid, enc)| (jid.clone(), enc.enc_type.as_str()))
        .collect();
    assert_eq!((types[&bob], types[&alice_phone]), ("msg", "pkmsg"));
    assert!(planned.stanza.device_identity.is_some());
    let deliveries = router.fan_out(&alice, &bytes);
    let (_, to_bob) = deliveries.iter().find(|(jid, _)| *jid == bob).unwrap().clone();
    let (received, _) = router.device(&bob).receive(&to_bob, &mut rng);
    assert_eq!(only_text(&received), Some("how are you?"));

    // The server delivers it again: a duplicate, dropped with a receipt and no state change.
    let (again, replies) = router.device(&bob).receive(&to_bob, &mut rng);
    assert_eq!(again.outcome, ReceiveOutcome::Duplicate);
    assert!(again.messages.is_empty());
    assert!(again.changes.sessions.is_empty());
    assert_eq!(reply_tags(&replies), [("receipt".into(), None)]);

    // A corrupted ciphertext: no panic, a retry receipt and an ack; nothing changes.
    let (_, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000004",
        &bob,
        &text("this one breaks"),
        &mut rng,
    );
    let (_, to_bob) = router
        .fan_out(&alice, &bytes)
        .into_iter()
        .find(|(jid, _)| *jid == bob)
        .unwrap();
    let mut corrupted = binary::decode_owned(&to_bob).unwrap();
    let Content::Nodes(children) = &mut corrupted.content else {
        panic!()
    };
    let Content::Bytes(ciphertext) = &mut children[0].content else {
        panic!()
    };
    let middle = ciphertext.len() / 2;
    ciphertext[middle] ^= 0x40;
    let corrupted = binary::encode(&corrupted).unwrap();
    let (failed, replies) = router.device(&bob).receive(&corrupted, &mut rng);
    assert!(
        matches!(
            failed.outcome,
            ReceiveOutcome::Failed {
                retry_count: Some(1),
                ..
            }
        ),
        "{:?}",
        failed.outcome
    );
    assert!(
        failed.changes.sessions.is_empty(),
        "a failed decrypt changes no session"
    );
    assert_eq!(
        reply_tags(&replies),
        [("receipt".into(), Some("retry".into())), ("ack".into(), None)]
    );
    // Alice answers the retry on the existing session; Bob reads it.
    let (target, receipt) = router.receipt_to_sender(&bob, &replies[0]);
    assert_eq!(target, alice);
    let resend = router
        .device(&alice)
        .answer_retry(&receipt, &mut Router::placeholder(), &mut rng);
    let resent = binary::decode_owned(&resend).unwrap();
    assert_eq!(resent.attr_str("device_fanout"), Some("false"));
    assert_eq!(resent.child("enc").unwrap().attr_str("count"), Some("1"));
    let results = router.deliver(&alice, &resend, &mut rng);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, bob);
    assert_eq!(results[0].1.outcome, ReceiveOutcome::Decrypted);
    assert_eq!(only_text(&results[0].1), Some("this one breaks"));
}

impl Router {
    /// A router with no devices, for calls that must not fetch anything.
    fn placeholder() -> Router {
        Router {
            devices: HashMap::new(),
            group: Jid::group("0"),
            members: Vec::new(),
            clock: NOW,
        }
    }
}

#[test]
fn a_lost_session_is_rebuilt_through_retry_receipts() {
    let (mut router, mut rng) = setup();
    let (alice, bob) = (alice(), bob());
    let (_, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000011",
        &bob,
        &text("first"),
        &mut rng,
    );
    router.deliver(&alice, &bytes, &mut rng);
    let (_, bytes) = send(
        &mut router,
        &bob,
        "3EB0000000000000000012",
        &alice.to_non_ad(),
        &text("reply"),
        &mut rng,
    );
    router.deliver(&bob, &bytes, &mut rng);

    // Bob loses his session with Alice's companion.
    block(
        router
            .device(&bob)
            .store
            .delete_session(&protocol_address(&alice)),
    )
    .unwrap();

    let (planned, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000013",
        &bob,
        &text("after the loss"),
        &mut rng,
    );
    let to_bob = planned
        .stanza
        .participants
        .iter()
        .find(|(jid, _)| *jid == bob)
        .unwrap();
    assert_eq!(to_bob.1.enc_type.as_str(), "msg");
    let (_, to_bob) = router
        .fan_out(&alice, &bytes)
        .into_iter()
        .find(|(jid, _)| *jid == bob)
        .unwrap();

    // First failure: retry receipt #1 without keys; Alice resends on her old session, which Bob still
    // cannot read.
    let (failed, replies) = router.device(&bob).receive(&to_bob, &mut rng);
    assert!(matches!(
        failed.outcome,
        ReceiveOutcome::Failed {
            retry_count: Some(1),
            ..
        }
    ));
    let (_, receipt) = router.receipt_to_sender(&bob, &replies[0]);
    assert!(binary::decode_owned(&receipt).unwrap().child("keys").is_none());
    let resend = router
        .device(&alice)
        .answer_retry(&receipt, &mut Router::placeholder(), &mut rng);
    let (_, to_bob) = router.fan_out(&alice, &resend).pop().unwrap();
    let (failed, replies) = router.device(&bob).receive(&to_bob, &mut rng);
    assert!(matches!(
        failed.outcome,
        ReceiveOutcome::Failed {
            retry_count: Some(2),
            ..
        }
    ));
    assert_eq!(
        failed.changes.prekeys.len(),
        1,
        "a fresh prekey backs the keys of retry #2"
    );

    // Retry #2 carries Bob's keys: Alice builds a fresh session and resends a prekey message.
    let (_, receipt) = router.receipt_to_sender(&bob, &replies[0]);
    assert!(binary::decode_owned(&receipt).unwrap().child("keys").is_some());
    let resend = router
        .device(&alice)
        .answer_retry(&receipt, &mut Router::placeholder(), &mut rng);
    let resent = binary::decode_owned(&resend).unwrap();
    assert_eq!(resent.child("enc").unwrap().attr_str("type"), Some("pkmsg"));
    assert_eq!(resent.child("enc").unwrap().attr_str("count"), Some("2"));
    assert!(resent.child("device-identity").is_some());
    let (_, to_bob) = router.fan_out(&alice, &resend).pop().unwrap();
    let (received, replies) = router.device(&bob).receive(&to_bob, &mut rng);
    assert_eq!(received.outcome, ReceiveOutcome::Decrypted);
    assert_eq!(only_text(&received), Some("after the loss"));
    assert_eq!(reply_tags(&replies), [("receipt".into(), None)]);

    // The new session carries on both ways.
    let (_, bytes) = send(
        &mut router,
        &bob,
        "3EB0000000000000000014",
        &alice.to_non_ad(),
        &text("back again"),
        &mut rng,
    );
    for (device, received, _) in router.deliver(&bob, &bytes, &mut rng) {
        assert_eq!(received.outcome, ReceiveOutcome::Decrypted, "{device}");
    }
    let (_, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000015",
        &bob,
        &text("great"),
        &mut rng,
    );
    let results = router.deliver(&alice, &bytes, &mut rng);
    let (_, at_bob, _) = results.iter().find(|(jid, _, _)| *jid == bob).unwrap();
    assert_eq!(only_text(at_bob), Some("great"));
}

#[test]
fn a_group_of_three_with_sender_keys_polls_and_a_lost_sender_key() {
    let (mut router, mut rng) = setup();
    let group = router.group.clone();
    let (alice, alice_phone, bob, carol) = (alice(), alice_phone(), bob(), carol());

    // First group message: one skmsg, and the distribution message pairwise to every other device.
    let (planned, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000021",
        &group,
        &text("hello group"),
        &mut rng,
    );
    assert_eq!(planned.stanza.direct.len(), 1);
    assert_eq!(planned.stanza.participants.len(), 3);
    assert!(planned.stanza.phash.is_some());
    assert_eq!(planned.stanza.addressing_mode, Some("pn"));
    assert_eq!(planned.changes.sender_keys.len(), 1);
    let results = router.deliver(&alice, &bytes, &mut rng);
    assert_eq!(results.len(), 3);
    for (device, received, _) in &results {
        assert_eq!(received.outcome, ReceiveOutcome::Decrypted, "{device}");
        assert_eq!(received.chat, group);
        assert_eq!(only_text(received), Some("hello group"), "{device}");
        assert_eq!(received.changes.sender_keys.len(), 1);
        assert_eq!(received.from_me, *device == alice_phone);
    }

    // Second message: every device holds the key, so only the skmsg travels.
    let (planned, bytes) = send(
        &mut router,
        &alice,
        "3EB0000000000000000022",
        &group,
        &text("second"),
        &mut rng,
    );
    assert!(planned.stanza.participants.is_empty());
    assert!(planned.stanza.device_identity.is_none());
    for (_, received, _) in router.deliver(&alice, &bytes, &mut rng) {
        assert_eq!(only_text(&received), Some("second"));
    }

    // Bob writes to the group with his own sender key.
    let (_, bytes) = send(
        &mut router,
        &bob,
        "3EB0000000000000000023",
        &group,
        &text("hi from Bob"),
        &mut rng,
    );
    for (device, received, _) in router.deliver(&bob, &bytes, &mut rng) {
        assert_eq!(only_text(&received), Some("hi from Bob"), "{device}");
    }

    // A poll: the secret travels with the creation and is stored by every receiver; Bob and Carol vote,
    // Alice decrypts the votes and tallies them.
    let secret = [0x5a; 32];
    let poll = message::poll_creation("Lunch?", &["Pizza", "Sushi"], 1, secret);
    let poll_id = "3EB0000000000000000024";
    let (planned, bytes) = send(&mut router, &alice, poll_id, &group, &poll, &mut rng);
    assert_eq!(planned.stanza.message_type, "poll");
    assert_eq!(planned.stanza.poll_type, Some("creation"));
    for (device, received, _) in router.deliver(&alice, &bytes, &mut rng) {
        assert_eq!(received.changes.message_secrets.len(), 1, "{device}");
        let stored = block(
            router
                .device(&device)
                .store
                .message_secret(&group, &alice.to_non_ad(), poll_id),
        )
        .unwrap();
        assert_eq!(stored.as_deref(), Some(&secret[..]));
    }
    let mut tally = message::PollTally::new(message::poll_of(&poll).unwrap());
    for (voter, choice, vote_id) in [
        (&bob, "Sushi", "3EB0000000000000000025"),
        (&carol, "Pizza", "3EB0000000000000000026"),
    ] {
        let stored = block(
            router
                .device(voter)
                .store
                .message_secret(&group, &alice.to_non_ad(), poll_id),
        )
        .unwrap()
        .unwrap();
        let voter_account = voter.to_non_ad();
        let creator = alice.to_non_ad();
        let context = VoteContext {
            poll_id,
            poll_creator: &creator,
            voter: &voter_account,
        };
        let vote = message::encrypt_vote(&stored, context, &[choice], &mut rng);
        let key = message::message_key(&group, poll_id, false, Some(&alice));
        let vote_message = message::poll_vote(key, vote, 1_700_000_000_000);
        let (planned, bytes) = send(&mut router, voter, vote_id, &group, &vote_message, &mut rng);
        assert_eq!(planned.stanza.poll_type, Some("vote"));
        let results = router.deliver(voter, &bytes, &mut rng);
        let (_, at_alice, _) = results.iter().find(|(jid, _, _)| *jid == alice).unwrap();
        let update = at_alice.messages[0].message.poll_update_message.clone().unwrap();
        let secret = block(
            router
                .device(&alice)
                .store
                .message_secret(&group, &alice.to_non_ad(), poll_id),
        )
        .unwrap()
        .unwrap();
        let sender = at_alice.sender.to_non_ad();
        let selected = message::decrypt_vote(
            &secret,
            VoteContext {
                poll_id,
                poll_creator: &creator,
                voter: &sender,
            },
            update.vote.as_ref().unwrap(),
        )
        .unwrap();
        assert!(tally.apply_vote(&sender, selected, update.sender_timestamp_ms.unwrap()));
    }
    let results = tally.results();
    assert_eq!(results[0].voters, vec![carol.clone()]);
    assert_eq!(results[1].voters, vec![bob.clone()]);

    // Carol loses Bob's sender key. Bob's next message reaches her without a distribution, so she asks
    // with keys; Bob answers pairwise with a fresh session and his key, and she reads it.
    let name = SenderKeyName::new(group.to_string(), protocol_address(&bob));
    block(router.device(&carol).store.delete_sender_key(&name)).unwrap();
    let (planned, bytes) = send(
        &mut router,
        &bob,
        "3EB0000000000000000027",
        &group,
        &text("did you get this?"),
        &mut rng,
    );
    assert!(planned.stanza.participants.is_empty());
    let results = router.deliver(&bob, &bytes, &mut rng);
    let (_, at_carol, replies) = results.iter().find(|(jid, _, _)| *jid == carol).unwrap();
    assert!(matches!(
        at_carol.outcome,
        ReceiveOutcome::Failed {
            error: wasndr_core::Error::NoSenderKey { .. },
            retry_count: Some(1)
        }
    ));
    let (target, receipt) = router.receipt_to_sender(&carol, &replies[0]);
    assert_eq!(target, bob);
    assert!(
        binary::decode_owned(&receipt).unwrap().child("keys").is_some(),
        "keys are forced"
    );
    let resend = router
        .device(&bob)
        .answer_retry(&receipt, &mut Router::placeholder(), &mut rng);
    let resent = binary::decode_owned(&resend).unwrap();
    assert_eq!(resent.attr_jid("participant").unwrap().to_owned(), carol);
    assert_eq!(resent.attr_str("device_fanout"), None);
    let results = router.deliver(&bob, &resend, &mut rng);
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].1.outcome, ReceiveOutcome::Decrypted);
    assert_eq!(only_text(&results[0].1), Some("did you get this?"));
    // And she reads Bob's group messages again.
    let (_, bytes) = send(
        &mut router,
        &bob,
        "3EB0000000000000000028",
        &group,
        &text("welcome back"),
        &mut rng,
    );
    let results = router.deliver(&bob, &bytes, &mut rng);
    let (_, at_carol, _) = results.iter().find(|(jid, _, _)| *jid == carol).unwrap();
    assert_eq!(only_text(at_carol), Some("welcome back"));
}
