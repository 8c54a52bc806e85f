//! Virtual primary phones: device 0 of each account, holding a real Signal identity and prekeys. They
//! decrypt what is sent to them (pairwise and sender-key group messages) and send text and media
//! themselves, so every test has a peer.
//!
//! The stanza building and the receive path here are the minimum the simulator needs; they should move
//! onto wasndr-core's message planner and receive pipeline once those land.

use std::sync::{Arc, Mutex, Weak};

use serde::Serialize;
use tokio::sync::mpsc;
use wasndr_core::binary::{Content, Node};

use wasndr_core::jid::Jid;
use wasndr_core::media::MediaType;
use wasndr_core::message::{MediaDetails, enc_media_type, media_message, pad, stanza_type, unpad};
use wasndr_core::signal::cipher;
use wasndr_core::signal::wire::SenderKeyDistributionMessage;
use wasndr_core::signal::{
    IdentityKeyPair, PreKeyBundle, ProtocolAddress, SenderKeyName, SignedPreKeyRecord, generate_prekeys,
    generate_registration_id,
};
use wasndr_core::store::{MemoryStore, PreKeyStore, SessionStore, SignedPreKeyStore};
use wasndr_proto::Message as _;
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

/// A virtual primary phone.
pub(crate) struct Phone {
    pub(crate) number: String,
    pub(crate) identity: IdentityKeyPair,
    /// The `rawId` of the ADV identities it issues.
    pub(crate) raw_id: u32,
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
        let signed = SignedPreKeyRecord::generate(&identity, 1, unix_now(), &mut rng)?;
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

    async fn on_message(&self, shared: &Shared, node: Node) {
        let _guard = self.crypto.lock().await;
        let (Some(id), Some(from)) = (
            node.attr_str("id").map(str::to_owned),
            node.attr_jid("from").map(|jid| jid.to_owned()),
        ) else {
            return;
        };
        let participant = node.attr_jid("participant").map(|jid| jid.to_owned());
        let sender = participant.clone().unwrap_or_else(|| from.clone());
        let sender_phone = shared.net().account_of(&sender).map(str::to_owned);
        let Some(sender_phone) = sender_phone else {
            return;
        };
        let address = ProtocolAddress::new(sender_phone.clone(), u32::from(sender.device()));
        let chat = if from.is_group() {
            from.to_string()
        } else if let Some(recipient) = node.attr_jid("recipient") {
            recipient.to_owned().to_non_ad().to_string()
        } else {
            Jid::pn(&sender_phone).to_string()
        };
        let mut text = None;
        let mut media = None;
        let mut failed = false;
        for enc in node.children_with_tag("enc") {
            let Some(ciphertext) = enc.content_bytes() else {
                continue;
            };
            let plaintext = match enc.attr_str("type") {
                Some(kind @ ("pkmsg" | "msg")) => {
                    cipher::decrypt(&self.store, &address, kind, ciphertext, &mut rng()).await
                }
                Some("skmsg") => {
                    let name = SenderKeyName::new(from.to_string(), address.clone());
                    cipher::group_decrypt(&self.store, &name, ciphertext).await
                }
                _ => continue,
            };
            let Ok(plaintext) = plaintext else {
                failed = true;
                continue;
            };
            let Some(message) = unpad(&plaintext)
                .ok()
                .and_then(|bytes| e2e::Message::decode(bytes).ok())
            else {
                failed = true;
                continue;
            };
            let message = match message.device_sent_message {
                Some(sent) => sent.message.map(|inner| *inner).unwrap_or_default(),
                None => message,
            };
            if let Some(distribution) = &message.sender_key_distribution_message
                && let Some(bytes) = &distribution.axolotl_sender_key_distribution_message
                && let Ok(parsed) = SenderKeyDistributionMessage::parse(bytes)
            {
                let group = distribution.group_id.clone().unwrap_or_else(|| from.to_string());
                let name = SenderKeyName::new(group, address.clone());
                let _ = cipher::process_sender_key_distribution(&self.store, &name, &parsed).await;
            }
            if let Some(body) = text_of(&message) {
                text = Some(body);
            }
            if let Some(file) = crate::media::fetch_and_decrypt(shared, &message) {
                text.get_or_insert_with(String::new);
                media = Some(file);
            }
        }
        if let Some(text) = text {
            let timestamp = node
                .attr_str("t")
                .and_then(|t| t.parse().ok())
                .unwrap_or_else(unix_now);
            self.messages
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(ReceivedMessage {
                    id: id.clone(),
                    from: Jid::pn(&sender_phone).to_string(),
                    chat,
                    text,
                    timestamp,
                    media,
                });
        }
        let mut receipt_node = Node::new("receipt")
            .attr("id", id)
            .attr("to", from)
            .attr_opt("participant", participant);
        if failed && node.attr_str("type").is_some() {
            receipt_node.set_attr("type", "retry");
        }
        receipt::relay(shared, &self.device(), &receipt_node);
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

    async fn send_message(
        &self,
        shared: &Shared,
        to: &Jid,
        message: e2e::Message,
    ) -> Result<String, SimError> {
        let _guard = self.crypto.lock().await;
        let id = message_id();
        // Every `<enc>` of a media message names its kind, as the reference clients send them.
        let mediatype = enc_media_type(&message);
        let pad_message = |message: &e2e::Message| {
            let mut padding = [0u8; 1];
            rand::Rng::fill_bytes(&mut rng(), &mut padding);
            pad(&message.encode_to_vec(), padding[0])
        };
        let mut children = Vec::new();
        let mut participants = Vec::new();
        if to.is_group() {
            let targets = {
                let net = shared.net();
                let group = net
                    .groups
                    .get(to.user())
                    .ok_or_else(|| SimError::UnknownGroup(to.to_string()))?;
                if group.role_of(&self.number).is_none() {
                    return Err(SimError::UnknownGroup(to.to_string()));
                }
                let members: Vec<String> = group
                    .participants
                    .iter()
                    .map(|(phone, _)| phone.clone())
                    .collect();
                members
                    .iter()
                    .flat_map(|phone| net.devices_of(phone))
                    .filter(|device| *device != self.device())
                    .collect::<Vec<_>>()
            };
            let own = SenderKeyName::new(to.to_string(), ProtocolAddress::new(self.number.clone(), 0));
            let distribution = cipher::create_sender_key_distribution(&self.store, &own, &mut rng()).await?;
            let skmsg = cipher::group_encrypt(&self.store, &own, &pad_message(&message), &mut rng()).await?;
            let announce = e2e::Message {
                sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
                    group_id: Some(to.to_string()),
                    axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
                }),
                ..Default::default()
            };
            let plaintext = pad_message(&announce);
            for device in targets {
                participants.push(self.encrypt_for(shared, &device, &plaintext, mediatype).await?);
            }
            children.push(Node::new("participants").children(participants));
            children.push(
                Node::new("enc")
                    .attr("v", "2")
                    .attr("type", "skmsg")
                    .attr_opt("mediatype", mediatype)
                    .bytes(skmsg.into_serialized()),
            );
        } else {
            let (targets, own_devices) = {
                let net = shared.net();
                let phone = net
                    .account_of(to)
                    .map(str::to_owned)
                    .ok_or_else(|| SimError::InvalidRecipient(to.to_string()))?;
                let own: Vec<DeviceId> = net
                    .devices_of(&self.number)
                    .into_iter()
                    .filter(|d| d.1 != 0)
                    .collect();
                (net.devices_of(&phone), own)
            };
            let plaintext = pad_message(&message);
            for device in targets {
                participants.push(self.encrypt_for(shared, &device, &plaintext, mediatype).await?);
            }
            if !own_devices.is_empty() {
                let sent = e2e::Message {
                    device_sent_message: Some(Box::new(e2e::DeviceSentMessage {
                        destination_jid: Some(to.to_non_ad().to_string()),
                        message: Some(Box::new(message.clone())),
                        ..Default::default()
                    })),
                    ..Default::default()
                };
                let plaintext = pad_message(&sent);
                for device in own_devices {
                    participants.push(self.encrypt_for(shared, &device, &plaintext, mediatype).await?);
                }
            }
            children.push(Node::new("participants").children(participants));
        }
        let mut node = Node::new("message")
            .attr("to", if to.is_group() { to.clone() } else { to.to_non_ad() })
            .attr("id", id.clone())
            .attr("type", stanza_type(&message));
        node.content = Content::Nodes(children);
        message::route(shared, &self.device(), &node, None);
        Ok(id)
    }

    /// `<to jid=DEVICE><enc v=2 type=msg|pkmsg>…</enc></to>`, starting a session from the device's
    /// published bundle when there is none.
    async fn encrypt_for(
        &self,
        shared: &Shared,
        device: &DeviceId,
        plaintext: &[u8],
        mediatype: Option<&'static str>,
    ) -> Result<Node, SimError> {
        let address = ProtocolAddress::new(device.0.clone(), u32::from(device.1));
        let has_session = self
            .store
            .load_session(&address)
            .await
            .map_err(wasndr_core::Error::from)?
            .is_some_and(|record| record.has_current_session());
        if !has_session {
            let bundle = {
                let mut net = shared.net();
                bundle_of(&mut net, device)
            }
            .ok_or_else(|| SimError::InvalidRecipient(format!("{}:{}", device.0, device.1)))?;
            cipher::process_prekey_bundle(&self.store, &address, &bundle, &mut rng()).await?;
        }
        let ciphertext = cipher::encrypt(&self.store, &address, plaintext).await?;
        let jid = Network::device_jid(&device.0, device.1);
        Ok(Node::new("to").attr("jid", jid).children([Node::new("enc")
            .attr("v", "2")
            .attr("type", ciphertext.enc_type())
            .attr_opt("mediatype", mediatype)
            .bytes(ciphertext.into_serialized())]))
    }
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
