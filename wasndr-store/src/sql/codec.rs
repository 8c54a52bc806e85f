//! Values to and from SQL columns, shared by the SQLite and PostgreSQL backends.

use wasndr_core::crypto::{KeyPair, PrivateKey, PublicKey};
use wasndr_core::jid::Jid;
use wasndr_core::signal::IdentityKeyPair;
use wasndr_core::store::{
    Device, GroupParticipant, ListedDevice, MediaInfo, MessageStatus, ParticipantRole, StoreError,
    StoredMessage,
};

/// A driver error as a [`StoreError`].
pub(crate) fn backend(error: sqlx::Error) -> StoreError {
    StoreError::backend(error)
}

/// A record decoder's error as a [`StoreError`] (they fail with `Error::Store(Corrupt)` already).
pub(crate) fn record_error(what: &'static str) -> impl Fn(wasndr_core::Error) -> StoreError {
    move |error| match error {
        wasndr_core::Error::Store(error) => error,
        other => StoreError::corrupt(what, other.to_string()),
    }
}

/// Unix seconds and counts as SQL integers. Values past `i64::MAX` (never met in practice) saturate.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// SQL integers back; a negative value (never written) reads as 0.
pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A small stored integer (ids, registration ids, device numbers).
pub(crate) fn to_u32(value: i64, what: &'static str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::corrupt(what, format!("{value} is out of range")))
}

pub(crate) fn jid(text: &str) -> Result<Jid, StoreError> {
    Jid::parse(text).map_err(|e| StoreError::corrupt("jid", e.to_string()))
}

pub(crate) fn opt_jid(text: Option<String>) -> Result<Option<Jid>, StoreError> {
    text.as_deref().map(jid).transpose()
}

pub(crate) fn opt_text(value: &Option<Jid>) -> Option<String> {
    value.as_ref().map(Jid::to_string)
}

pub(crate) fn public_key(bytes: &[u8]) -> Result<PublicKey, StoreError> {
    PublicKey::from_slice(bytes).map_err(|e| StoreError::corrupt("identity key", e.to_string()))
}

fn private_key(bytes: Option<Vec<u8>>, what: &'static str) -> Result<PrivateKey, StoreError> {
    let bytes = bytes.ok_or(StoreError::corrupt(what, "missing"))?;
    PrivateKey::from_slice(&bytes).map_err(|e| StoreError::corrupt(what, e.to_string()))
}

/// The `wa_devices` columns of a [`Device`], as read.
#[derive(Debug, Default)]
pub(crate) struct DeviceColumns {
    pub(crate) noise_private: Option<Vec<u8>>,
    pub(crate) identity_private: Option<Vec<u8>>,
    pub(crate) registration_id: Option<i64>,
    pub(crate) adv_secret_key: Option<Vec<u8>>,
    pub(crate) signed_prekey_id: Option<i64>,
    pub(crate) jid: Option<String>,
    pub(crate) lid: Option<String>,
    pub(crate) push_name: Option<String>,
    pub(crate) platform: Option<String>,
    pub(crate) business_name: Option<String>,
    pub(crate) account: Option<Vec<u8>>,
    pub(crate) key_index_list: Option<Vec<u8>>,
    pub(crate) server_time_offset: Option<i64>,
    pub(crate) created_at: Option<i64>,
}

impl DeviceColumns {
    /// The device, or `None` when none is saved (the noise key is the marker).
    pub(crate) fn into_device(self) -> Result<Option<Device>, StoreError> {
        if self.noise_private.is_none() {
            return Ok(None);
        }
        let adv_secret_key = self
            .adv_secret_key
            .as_deref()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(StoreError::corrupt("device", "ADV secret is not 32 bytes"))?;
        Ok(Some(Device {
            noise_key: KeyPair::from_private(private_key(self.noise_private, "noise key")?),
            identity: IdentityKeyPair::from_private(private_key(self.identity_private, "identity key")?),
            registration_id: to_u32(self.registration_id.unwrap_or(0), "registration id")?,
            adv_secret_key,
            signed_prekey_id: to_u32(self.signed_prekey_id.unwrap_or(0), "signed prekey id")?,
            jid: opt_jid(self.jid)?,
            lid: opt_jid(self.lid)?,
            push_name: self.push_name,
            platform: self.platform,
            business_name: self.business_name,
            account: self.account,
            key_index_list: self.key_index_list,
            server_time_offset: self.server_time_offset.unwrap_or(0),
            created_at: to_u64(self.created_at.unwrap_or(0)),
        }))
    }
}

/// `wa_messages` columns, as read.
#[derive(Debug)]
pub(crate) struct MessageColumns {
    pub(crate) chat: String,
    pub(crate) id: String,
    pub(crate) sender: String,
    pub(crate) from_me: bool,
    pub(crate) timestamp: i64,
    pub(crate) status: i64,
    pub(crate) message_type: String,
    pub(crate) text: Option<String>,
    pub(crate) raw: Vec<u8>,
    pub(crate) media_type: Option<String>,
    pub(crate) mimetype: Option<String>,
    pub(crate) file_name: Option<String>,
    pub(crate) file_length: Option<i64>,
    pub(crate) file_sha256: Option<Vec<u8>>,
    pub(crate) file_enc_sha256: Option<Vec<u8>>,
    pub(crate) media_key: Option<Vec<u8>>,
    pub(crate) direct_path: Option<String>,
    pub(crate) url: Option<String>,
}

impl MessageColumns {
    pub(crate) fn into_message(self) -> Result<StoredMessage, StoreError> {
        let status = u8::try_from(self.status)
            .ok()
            .and_then(MessageStatus::from_rank)
            .ok_or_else(|| StoreError::corrupt("message status", self.status.to_string()))?;
        let media = self.media_type.map(|media_type| MediaInfo {
            media_type,
            mimetype: self.mimetype,
            file_name: self.file_name,
            file_length: self.file_length.map(to_u64),
            file_sha256: self.file_sha256,
            file_enc_sha256: self.file_enc_sha256,
            media_key: self.media_key,
            direct_path: self.direct_path,
            url: self.url,
        });
        Ok(StoredMessage {
            chat: jid(&self.chat)?,
            id: self.id,
            sender: jid(&self.sender)?,
            from_me: self.from_me,
            timestamp: to_u64(self.timestamp),
            status,
            message_type: self.message_type,
            text: self.text,
            raw: self.raw,
            media,
        })
    }
}

/// A device list as text: `device[:key_index]` entries joined by commas (`0,3:2,7:5`).
pub(crate) fn encode_devices(devices: &[ListedDevice]) -> String {
    let entries: Vec<String> = devices
        .iter()
        .map(|d| match d.key_index {
            Some(index) => format!("{}:{index}", d.device),
            None => d.device.to_string(),
        })
        .collect();
    entries.join(",")
}

pub(crate) fn decode_devices(text: &str) -> Result<Vec<ListedDevice>, StoreError> {
    let corrupt = || StoreError::corrupt("device list", text.to_owned());
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|entry| {
            let (device, key_index) = match entry.split_once(':') {
                Some((device, index)) => (device, Some(index.parse().map_err(|_| corrupt())?)),
                None => (entry, None),
            };
            let device = device.parse().map_err(|_| corrupt())?;
            Ok(ListedDevice { device, key_index })
        })
        .collect()
}

/// Poll option hashes as one blob: each entry prefixed with its length as u32 big-endian.
pub(crate) fn encode_selected(selected: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(selected.iter().map(|s| s.len() + 4).sum());
    for option in selected {
        let len = u32::try_from(option.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(option);
    }
    out
}

pub(crate) fn decode_selected(mut bytes: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut selected = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes
            .split_first_chunk::<4>()
            .ok_or(StoreError::corrupt("poll vote", "truncated length"))?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return Err(StoreError::corrupt("poll vote", "truncated option"));
        }
        let (option, rest) = rest.split_at(len);
        selected.push(option.to_vec());
        bytes = rest;
    }
    Ok(selected)
}

/// `wa_group_participants` columns, as read.
#[derive(Debug)]
pub(crate) struct ParticipantColumns {
    pub(crate) jid: String,
    pub(crate) phone_number: Option<String>,
    pub(crate) lid: Option<String>,
    pub(crate) role: String,
}

impl ParticipantColumns {
    pub(crate) fn into_participant(self) -> Result<GroupParticipant, StoreError> {
        Ok(GroupParticipant {
            jid: jid(&self.jid)?,
            phone_number: opt_jid(self.phone_number)?,
            lid: opt_jid(self.lid)?,
            role: ParticipantRole::parse(&self.role)
                .ok_or_else(|| StoreError::corrupt("participant role", self.role))?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn device_lists_round_trip_and_garbage_is_corrupt() {
        let devices = vec![
            ListedDevice {
                device: 0,
                key_index: None,
            },
            ListedDevice {
                device: 3,
                key_index: Some(2),
            },
            ListedDevice {
                device: 99,
                key_index: Some(u32::MAX),
            },
        ];
        assert_eq!(encode_devices(&devices), "0,3:2,99:4294967295");
        assert_eq!(decode_devices(&encode_devices(&devices)).unwrap(), devices);
        assert_eq!(decode_devices("").unwrap(), Vec::new());
        for bad in ["x", "1:", "1:y", "70000", ","] {
            assert!(decode_devices(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn poll_selections_round_trip_and_truncation_is_corrupt() {
        let selected = vec![vec![1u8; 32], Vec::new(), vec![7u8; 3]];
        let bytes = encode_selected(&selected);
        assert_eq!(decode_selected(&bytes).unwrap(), selected);
        assert!(decode_selected(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_selected(&[0, 0]).is_err());
    }
}
