//! A test peer: an in-memory store with an identity, a signed prekey and one-time prekeys.

use pollster::block_on;
use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::signal::session::SessionRecord;
use wasndr_core::signal::{
    IdentityKeyPair, PreKeyBundle, ProtocolAddress, SignedPreKeyRecord, cipher, generate_prekeys,
};
use wasndr_core::store::{MemoryStore, PreKeyStore, SessionStore, SignedPreKeyStore};

pub struct Peer {
    pub store: MemoryStore,
    pub address: ProtocolAddress,
    pub identity: IdentityKeyPair,
    pub registration_id: u32,
    pub signed_prekey: SignedPreKeyRecord,
    pub rng: StdRng,
}

impl Peer {
    /// A peer named `name` with signed prekey 1 and one-time prekeys 1..=5, keys from `seed`.
    pub fn new(name: &str, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let identity = IdentityKeyPair::generate(&mut rng);
        let registration_id = wasndr_core::signal::generate_registration_id(&mut rng);
        let store = MemoryStore::new(identity.clone(), registration_id);
        let signed_prekey = SignedPreKeyRecord::generate(&identity, 1, 0, &mut rng).unwrap();
        block_on(store.store_signed_prekey(&signed_prekey)).unwrap();
        let (prekeys, _) = generate_prekeys(1, 5, &mut rng).unwrap();
        block_on(store.store_prekeys(&prekeys)).unwrap();
        Self {
            store,
            address: ProtocolAddress::new(name, 0),
            identity,
            registration_id,
            signed_prekey,
            rng,
        }
    }

    /// This peer's bundle with one-time prekey `prekey` (if any).
    pub fn bundle(&self, prekey: Option<u32>) -> PreKeyBundle {
        PreKeyBundle {
            registration_id: self.registration_id,
            identity_key: *self.identity.public(),
            signed_prekey_id: self.signed_prekey.id,
            signed_prekey: self.signed_prekey.key_pair.public,
            signed_prekey_signature: self.signed_prekey.signature.to_vec(),
            prekey: prekey.map(|id| {
                let key = block_on(self.store.load_prekey(id)).unwrap().unwrap();
                (id, key.key_pair.public)
            }),
        }
    }

    /// Starts a session with `other` from its bundle.
    pub fn start_session(&mut self, other: &Peer, prekey: Option<u32>) {
        let bundle = other.bundle(prekey);
        block_on(cipher::process_prekey_bundle(
            &self.store,
            &other.address,
            &bundle,
            &mut self.rng,
        ))
        .unwrap();
    }

    /// Encrypts for `to`: (enc type, bytes).
    pub fn encrypt(&mut self, to: &Peer, plaintext: &[u8]) -> (String, Vec<u8>) {
        let message = block_on(cipher::encrypt(&self.store, &to.address, plaintext)).unwrap();
        (message.enc_type().to_owned(), message.into_serialized())
    }

    /// Decrypts from `from`.
    pub fn decrypt(&mut self, from: &Peer, message: &(String, Vec<u8>)) -> wasndr_core::Result<Vec<u8>> {
        block_on(cipher::decrypt(
            &self.store,
            &from.address,
            &message.0,
            &message.1,
            &mut self.rng,
        ))
    }

    /// The serialised session record with `other` (empty if none): compared before and after a
    /// rejected message.
    pub fn session_bytes(&self, other: &Peer) -> Vec<u8> {
        block_on(self.store.load_session(&other.address))
            .unwrap()
            .map(|r: SessionRecord| r.to_bytes())
            .unwrap_or_default()
    }
}
