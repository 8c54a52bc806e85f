//! The companion's own keys and account, as the client needs them.
//!
//! Interim: the store engineer's `DeviceStore` (in `crate::store`) replaces [`DeviceSlot`]; until it
//! lands, the keys that are not Signal state (the Noise static key, the ADV secret) and the paired
//! account live in this slot, while the identity key, registration id and prekeys live in the
//! [`SignalStore`](crate::store::SignalStore) the client is built with.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use rand_core::CryptoRng;

use crate::crypto::KeyPair;
use crate::jid::Jid;

/// The secret a companion shares with its phone through the QR (or derives in phone-number pairing);
/// the phone's `pair-success` is authenticated with an HMAC under it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdvSecret(pub [u8; 32]);

impl fmt::Debug for AdvSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdvSecret(<redacted>)")
    }
}

/// The account this companion is linked to, learnt from `pair-success`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Our device JID, `PHONE:N@s.whatsapp.net`.
    pub jid: Jid,
    /// Our device LID, `LID:N@lid` (updated from `<success lid>`).
    pub lid: Option<Jid>,
    /// The primary's platform.
    pub platform: Option<String>,
    /// The business name, for business accounts.
    pub business_name: Option<String>,
    /// The serialized `ADVSignedDeviceIdentity` with our device signature and the account signature
    /// key: sent in `<device-identity>` of prekey messages.
    pub signed_identity: Vec<u8>,
    /// The key index the primary assigned to this companion.
    pub key_index: u32,
}

/// A companion's non-Signal keys and, once paired, its account.
#[derive(Clone, Debug)]
pub struct DeviceKeys {
    /// The Noise static key ("noise key"), also shown in the QR.
    pub noise_key: KeyPair,
    /// The ADV secret, shown in the QR.
    pub adv_secret: AdvSecret,
    /// The linked account; `None` until paired.
    pub account: Option<Account>,
}

impl DeviceKeys {
    /// Fresh keys for a companion about to register.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut adv_secret = [0u8; 32];
        rng.fill_bytes(&mut adv_secret);
        Self {
            noise_key: KeyPair::generate(rng),
            adv_secret: AdvSecret(adv_secret),
            account: None,
        }
    }
}

/// Where a client keeps its [`DeviceKeys`]: shared (clone the slot) so that a client rebuilt over the
/// same slot and Signal store logs in again. In memory only; replaced by the store's device trait.
#[derive(Clone, Debug, Default)]
pub struct DeviceSlot(Arc<Mutex<Option<DeviceKeys>>>);

impl DeviceSlot {
    /// An empty slot: the first connection registers a new companion.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Option<DeviceKeys>> {
        // Every write replaces the whole value, so a poisoned lock still holds a consistent one.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The stored keys.
    pub fn load(&self) -> Option<DeviceKeys> {
        self.lock().clone()
    }

    /// Replaces the stored keys.
    pub fn save(&self, keys: DeviceKeys) {
        *self.lock() = Some(keys);
    }

    /// Forgets the device (after a logout).
    pub fn clear(&self) {
        *self.lock() = None;
    }

    /// The paired account, if any.
    pub fn account(&self) -> Option<Account> {
        self.lock().as_ref().and_then(|keys| keys.account.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;

    #[test]
    fn debug_output_shows_no_secret() {
        let keys = DeviceKeys::generate(&mut rand::rngs::StdRng::seed_from_u64(3));
        let shown = format!("{keys:?} {:?}", DeviceSlot::new());
        let private = keys.noise_key.private.to_bytes();
        for secret in [&private[..], &keys.adv_secret.0[..]] {
            assert!(!shown.contains(&hex::encode(secret)), "{shown}");
            assert!(!shown.contains(&format!("{secret:?}")), "{shown}");
            assert!(
                !shown.contains(format!("{:?}", &secret[..4]).trim_end_matches(']')),
                "{shown}"
            );
        }
        assert!(shown.contains("redacted"));
    }
}
