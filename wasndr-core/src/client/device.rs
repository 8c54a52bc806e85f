//! The companion [`Device`] as the connection needs it: loaded from the store, or created and stored
//! before the first registration, and the record pairing turns it into.

use rand_core::CryptoRng;

use crate::crypto::PublicKey;
use crate::error::Result;
use crate::jid::Jid;
use crate::signal::{ProtocolAddress, SignedPreKeyRecord};
use crate::store::{Changes, Device, Store, StoreError};

/// The stored device, or a new one stored (with its first signed prekey, in one batch) before anything
/// about it reaches the server: a crash after the registration payload must not lose the keys the QR
/// shows.
pub(crate) async fn load_or_create<R: CryptoRng + ?Sized>(
    store: &dyn Store,
    now: u64,
    rng: &mut R,
) -> Result<Device> {
    if let Some(device) = store.load_device().await? {
        return Ok(device);
    }
    let (device, signed_prekey) = Device::generate(now, rng)?;
    let mut changes = Changes::new();
    changes.device = Some(device.clone());
    changes.signed_prekeys.push(signed_prekey);
    store.apply(&changes).await?;
    Ok(device)
}

/// The device's current signed prekey (the one the registration payload and every prekey upload carry).
pub(crate) async fn current_signed_prekey(store: &dyn Store, device: &Device) -> Result<SignedPreKeyRecord> {
    store
        .load_signed_prekey(device.signed_prekey_id)
        .await?
        .ok_or(StoreError::Missing("the device's signed prekey").into())
}

/// What a verified `pair-success` taught us.
#[derive(Clone, Debug)]
pub(crate) struct Pairing {
    /// Our device JID, `PHONE:N@s.whatsapp.net`.
    pub(crate) jid: Jid,
    /// Our device LID, `LID:N@lid`.
    pub(crate) lid: Option<Jid>,
    /// The primary's platform.
    pub(crate) platform: Option<String>,
    /// The business name, for business accounts.
    pub(crate) business_name: Option<String>,
    /// The full `ADVSignedDeviceIdentity` (both signatures, account key).
    pub(crate) signed_identity: Vec<u8>,
    /// The primary's identity key (the account signature key).
    pub(crate) primary_identity: PublicKey,
    /// The ADV secret the `pair-success` HMAC verified under (the QR's, or the link code's).
    pub(crate) adv_secret: [u8; 32],
    /// Server clock minus ours, from the `pair-success` `t` attribute.
    pub(crate) server_time_offset: Option<i64>,
}

/// The batch that records a pairing: the paired device, and the primary's identity trusted for its
/// phone-number and LID addresses (pairing authenticated it; whatsmeow does the same for the LID).
pub(crate) fn pairing_changes(device: &Device, pairing: &Pairing) -> (Device, Changes) {
    let mut paired = device.clone();
    paired.jid = Some(pairing.jid.clone());
    paired.lid = pairing.lid.clone();
    paired.platform = pairing.platform.clone();
    paired.business_name = pairing.business_name.clone();
    paired.account = Some(pairing.signed_identity.clone());
    paired.adv_secret_key = pairing.adv_secret;
    if let Some(offset) = pairing.server_time_offset {
        paired.server_time_offset = offset;
    }
    let mut changes = Changes::new();
    changes.device = Some(paired.clone());
    let primaries = [Some(&pairing.jid), pairing.lid.as_ref()];
    for jid in primaries.into_iter().flatten() {
        let address = jid.to_non_ad().signal_address();
        changes.save_identity(
            ProtocolAddress::new(address.name(), address.device_id()),
            pairing.primary_identity,
        );
    }
    (paired, changes)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pollster::block_on;
    use rand::SeedableRng as _;

    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_new_device_is_stored_with_its_signed_prekey_and_then_reused() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::empty());
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let created = block_on(load_or_create(&*store, 1_700_000_000, &mut rng)).unwrap();
        assert!(!created.is_paired());
        let again = block_on(load_or_create(&*store, 1_700_000_100, &mut rng)).unwrap();
        assert_eq!(again.noise_key.public, created.noise_key.public);
        assert_eq!(again.created_at, 1_700_000_000);
        let signed = block_on(current_signed_prekey(&*store, &again)).unwrap();
        assert_eq!(signed.id, created.signed_prekey_id);
        assert_eq!(
            block_on(store.identity_key_pair()).unwrap().public(),
            created.identity.public()
        );
    }

    #[test]
    fn pairing_fills_the_device_and_trusts_the_primary_on_both_addresses() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let (device, _) = Device::generate(5, &mut rng).unwrap();
        let primary = crate::crypto::KeyPair::generate(&mut rng).public;
        let pairing = Pairing {
            jid: Jid::pn("15551234567").with_device(4),
            lid: Some(Jid::lid("777").with_device(4)),
            platform: Some("android".into()),
            business_name: None,
            signed_identity: vec![1, 2, 3],
            primary_identity: primary,
            adv_secret: [9; 32],
            server_time_offset: Some(-3),
        };
        let (paired, changes) = pairing_changes(&device, &pairing);
        assert!(paired.is_paired());
        assert_eq!(paired.account.as_deref(), Some(&[1, 2, 3][..]));
        assert_eq!(paired.adv_secret_key, [9; 32]);
        assert_eq!(paired.server_time_offset, -3);
        assert_eq!(paired.noise_key.public, device.noise_key.public);
        let addresses: Vec<String> = changes.identities.iter().map(|(a, _)| a.to_string()).collect();
        assert_eq!(addresses, ["15551234567.0", "777_1.0"]);
        assert!(changes.identities.iter().all(|(_, key)| *key == primary));
    }
}
