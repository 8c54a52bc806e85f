//! The key derivations of X3DH and the double ratchet (guide §A.4, §A.5) and of sender keys (§B). Pure
//! functions over bytes; the state machines that call them live in `session` and `group`.

use zeroize::{Zeroize, ZeroizeOnDrop};

#[cfg(test)]
use crate::crypto::hmac_sha256;
use crate::crypto::{HmacSha256Key, hkdf_sha256, hkdf_sha256_zero_salt};

const MESSAGE_KEY_SEED: [u8; 1] = [0x01];
const CHAIN_KEY_SEED: [u8; 1] = [0x02];

/// The 32 `0xFF` bytes in front of the X3DH DH outputs ("discontinuity bytes").
pub(crate) const DISCONTINUITY: [u8; 32] = [0xff; 32];

/// Root key and first chain key from the X3DH master secret (`0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4]`).
pub(crate) fn derive_x3dh(master: &[u8]) -> ([u8; 32], [u8; 32]) {
    split(hkdf_sha256_zero_salt::<64>(master, b"WhisperText"))
}

/// One root-key step: `KDF_RK(root, dh)` → (new root key, new chain key).
pub(crate) fn derive_root(root: &[u8; 32], dh: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    split(hkdf_sha256::<64>(root, dh, b"WhisperRatchet"))
}

fn split(mut okm: [u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut first = [0u8; 32];
    let mut second = [0u8; 32];
    first.copy_from_slice(&okm[..32]);
    second.copy_from_slice(&okm[32..]);
    okm.zeroize();
    (first, second)
}

/// A symmetric chain key and the index of the message key it yields next. Used by both the 1:1 ratchet
/// and sender keys: the steps (HMAC with `0x01` and `0x02`) are the same.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ChainKey {
    pub(crate) key: [u8; 32],
    pub(crate) index: u32,
}

impl ChainKey {
    pub(crate) fn new(key: [u8; 32], index: u32) -> Self {
        Self { key, index }
    }

    /// The message-key seed for `self.index`: `HMAC(CK, 0x01)`. The definition [`ChainKey::step`] is
    /// checked against.
    #[cfg(test)]
    pub(crate) fn message_key_seed(&self) -> [u8; 32] {
        hmac_sha256(&self.key, &MESSAGE_KEY_SEED)
    }

    /// The message-key seed for `self.index` (`HMAC(CK, 0x01)`), then moves to the next index
    /// (`CK' = HMAC(CK, 0x02)`): one key schedule serves both HMACs. The index saturates instead of
    /// wrapping; a chain that long is refused by the callers' 2000-ahead bound long before.
    pub(crate) fn step(&mut self) -> [u8; 32] {
        let key = HmacSha256Key::new(&self.key);
        let seed = key.mac_parts(&[&MESSAGE_KEY_SEED]);
        self.key = key.mac_parts(&[&CHAIN_KEY_SEED]);
        self.index = self.index.saturating_add(1);
        seed
    }

    /// Moves to the next index: `CK' = HMAC(CK, 0x02)`. The definition [`ChainKey::step`] is checked
    /// against.
    #[cfg(test)]
    pub(crate) fn advance(&mut self) {
        self.key = hmac_sha256(&self.key, &CHAIN_KEY_SEED);
        self.index = self.index.saturating_add(1);
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainKey(index {}, <redacted>)", self.index)
    }
}

/// A message-key seed kept for a message that has not arrived yet.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SkippedKey {
    pub(crate) index: u32,
    pub(crate) seed: [u8; 32],
}

/// The keys for one 1:1 message: AES-256-CBC key, HMAC key and IV, kept as the 80 bytes HKDF produced
/// (one buffer to wipe on drop instead of a copy in three fields).
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageKeys([u8; 80]);

impl MessageKeys {
    /// `HKDF(seed, salt = 0×32, "WhisperMessageKeys", 80)` → cipher key, MAC key, IV.
    pub(crate) fn derive(seed: &[u8; 32]) -> Self {
        Self(hkdf_sha256_zero_salt::<80>(seed, b"WhisperMessageKeys"))
    }

    pub(crate) fn cipher_key(&self) -> &[u8; 32] {
        sub_array(&self.0, 0)
    }

    pub(crate) fn mac_key(&self) -> &[u8; 32] {
        sub_array(&self.0, 32)
    }

    pub(crate) fn iv(&self) -> &[u8; 16] {
        sub_array(&self.0, 64)
    }
}

/// The keys for one group message. Note the order differs from 1:1: the IV comes first.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct SenderMessageKeys([u8; 48]);

impl SenderMessageKeys {
    /// `HKDF(seed, salt = 0×32, "WhisperGroup", 48)` → IV, cipher key.
    pub(crate) fn derive(seed: &[u8; 32]) -> Self {
        Self(hkdf_sha256_zero_salt::<48>(seed, b"WhisperGroup"))
    }

    pub(crate) fn iv(&self) -> &[u8; 16] {
        sub_array(&self.0, 0)
    }

    pub(crate) fn cipher_key(&self) -> &[u8; 32] {
        sub_array(&self.0, 16)
    }
}

/// The `N` bytes of `bytes` at `offset`; the callers' offsets are constants inside their arrays.
fn sub_array<const N: usize>(bytes: &[u8], offset: usize) -> &[u8; N] {
    bytes
        .get(offset..offset + N)
        .and_then(|slice| slice.try_into().ok())
        .unwrap_or_else(|| unreachable!("a constant sub-array within a fixed-size key buffer"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    // Guide §A.9: chain step with CK = 01×32.
    #[test]
    fn chain_step_and_message_keys_known_answer() {
        let mut chain = ChainKey::new([1u8; 32], 0);
        let seed = chain.message_key_seed();
        assert_eq!(
            hex::encode(seed),
            "cc6efb872c237f565ee82df42e4cab00098b13710395e3c6d29f2907d69e4f04"
        );
        let keys = MessageKeys::derive(&seed);
        assert_eq!(
            hex::encode(keys.cipher_key()),
            "3b9fc7fd6b27e72db25c23c27613dee53ec6502f36b7c8569b2cebd89058c33a"
        );
        assert_eq!(
            hex::encode(keys.mac_key()),
            "82b3e00cd378b833e64c7761e3cacd5fb06d20a34a02583bfa196025ebafcba1"
        );
        assert_eq!(hex::encode(keys.iv()), "0f11148a4b7a5ed630eee4d00193bf41");
        let mut stepped = chain.clone();
        assert_eq!(stepped.step(), seed);
        chain.advance();
        assert!(stepped == chain);
        assert_eq!(chain.index, 1);
        assert_eq!(
            hex::encode(chain.key),
            "c31d79abaf8f2150ee1cfe3dc732eed02a56f79647909bad055a831cb762e9a2"
        );
    }

    // Guide §B: WhisperGroup derivation with CK = 02×32.
    #[test]
    fn sender_key_derivation_known_answer() {
        let mut chain = ChainKey::new([2u8; 32], 0);
        let seed = chain.message_key_seed();
        assert_eq!(
            hex::encode(seed),
            "d12a64ddcbe12038b6dc12427b741cd888e6693972317920437495c9851403c1"
        );
        let keys = SenderMessageKeys::derive(&seed);
        assert_eq!(hex::encode(keys.iv()), "ed21bd959baa838604f5b1182b91977b");
        assert_eq!(
            hex::encode(keys.cipher_key()),
            "49b1479e843ba510449a2d29cf4ec8d9f99483b24dcdcb6f8fa71267e432bfa5"
        );
        chain.advance();
        assert_eq!(
            hex::encode(chain.key),
            "a7d32aa006da421bfd5a9c3f98709d3111687073ed31b05ff94e0ae1a8ef73cd"
        );
    }

    // Guide §A.9: the X3DH master secret with and without a one-time prekey, and the first root step.
    #[test]
    fn x3dh_known_answer() {
        use crate::crypto::PrivateKey;
        let key = |byte: u8| PrivateKey::from_bytes([byte; 32]);
        let ik_a = PrivateKey::from_slice(&h(
            "1011111111111111111111111111111111111111111111111111111111111151",
        ))
        .unwrap();
        let (ek_a, ik_b, spk_b, opk_b) = (key(0x22), key(0x33), key(0x44), key(0x55));
        let mut master = DISCONTINUITY.to_vec();
        master.extend_from_slice(&ik_a.agree(&spk_b.public_key()));
        master.extend_from_slice(&ek_a.agree(&ik_b.public_key()));
        master.extend_from_slice(&ek_a.agree(&spk_b.public_key()));
        let (root, chain) = derive_x3dh(&master);
        assert_eq!(
            hex::encode(root),
            "8bc7bfcf7c654ec2530fd29fde6b7fde98c46044bca682be6796a2ad20bc852f"
        );
        assert_eq!(
            hex::encode(chain),
            "457a3f61d3330e279c839682da3386ca23f8396d9b1d3c4558fa7be6f0fb22f7"
        );
        master.extend_from_slice(&ek_a.agree(&opk_b.public_key()));
        let (root, chain) = derive_x3dh(&master);
        assert_eq!(
            hex::encode(root),
            "c0688cd89849deb793a513585c76c4a8db9e3b5f3052bd9b693f563fd457fbf5"
        );
        assert_eq!(
            hex::encode(chain),
            "30a2c2233752170f88a99c8a4916ffa29a878b03cf3d59c6137fc3ac651a9973"
        );
        let r_a = key(0x66);
        assert_eq!(
            hex::encode(r_a.public_key().serialize()),
            "05219e4d800da968d2a5fcb009c784f4746c7138edb9ee4844b739e830b05cf424"
        );
        let (rk1, ck_s) = derive_root(&root, &r_a.agree(&spk_b.public_key()));
        assert_eq!(
            hex::encode(rk1),
            "a10f8a562daa9fba22e03b115eb5270d19521d81c3e480a048fcb4ddcf590ddf"
        );
        assert_eq!(
            hex::encode(ck_s),
            "79ee758217a6958096a9ed7ed80eb6e4dbd27ffa61eb223526516cd4cd8c52ce"
        );
    }
}
