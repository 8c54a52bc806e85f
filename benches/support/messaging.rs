//! Fixtures shared by `benches/messaging.rs` and `examples/messaging_ops.rs`: two established 1:1
//! parties, and a group sender with sessions to many member devices. Everything here is setup; the
//! measured steps are the pipeline calls in the bench and the example.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::binary::{self, Node};
use wasndr_core::crypto::KeyPair;
use wasndr_core::jid::Jid;
use wasndr_core::message::{
    self, GroupSend, OwnDevice, PlannedSend, ReceiveContext, ReceiveOutcome, Records, SendRequest,
    protocol_address,
};
use wasndr_core::signal::session::{self, CiphertextMessage, LocalIdentity, PreKeys, SessionRecord};
use wasndr_core::signal::{IdentityKeyPair, PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};
use wasndr_core::stanza::IncomingMessage;
use wasndr_core::store::{AddressingMode, Changes};
use wasndr_proto::e2e::Message;

/// A typical chat line (62 bytes).
pub const TEXT: &str = "Hi! Are we still on for lunch tomorrow at 12:30 near the park?";

pub fn chat_message() -> Message {
    Message {
        conversation: Some(TEXT.to_owned()),
        ..Default::default()
    }
}

/// One party: identity, keys, and the records its store would hold.
pub struct Party {
    pub jid: Jid,
    pub identity: IdentityKeyPair,
    pub registration_id: u32,
    pub signed_prekey: SignedPreKeyRecord,
    pub device_identity: Vec<u8>,
    pub records: Records,
}

impl Party {
    pub fn new(jid: Jid, registration_id: u32, rng: &mut StdRng) -> Party {
        let identity = IdentityKeyPair::generate(rng);
        let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, 0, rng).unwrap();
        Party {
            jid,
            identity,
            registration_id,
            signed_prekey,
            // The size of a real ADVSignedDeviceIdentity without the account key.
            device_identity: vec![0x5a; 170],
            records: Records::default(),
        }
    }

    pub fn own(&self) -> OwnDevice<'_> {
        OwnDevice {
            identity: &self.identity,
            registration_id: self.registration_id,
            pn: &self.jid,
            lid: None,
            device_identity: &self.device_identity,
        }
    }

    fn local(&self) -> LocalIdentity<'_> {
        LocalIdentity {
            identity: &self.identity,
            registration_id: self.registration_id,
        }
    }

    /// What a store does with a step's changes, for the records a step reads back.
    pub fn keep(&mut self, changes: Changes) {
        self.records.sessions.extend(changes.sessions);
        self.records.identities.extend(changes.identities);
        self.records.sender_keys.extend(changes.sender_keys);
    }
}

/// Establishes a session between `a` and `b` (a prekey message from `a`, answered by `b`), so both are
/// past the prekey phase, and stores it in both parties' records.
pub fn establish(a: &mut Party, b: &mut Party, rng: &mut StdRng) {
    let opk = PreKeyRecord {
        id: 1,
        key_pair: KeyPair::generate(rng),
    };
    let bundle = PreKeyBundle {
        registration_id: b.registration_id,
        identity_key: *b.identity.public(),
        signed_prekey_id: b.signed_prekey.id,
        signed_prekey: b.signed_prekey.key_pair.public,
        signed_prekey_signature: b.signed_prekey.signature.to_vec(),
        prekey: Some((1, opk.key_pair.public)),
    };
    let a_record = session::initiate(None, a.local(), &bundle, rng).unwrap();
    let first = session::encrypt(&a_record, b"hello").unwrap();
    let CiphertextMessage::PreKey(first_message) = &first.message else {
        unreachable!("the first message is a prekey message")
    };
    let prekeys = PreKeys {
        signed: Some(&b.signed_prekey),
        one_time: Some(&opk),
    };
    let b_record = session::decrypt_prekey_message(None, b.local(), first_message, prekeys, rng)
        .unwrap()
        .record;
    let answer = session::encrypt(&b_record, b"hi").unwrap();
    let CiphertextMessage::Signal(answer_message) = &answer.message else {
        unreachable!("the answer is a whisper message")
    };
    let a_record: SessionRecord = session::decrypt_message(&first.record, answer_message, rng)
        .unwrap()
        .record;
    let (a_address, b_address) = (protocol_address(&a.jid), protocol_address(&b.jid));
    a.records.sessions.insert(b_address.clone(), a_record);
    a.records.identities.insert(b_address, *b.identity.public());
    b.records.sessions.insert(a_address.clone(), answer.record);
    b.records.identities.insert(a_address, *a.identity.public());
}

/// Alice's companion and Bob's phone with an established session.
pub struct OneToOne {
    pub alice: Party,
    pub bob: Party,
    pub chat: Jid,
    pub devices: Vec<Jid>,
    pub rng: StdRng,
    pub message: Message,
    pub bundles: HashMap<Jid, PreKeyBundle>,
    counter: u64,
}

impl OneToOne {
    /// `with_own_device` adds Alice's phone to the devices, so each send also encrypts a device-sent
    /// copy for it.
    pub fn new(with_own_device: bool) -> OneToOne {
        let mut rng = StdRng::seed_from_u64(11);
        let mut alice = Party::new(Jid::pn("15551234567").with_device(3), 1111, &mut rng);
        let mut bob = Party::new(Jid::pn("15557654321"), 2222, &mut rng);
        establish(&mut alice, &mut bob, &mut rng);
        let mut devices = vec![bob.jid.clone(), alice.jid.clone()];
        if with_own_device {
            let mut phone = Party::new(Jid::pn("15551234567"), 3333, &mut rng);
            establish(&mut alice, &mut phone, &mut rng);
            devices.push(phone.jid.clone());
        }
        OneToOne {
            chat: bob.jid.to_non_ad(),
            alice,
            bob,
            devices,
            rng,
            message: chat_message(),
            bundles: HashMap::new(),
            counter: 0,
        }
    }

    fn next_id(&mut self) -> String {
        self.counter += 1;
        format!("3EB0{:018X}", self.counter)
    }

    /// The send pipeline for one message: plan (encrypt + stanza), keep the changes, encode the stanza.
    pub fn send(&mut self) -> Vec<u8> {
        let id = self.next_id();
        let planned = plan(self, &id);
        self.alice.keep(planned.changes);
        binary::encode(&planned.stanza.into_node()).unwrap()
    }

    /// What the server would deliver to Bob for the next message (setup for the receive pipeline).
    pub fn next_incoming(&mut self) -> Vec<u8> {
        let id = self.next_id();
        let planned = plan(self, &id);
        self.alice.keep(planned.changes);
        let (_, enc) = planned
            .stanza
            .participants
            .into_iter()
            .find(|(jid, _)| *jid == self.bob.jid)
            .unwrap();
        let incoming = Node::new("message")
            .attr("from", self.alice.jid.clone())
            .attr("id", id)
            .attr("notify", "Alice")
            .attr("t", "1700000000")
            .attr("type", "text")
            .children([enc.into_node()]);
        binary::encode(&incoming).unwrap()
    }

    /// The receive pipeline for one delivered message: decode, parse, decrypt, unpad, parse the
    /// plaintext, build the receipt, keep the changes.
    pub fn receive(&mut self, payload: &[u8]) -> usize {
        let body = binary::unpack(payload).unwrap();
        let tree = binary::decode_node(&body).unwrap();
        let incoming = IncomingMessage::parse(tree.root()).unwrap();
        let context = ReceiveContext {
            own: self.bob.own(),
            signed_prekey: &self.bob.signed_prekey,
            next_prekey_id: 100,
            previous_retries: 0,
            active: true,
            prefer_lid: false,
        };
        let received = message::receive(&incoming, &context, &self.bob.records, &mut self.rng);
        assert_eq!(received.outcome, ReceiveOutcome::Decrypted);
        let replies = received.replies.len();
        self.bob.keep(received.changes);
        replies
    }
}

fn plan(fixture: &mut OneToOne, id: &str) -> PlannedSend {
    let request = SendRequest {
        id,
        chat: &fixture.chat,
        message: &fixture.message,
        own: fixture.alice.own(),
        devices: &fixture.devices,
        records: &fixture.alice.records,
        bundles: &fixture.bundles,
        group: None,
        now: 1_700_000_000,
    };
    message::plan_send(&request, &mut fixture.rng).unwrap()
}

/// A group sender with established sessions to `members` other devices.
pub struct GroupSender {
    pub sender: Party,
    pub group: Jid,
    pub devices: Vec<Jid>,
    pub holders: HashSet<Jid>,
    pub rng: StdRng,
    pub message: Message,
    bundles: HashMap<Jid, PreKeyBundle>,
    counter: u64,
}

impl GroupSender {
    /// `members` other devices; with `distributed`, all of them already hold our sender key (the
    /// steady state), otherwise every send distributes it to all of them (a first send, or whatsmeow's
    /// policy).
    pub fn new(members: usize, distributed: bool) -> GroupSender {
        let mut rng = StdRng::seed_from_u64(13);
        let mut sender = Party::new(Jid::pn("15551234567").with_device(3), 1111, &mut rng);
        let mut devices = vec![sender.jid.clone()];
        for i in 0..members {
            let mut member = Party::new(
                Jid::pn(&format!("1555{:07}", 1000 + i)),
                2000 + i as u32,
                &mut rng,
            );
            establish(&mut sender, &mut member, &mut rng);
            devices.push(member.jid);
        }
        let mut fixture = GroupSender {
            sender,
            group: Jid::group("120363025246125888"),
            holders: HashSet::new(),
            devices,
            rng,
            message: chat_message(),
            bundles: HashMap::new(),
            counter: 0,
        };
        // A first send creates our sender key; with `distributed` its recipients are remembered.
        let first = fixture.plan();
        fixture.sender.keep(first.changes);
        if distributed {
            fixture.holders.extend(first.sender_key_recipients);
        }
        fixture
    }

    fn plan(&mut self) -> PlannedSend {
        self.counter += 1;
        let id = format!("3EB0{:018X}", self.counter);
        let request = SendRequest {
            id: &id,
            chat: &self.group,
            message: &self.message,
            own: self.sender.own(),
            devices: &self.devices,
            records: &self.sender.records,
            bundles: &self.bundles,
            group: Some(GroupSend {
                sender: &self.sender.jid,
                addressing_mode: Some(AddressingMode::Pn),
                has_sender_key: Some(&self.holders),
            }),
            now: 1_700_000_000,
        };
        message::plan_send(&request, &mut self.rng).unwrap()
    }

    /// The group send pipeline for one message.
    pub fn send(&mut self) -> Vec<u8> {
        let planned = self.plan();
        self.sender.keep(planned.changes);
        binary::encode(&planned.stanza.into_node()).unwrap()
    }
}
