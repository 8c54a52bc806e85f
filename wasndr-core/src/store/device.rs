//! The linked companion device itself: its long-term keys and what pairing taught it.

use std::fmt;

use async_trait::async_trait;
use rand_core::CryptoRng;

use super::StoreError;
use crate::crypto::KeyPair;
use crate::error::Result;
use crate::jid::Jid;
use crate::signal::{IdentityKeyPair, SignedPreKeyRecord, generate_registration_id};

/// Everything a companion device keeps about itself between runs.
///
/// Generated once ([`Device::generate`]) before the first connection; pairing fills in `jid`, `lid`,
/// `platform`, `account` and `key_index_list`; logging out deletes it. The signed prekey itself lives in
/// [`super::SignedPreKeyStore`]; the device names the current one by id.
///
/// `Debug` shows public keys and identifiers only: the noise and identity private keys and the ADV
/// secret are redacted.
#[derive(Clone)]
pub struct Device {
    /// The Noise static key pair this device authenticates the transport with.
    pub noise_key: KeyPair,
    /// The Signal identity key pair.
    pub identity: IdentityKeyPair,
    /// The Signal registration id (14 bits, non-zero).
    pub registration_id: u32,
    /// The 32-byte ADV secret shared with the primary through the QR code; keys the HMAC of
    /// `pair-success` (transport guide, pairing).
    pub adv_secret_key: [u8; 32],
    /// The id of the current signed prekey in [`super::SignedPreKeyStore`].
    pub signed_prekey_id: u32,
    /// Our own device JID on the phone-number side, `user:N@s.whatsapp.net`, once paired.
    pub jid: Option<Jid>,
    /// Our own device JID on the LID side, `lid:N@lid`, once paired.
    pub lid: Option<Jid>,
    /// The name other users see for us (the account's push name).
    pub push_name: Option<String>,
    /// The primary phone's platform, as `pair-success` reports it (`android`, `smbi`, …).
    pub platform: Option<String>,
    /// The business name, for business accounts.
    pub business_name: Option<String>,
    /// The `ADVSignedDeviceIdentity` protobuf from pairing, with `accountSignatureKey` kept: it goes
    /// into `<device-identity>` of prekey messages (messaging guide §D.6).
    pub account: Option<Vec<u8>>,
    /// The signed key-index list (`ADVSignedKeyIndexList` bytes) from pairing.
    pub key_index_list: Option<Vec<u8>>,
    /// Server clock minus our clock, in seconds, as last measured (0 until measured).
    pub server_time_offset: i64,
    /// When this device was generated, in seconds since the Unix epoch.
    pub created_at: u64,
}

impl Device {
    /// A fresh, unpaired device created at `now` (Unix seconds): new noise and identity keys, a
    /// registration id, an ADV secret, and its first signed prekey (id 1), which the caller stores in
    /// the same [`super::Changes`] as the device.
    pub fn generate<R: CryptoRng + ?Sized>(now: u64, rng: &mut R) -> Result<(Device, SignedPreKeyRecord)> {
        let noise_key = KeyPair::generate(rng);
        let identity = IdentityKeyPair::generate(rng);
        let registration_id = generate_registration_id(rng);
        let mut adv_secret_key = [0u8; 32];
        rng.fill_bytes(&mut adv_secret_key);
        let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, now, rng)?;
        let device = Device {
            noise_key,
            identity,
            registration_id,
            adv_secret_key,
            signed_prekey_id: signed_prekey.id,
            jid: None,
            lid: None,
            push_name: None,
            platform: None,
            business_name: None,
            account: None,
            key_index_list: None,
            server_time_offset: 0,
            created_at: now,
        };
        Ok((device, signed_prekey))
    }

    /// Whether pairing completed (we know our own JID).
    pub fn is_paired(&self) -> bool {
        self.jid.is_some()
    }
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("noise_key", &self.noise_key.public)
            .field("identity", self.identity.public())
            .field("registration_id", &self.registration_id)
            .field("adv_secret_key", &"<redacted>")
            .field("signed_prekey_id", &self.signed_prekey_id)
            .field("jid", &self.jid)
            .field("lid", &self.lid)
            .field("push_name", &self.push_name)
            .field("platform", &self.platform)
            .field("business_name", &self.business_name)
            .field("account", &self.account.as_ref().map(Vec::len))
            .field("key_index_list", &self.key_index_list.as_ref().map(Vec::len))
            .field("server_time_offset", &self.server_time_offset)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The device record of one store.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// The device, or `None` before one was saved (and after [`DeviceStore::delete_device`]).
    async fn load_device(&self) -> Result<Option<Device>, StoreError>;

    /// Saves the device, replacing the stored one. Its identity key pair and registration id are what
    /// [`super::IdentityKeyStore`] answers from then on.
    async fn save_device(&self, device: &Device) -> Result<(), StoreError>;

    /// Logout: wipes every piece of data of this device — the device record, Signal state, contacts,
    /// messages, groups and settings — so the store is as new. Irreversible.
    async fn delete_device(&self) -> Result<(), StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_every_secret() {
        let (device, _) = Device::generate(1_700_000_000, &mut rand::rng()).unwrap();
        let text = format!("{device:?}");
        for secret in [
            device.noise_key.private.to_bytes(),
            device.identity.private().to_bytes(),
            device.adv_secret_key,
        ] {
            assert!(!text.contains(&hex::encode(secret)), "{text}");
            assert!(!text.contains(&format!("{:?}", &secret[..4])), "{text}");
        }
        assert!(text.contains("redacted"));
        assert!(text.contains(&hex::encode(device.identity.public().as_bytes())));
    }

    #[test]
    fn a_generated_device_is_unpaired_with_a_valid_signed_prekey() {
        let (device, spk) = Device::generate(42, &mut rand::rng()).unwrap();
        assert!(!device.is_paired());
        assert_eq!(device.signed_prekey_id, spk.id);
        assert_eq!(spk.timestamp, 42);
        assert!(
            device
                .identity
                .public()
                .verify(&spk.key_pair.public.serialize(), &spk.signature)
        );
        assert!((1..=crate::signal::MAX_REGISTRATION_ID).contains(&device.registration_id));
    }
}
