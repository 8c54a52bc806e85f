//! Virtual primary phones: device 0 of each account, holding a real Signal identity and prekeys. They
//! decrypt what is sent to them (pairwise and sender-key group messages) and send text and media
//! themselves, so every test has a peer.
//!
//! Sending and receiving go through wasndr-core's own pipelines (`plan_send`, `needed_records` +
//! `receive`), the ones the Client uses, over the phone's in-memory store; this file only gathers the
//! devices, records and bundles they need and files what arrived.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;
use tokio::sync::mpsc;
use wasndr_core::binary::Node;

use wasndr_core::jid::Jid;
use wasndr_core::media::MediaType;
use wasndr_core::message::{
    GroupSend, MediaDetails, OwnDevice, ReceiveContext, ReceiveOutcome, RecordKeys, Records, SendRequest,
    media_message, needed_records, plan_send, protocol_address, receive,
};
use wasndr_core::signal::{
    IdentityKeyPair, PreKeyBundle, SenderKeyName, SignedPreKeyRecord, generate_prekeys,
    generate_registration_id,
};
use wasndr_core::stanza::IncomingMessage;
use wasndr_core::store::{
    IdentityKeyStore, MemoryStore, PreKeyStore, SenderKeyStore, SessionStore, SignedPreKeyStore, StoreError,
    TransactionalStore,
};
use wasndr_proto::e2e;

use crate::error::SimError;
use crate::handlers::{message, receipt};
use crate::network::{DeviceId, DeviceKeys, Network, Outbound, Outbox, SignedPreKeyPublic};
use crate::shared::{Shared, rng, unix_now};
use crate::stanzas::message_id;

/// A message a virtual phone received and decrypted (`GET /admin/phones/{phone}/messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedMessage {
    /// The message id.
    pub id: String,
    /// The sender's user JID (no device).
    pub from: String,
    /// The chat: the sender for a direct message, the group for a group message.
    pub chat: String,
    /// The text (conversation or extended text; a caption for media).
    pub text: String,
    /// Server time of the message, unix seconds.
    pub timestamp: u64,
    /// The file of a media message, fetched from the simulator's media host and decrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<ReceivedMedia>,
}

/// A media file a virtual phone received: what the message said, and the file it fetched from the
/// media host and decrypted with the message's key, hashes and MAC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivedMedia {
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub kind: String,
    /// The MIME type the message gave.
    pub mimetype: Option<String>,
    /// The file name (documents).
    pub file_name: Option<String>,
    /// The caption, if any.
    pub caption: Option<String>,
    /// The decrypted file's length in bytes.
    pub size: usize,
    /// SHA-256 of the decrypted file, hex.
    pub sha256: String,
    /// Why the file could not be fetched or decrypted; then `size` is 0 and `data` empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The decrypted file (Rust API only).
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// A file a virtual phone sends ([`SimHandle::send_media`](crate::SimHandle::send_media)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneMedia {
    /// What the file is: image, video, gif, round video, audio, voice note, document or sticker.
    pub kind: MediaType,
    /// The plain file.
    pub data: Vec<u8>,
    /// Its MIME type (`image/jpeg`, `application/pdf`, …).
    pub mimetype: String,
    /// A caption (image, video, document).
    pub caption: Option<String>,
    /// The file name (document).
    pub file_name: Option<String>,
}

/// The id of the one signed prekey a phone publishes.
const SIGNED_PREKEY_ID: u32 = 1;

/// A virtual primary phone.
pub(crate) struct Phone {
    pub(crate) number: String,
    pub(crate) identity: IdentityKeyPair,
    /// The `rawId` of the ADV identities it issues.
    pub(crate) raw_id: u32,
    registration_id: u32,
    /// The id of the next one-time prekey a retry receipt hands out (after the published ones).
    next_prekey_id: AtomicU32,
    /// Retry receipts sent per message id.
    retries: Mutex<HashMap<String, u32>>,
    store: MemoryStore,
    messages: Mutex<Vec<ReceivedMessage>>,
    /// Signal state changes one operation at a time.
    crypto: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone")
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

impl Phone {
    /// A phone with a fresh identity, signed prekey 1 and `prekeys` one-time prekeys; returns it with
    /// the keys to publish and the outbox the network delivers its stanzas to (served by a task that
    /// lives as long as the network holds the outbox).
    pub(crate) async fn create(
        shared: &Arc<Shared>,
        number: &str,
        prekeys: u32,
    ) -> Result<(Arc<Phone>, DeviceKeys, Outbox), SimError> {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let registration_id = generate_registration_id(&mut rng);
        let store = MemoryStore::new(identity.clone(), registration_id);
        let signed = SignedPreKeyRecord::generate(&identity, SIGNED_PREKEY_ID, unix_now(), &mut rng)?;
        store
            .store_signed_prekey(&signed)
            .await
            .map_err(wasndr_core::Error::from)?;
        let (records, _) = generate_prekeys(1, prekeys, &mut rng)?;
        store
            .store_prekeys(&records)
            .await
            .map_err(wasndr_core::Error::from)?;
        let keys = DeviceKeys {
            registration_id,
            identity: *identity.public(),
            signed_prekey: SignedPreKeyPublic {
                id: signed.id,
                public: signed.key_pair.public,
                signature: signed.signature,
            },
            prekeys: records
                .iter()
                .map(|record| (record.id, record.key_pair.public))
                .collect(),
        };
        let phone = Arc::new(Phone {
            number: number.to_owned(),
            identity,
            raw_id: rand::Rng::next_u32(&mut rng),
            registration_id,
            next_prekey_id: AtomicU32::new(prekeys + 1),
            retries: Mutex::new(HashMap::new()),
            store,
            messages: Mutex::new(Vec::new()),
            crypto: tokio::sync::Mutex::new(()),
        });
        let (outbox, mut inbox) = mpsc::unbounded_channel::<Outbound>();
        let weak_shared: Weak<Shared> = Arc::downgrade(shared);
        let weak_phone = Arc::downgrade(&phone);
        tokio::spawn(async move {
            while let Some(Outbound::Node(node)) = inbox.recv().await {
                let (Some(shared), Some(phone)) = (weak_shared.upgrade(), weak_phone.upgrade()) else {
                    break;
                };
                phone.on_stanza(&shared, node).await;
            }
        });
        Ok((phone, keys, outbox))
    }

    /// The messages received so far, oldest first.
    pub(crate) fn messages(&self) -> Vec<ReceivedMessage> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn device(&self) -> DeviceId {
        (self.number.clone(), 0)
    }

    async fn on_stanza(&self, shared: &Shared, node: Node) {
        if node.tag == "message" {
            self.on_message(shared, node).await;
        }
    }

    /// Decrypts with wasndr-core's receive pipeline (the Client's), stores the record changes, records
    /// what it carried, and only then answers with the pipeline's receipt (delivery, or retry with
    /// keys when the sender must start over).
    async fn on_message(&self, shared: &Shared, node: Node) {
        let _guard = self.crypto.lock().await;
        let Ok(incoming) = IncomingMessage::parse(&node) else {
            return;
        };
        let Some(sender_phone) = shared.net().account_of(incoming.sender()).map(str::to_owned) else {
            return;
        };
        let Ok(records) = self.load_records(&needed_records(&incoming, false)).await else {
            return;
        };
        let Ok(Some(signed)) = self.store.load_signed_prekey(SIGNED_PREKEY_ID).await else {
            return;
        };
        let own_jid = Jid::pn(&self.number);
        let previous_retries = self.retries_sent(&incoming.id);
        let context = ReceiveContext {
            own: self.own_device(&own_jid),
            signed_prekey: &signed,
            next_prekey_id: self.next_prekey_id.fetch_add(1, Ordering::Relaxed),
            previous_retries,
            active: true,
            prefer_lid: false,
        };
        let received = receive(&incoming, &context, &records, &mut rng());
        // Nothing is answered before it is stored: on a store failure the receipt is withheld.
        if self.store.apply(&received.changes).await.is_err() {
            return;
        }
        if let ReceiveOutcome::Failed {
            retry_count: Some(count),
            ..
        } = &received.outcome
        {
            self.note_retry(&incoming.id, *count);
        }
        let mut text = None;
        let mut media = None;
        for decrypted in &received.messages {
            if let Some(body) = text_of(&decrypted.message) {
                text = Some(body);
            }
            if let Some(file) = crate::media::fetch_and_decrypt(shared, &decrypted.message) {
                text.get_or_insert_with(String::new);
                media = Some(file);
            }
        }
        if let Some(text) = text {
            // A DM is filed under the sender's number; a copy our own device sent, under its recipient.
            let chat = if received.chat.is_group() || received.from_me {
                received.chat.to_non_ad()
            } else {
                Jid::pn(&sender_phone)
            };
            self.messages
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(ReceivedMessage {
                    id: incoming.id.clone(),
                    from: Jid::pn(&sender_phone).to_string(),
                    chat: chat.to_string(),
                    text,
                    // The router stamps `t`; a stanza without one is filed as of now.
                    timestamp: Some(incoming.timestamp)
                        .filter(|t| *t > 0)
                        .unwrap_or_else(unix_now),
                    media,
                });
        }
        // The server's acks are the simulator's own business; receipts go to the sender.
        for reply in received.replies.iter().filter(|reply| reply.tag == "receipt") {
            receipt::relay(shared, &self.device(), reply);
        }
    }

    /// The records `keys` names, from the phone's store.
    async fn load_records(&self, keys: &RecordKeys) -> Result<Records, StoreError> {
        let mut records = Records::default();
        for address in &keys.sessions {
            if let Some(session) = self.store.load_session(address).await? {
                records.sessions.insert(address.clone(), session);
            }
            if let Some(identity) = self.store.remote_identity(address).await? {
                records.identities.insert(address.clone(), identity);
            }
        }
        for id in &keys.prekeys {
            if let Some(prekey) = self.store.load_prekey(*id).await? {
                records.prekeys.insert(*id, prekey);
            }
        }
        for id in &keys.signed_prekeys {
            if let Some(signed) = self.store.load_signed_prekey(*id).await? {
                records.signed_prekeys.insert(*id, signed);
            }
        }
        for name in &keys.sender_keys {
            if let Some(record) = self.store.load_sender_key(name).await? {
                records.sender_keys.insert(name.clone(), record);
            }
        }
        Ok(records)
    }

    /// How many retry receipts were sent for message `id` (the pipeline stops asking after a few).
    fn retries_sent(&self, id: &str) -> u32 {
        let retries = self
            .retries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        retries.get(id).copied().unwrap_or(0)
    }

    fn note_retry(&self, id: &str, count: u32) {
        let mut retries = self
            .retries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        retries.insert(id.to_owned(), count);
    }

    fn own_device<'a>(&'a self, own_jid: &'a Jid) -> OwnDevice<'a> {
        OwnDevice {
            identity: &self.identity,
            registration_id: self.registration_id,
            pn: own_jid,
            lid: None,
            // A primary device has no ADV identity of its own to show beside prekey messages.
            device_identity: &[],
        }
    }

    /// Sends `text` to a user or group JID; returns the message id.
    pub(crate) async fn send_text(&self, shared: &Shared, to: &Jid, text: &str) -> Result<String, SimError> {
        let message = e2e::Message {
            conversation: Some(text.to_owned()),
            ..Default::default()
        };
        self.send_message(shared, to, message).await
    }

    /// Sends a file to a user or group JID as a media message; returns the message id. The phone
    /// encrypts it with a fresh media key and puts the blob on the simulator's media host, as a phone
    /// uploads before sending.
    pub(crate) async fn send_media(
        &self,
        shared: &Shared,
        to: &Jid,
        media: PhoneMedia,
    ) -> Result<String, SimError> {
        if media.data.is_empty() {
            return Err(SimError::InvalidField {
                field: "data",
                problem: "the file is empty".to_owned(),
            });
        }
        let upload = crate::media::PhoneUpload::encrypt(shared, media.kind, &media.data);
        let details = MediaDetails {
            mimetype: media.mimetype,
            caption: media.caption,
            file_name: media.file_name,
            ..MediaDetails::default()
        };
        let message =
            media_message(media.kind, &details, &upload.uploaded).map_err(|_| SimError::InvalidField {
                field: "kind",
                problem: format!("{} files are not sent as messages", media.kind),
            })?;
        // On the host before the message goes out: a recipient may fetch it at once.
        upload.publish(shared);
        self.send_message(shared, to, message).await
    }

    /// Plans the send with wasndr-core's planner (the same one the Client uses): the message pairwise
    /// to each device of a user (our own companions get a device-sent copy), or one sender-key message
    /// to a group with the distribution message pairwise to every member device. Sessions start from
    /// the devices' published bundles where there are none.
    async fn send_message(
        &self,
        shared: &Shared,
        to: &Jid,
        message: e2e::Message,
    ) -> Result<String, SimError> {
        let _guard = self.crypto.lock().await;
        let id = message_id();
        let own_jid = Jid::pn(&self.number);
        let devices: Vec<Jid> = {
            let net = shared.net();
            let accounts: Vec<String> = if to.is_group() {
                let group = net
                    .groups
                    .get(to.user())
                    .filter(|group| group.role_of(&self.number).is_some())
                    .ok_or_else(|| SimError::UnknownGroup(to.to_string()))?;
                group
                    .participants
                    .iter()
                    .map(|(phone, _)| phone.clone())
                    .collect()
            } else {
                let phone = net
                    .account_of(to)
                    .map(str::to_owned)
                    .ok_or_else(|| SimError::InvalidRecipient(to.to_string()))?;
                vec![phone, self.number.clone()]
            };
            accounts
                .iter()
                .flat_map(|phone| net.devices_of(phone))
                .map(|(phone, device)| Network::device_jid(&phone, device))
                .collect()
        };
        let mut records = Records::default();
        let mut bundles = HashMap::new();
        for device in &devices {
            let address = protocol_address(device);
            let session = self.store.load_session(&address).await.map_err(core_error)?;
            if let Some(identity) = self.store.remote_identity(&address).await.map_err(core_error)? {
                records.identities.insert(address.clone(), identity);
            }
            let this_device = device.user() == self.number && device.device() == 0;
            if !this_device
                && !session
                    .as_ref()
                    .is_some_and(|record| record.has_current_session())
            {
                let bundle = bundle_of(&mut shared.net(), &(device.user().to_owned(), device.device()))
                    .ok_or_else(|| SimError::InvalidRecipient(device.to_string()))?;
                bundles.insert(device.clone(), bundle);
            }
            // Kept even when stale: a new session archives the old states rather than dropping them.
            if let Some(session) = session {
                records.sessions.insert(address, session);
            }
        }
        let group = to.is_group().then_some(GroupSend {
            sender: &own_jid,
            addressing_mode: None,
            has_sender_key: None,
        });
        if group.is_some() {
            let name = SenderKeyName::new(to.to_string(), protocol_address(&own_jid));
            if let Some(record) = self.store.load_sender_key(&name).await.map_err(core_error)? {
                records.sender_keys.insert(name, record);
            }
        }
        let request = SendRequest {
            id: &id,
            chat: to,
            message: &message,
            own: self.own_device(&own_jid),
            devices: &devices,
            records: &records,
            bundles: &bundles,
            group,
            now: unix_now(),
        };
        let mut planned = plan_send(&request, &mut rng())?;
        if let Some((_, error)) = planned.skipped.into_iter().next() {
            return Err(error.into());
        }
        // The empty identity of `own_device` is not sent at all.
        planned.stanza.device_identity = None;
        self.store.apply(&planned.changes).await.map_err(core_error)?;
        message::route(shared, &self.device(), &planned.stanza.into_node(), None);
        Ok(id)
    }
}

fn core_error(error: StoreError) -> SimError {
    SimError::Protocol(error.into())
}

/// A device's published bundle, consuming one one-time prekey.
fn bundle_of(net: &mut Network, device: &DeviceId) -> Option<PreKeyBundle> {
    let keys = &mut net.accounts.get_mut(&device.0)?.devices.get_mut(&device.1)?.keys;
    Some(PreKeyBundle {
        registration_id: keys.registration_id,
        identity_key: keys.identity,
        signed_prekey_id: keys.signed_prekey.id,
        signed_prekey: keys.signed_prekey.public,
        signed_prekey_signature: keys.signed_prekey.signature.to_vec(),
        prekey: keys.prekeys.pop_front(),
    })
}

/// The text of a message: conversation, extended text, or a media caption.
fn text_of(message: &e2e::Message) -> Option<String> {
    if let Some(text) = &message.conversation {
        return Some(text.clone());
    }
    if let Some(extended) = &message.extended_text_message
        && let Some(text) = &extended.text
    {
        return Some(text.clone());
    }
    if let Some(image) = &message.image_message {
        return Some(image.caption.clone().unwrap_or_default());
    }
    if let Some(caption) = message
        .video_message
        .as_ref()
        .and_then(|video| video.caption.clone())
        .or_else(|| {
            message
                .document_message
                .as_ref()
                .and_then(|doc| doc.caption.clone())
        })
    {
        return Some(caption);
    }
    None
}
