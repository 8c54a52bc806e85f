//! Pairing by phone number: the companion shows an 8-character code, the user types it on the phone,
//! and the two sides derive a fresh ADV secret through the server (transport guide D.6).
//!
//! Flow, with the functions of each side:
//! 1. companion: [`CompanionLinkCode::new`], send [`CompanionLinkCode::wrapped_ephemeral`] in
//!    `companion_hello`;
//! 2. primary (code typed): [`PrimaryLinkCode::start`] unwraps the companion's ephemeral key and gives its
//!    own wrapped ephemeral key for the `link_code_companion_reg` notification;
//! 3. companion: [`CompanionLinkCode::finish`] gives the wrapped key bundle for `companion_finish` and
//!    the new ADV secret;
//! 4. primary: [`PrimaryLinkCode::finish`] opens the bundle and derives the same ADV secret, which
//!    authenticates the `pair-success` that follows.

use rand_core::CryptoRng;

use super::ADV_SECRET_LEN;
use crate::crypto::{
    KeyPair, PublicKey, aes256_ctr_apply, aes256_gcm_decrypt, aes256_gcm_encrypt, hkdf_sha256,
    hkdf_sha256_zero_salt,
};
use crate::error::{Error, Result};
use crate::signal::IdentityKeyPair;

/// The base32 alphabet of link codes (no `0`, `I`, `O`, `U`).
pub const LINK_CODE_ALPHABET: &[u8; 32] = b"123456789ABCDEFGHJKLMNPQRSTVWXYZ";
/// Characters in a link code.
pub const LINK_CODE_LEN: usize = 8;
/// PBKDF2-HMAC-SHA256 iterations that turn the code into the wrapping key.
pub const PBKDF2_ITERATIONS: u32 = 131_072;
/// Length of a wrapped ephemeral key: salt (32) ‖ IV (16) ‖ AES-256-CTR ciphertext (32).
pub const WRAPPED_KEY_LEN: usize = 80;
/// HKDF info of the key that encrypts the companion's key bundle.
pub const KEY_BUNDLE_INFO: &[u8] = b"link_code_pairing_key_bundle_encryption_key";
/// HKDF info of the new ADV secret.
pub const ADV_SECRET_INFO: &[u8] = b"adv_secret";

const BUNDLE_SALT_LEN: usize = 32;
const BUNDLE_NONCE_LEN: usize = 12;
/// Companion identity (32) ‖ primary identity (32) ‖ random (32).
const BUNDLE_PLAINTEXT_LEN: usize = 96;

/// Renders 5 bytes as the 8-character code (base32, most significant bits first).
pub fn encode_link_code(bytes: &[u8; 5]) -> String {
    let value = bytes.iter().fold(0u64, |acc, &byte| (acc << 8) | u64::from(byte));
    (0..LINK_CODE_LEN)
        .map(|i| char::from(LINK_CODE_ALPHABET[((value >> (35 - 5 * i)) & 31) as usize]))
        .collect()
}

/// A random 8-character code.
pub fn generate_link_code<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    let mut bytes = [0u8; 5];
    rng.fill_bytes(&mut bytes);
    encode_link_code(&bytes)
}

/// The code as both sides feed it to PBKDF2: dashes and spaces removed, upper case, exactly 8
/// characters. Accepts what a user types (`abcd-efgh`) and custom codes that Baileys allows.
pub fn normalize_link_code(code: &str) -> Result<String> {
    let code: String = code
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.chars().count() != LINK_CODE_LEN || !code.is_ascii() {
        return Err(Error::InvalidLinkCode("a link code has 8 ASCII characters"));
    }
    Ok(code)
}

/// The `XXXX-XXXX` form shown to users.
pub fn display_link_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(head), Some(tail)) => format!("{head}-{tail}"),
        _ => code.to_owned(),
    }
}

fn code_key(code: &str, salt: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(code.as_bytes(), salt, PBKDF2_ITERATIONS, &mut key);
    key
}

/// Wraps an ephemeral public key with the code: `salt ‖ iv ‖ AES-256-CTR(PBKDF2(code, salt), iv, key)`.
pub fn wrap_ephemeral_with(
    code: &str,
    ephemeral: &PublicKey,
    salt: &[u8; 32],
    iv: &[u8; 16],
) -> [u8; WRAPPED_KEY_LEN] {
    let key = code_key(code, salt);
    let mut out = [0u8; WRAPPED_KEY_LEN];
    out[..32].copy_from_slice(salt);
    out[32..48].copy_from_slice(iv);
    out[48..].copy_from_slice(ephemeral.as_bytes());
    aes256_ctr_apply(&key, iv, &mut out[48..]);
    out
}

/// [`wrap_ephemeral_with`] with a random salt and IV.
pub fn wrap_ephemeral<R: CryptoRng + ?Sized>(
    code: &str,
    ephemeral: &PublicKey,
    rng: &mut R,
) -> [u8; WRAPPED_KEY_LEN] {
    let mut salt = [0u8; 32];
    let mut iv = [0u8; 16];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut iv);
    wrap_ephemeral_with(code, ephemeral, &salt, &iv)
}

/// Unwraps a key wrapped by [`wrap_ephemeral`]. CTR has no integrity: a wrong code gives a wrong key,
/// which shows only later (the key bundle or the `pair-success` HMAC fails).
pub fn unwrap_ephemeral(code: &str, wrapped: &[u8]) -> Result<PublicKey> {
    let wrapped: &[u8; WRAPPED_KEY_LEN] = wrapped
        .try_into()
        .map_err(|_| Error::InvalidLinkCode("wrapped ephemeral key is not 80 bytes"))?;
    let (salt, rest) = wrapped.split_at(32);
    let (iv, ciphertext) = rest.split_at(16);
    let key = code_key(code, salt);
    let mut public = [0u8; 32];
    public.copy_from_slice(ciphertext);
    let iv: &[u8; 16] = iv.try_into().map_err(|_| Error::InvalidLinkCode("IV"))?;
    aes256_ctr_apply(&key, iv, &mut public);
    Ok(PublicKey::from_bytes(public))
}

fn adv_secret(
    ephemeral_secret: &[u8; 32],
    identity_secret: &[u8; 32],
    random: &[u8],
) -> [u8; ADV_SECRET_LEN] {
    let input = [ephemeral_secret.as_slice(), identity_secret, random].concat();
    hkdf_sha256_zero_salt(&input, ADV_SECRET_INFO)
}

/// The companion's state between `companion_hello` and the primary's notification. Holds the code and
/// an ephemeral private key, so `Debug` shows neither.
pub struct CompanionLinkCode {
    code: String,
    ephemeral: KeyPair,
}

impl std::fmt::Debug for CompanionLinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanionLinkCode").finish_non_exhaustive()
    }
}

/// What the companion sends in `companion_finish`, and the ADV secret it now expects `pair-success` to
/// be authenticated with.
#[derive(Clone, PartialEq, Eq)]
pub struct CompanionFinish {
    /// `salt(32) ‖ nonce(12) ‖ AES-256-GCM ciphertext + tag` of the key bundle.
    pub wrapped_key_bundle: Vec<u8>,
    /// The new ADV secret.
    pub adv_secret: [u8; ADV_SECRET_LEN],
}

impl std::fmt::Debug for CompanionFinish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanionFinish")
            .field("wrapped_key_bundle_len", &self.wrapped_key_bundle.len())
            .finish_non_exhaustive()
    }
}

impl CompanionLinkCode {
    /// A random code and a fresh ephemeral key.
    pub fn new<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let code = generate_link_code(rng);
        Self {
            code,
            ephemeral: KeyPair::generate(rng),
        }
    }

    /// A chosen code (normalized; see [`normalize_link_code`]) and a fresh ephemeral key.
    pub fn with_code<R: CryptoRng + ?Sized>(code: &str, rng: &mut R) -> Result<Self> {
        Ok(Self {
            code: normalize_link_code(code)?,
            ephemeral: KeyPair::generate(rng),
        })
    }

    /// The code to show (8 characters; see [`display_link_code`] for the dashed form).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The content of `link_code_pairing_wrapped_companion_ephemeral_pub`.
    pub fn wrapped_ephemeral<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> [u8; WRAPPED_KEY_LEN] {
        wrap_ephemeral(&self.code, &self.ephemeral.public, rng)
    }

    /// Handles the primary's notification: unwraps its ephemeral key, encrypts the key bundle (own
    /// identity ‖ primary identity ‖ 32 random bytes) and derives the new ADV secret.
    pub fn finish<R: CryptoRng + ?Sized>(
        &self,
        wrapped_primary_ephemeral: &[u8],
        primary_identity: &PublicKey,
        own_identity: &IdentityKeyPair,
        rng: &mut R,
    ) -> Result<CompanionFinish> {
        let primary_ephemeral = unwrap_ephemeral(&self.code, wrapped_primary_ephemeral)?;
        let ephemeral_secret = self.ephemeral.private.agree(&primary_ephemeral);
        let mut random = [0u8; 32];
        let mut salt = [0u8; BUNDLE_SALT_LEN];
        let mut nonce = [0u8; BUNDLE_NONCE_LEN];
        rng.fill_bytes(&mut random);
        rng.fill_bytes(&mut salt);
        rng.fill_bytes(&mut nonce);
        let bundle_key: [u8; 32] = hkdf_sha256(&salt, &ephemeral_secret, KEY_BUNDLE_INFO);
        let plaintext = [
            own_identity.public().as_bytes().as_slice(),
            primary_identity.as_bytes(),
            &random,
        ]
        .concat();
        let ciphertext = aes256_gcm_encrypt(&bundle_key, &nonce, &[], &plaintext);
        let identity_secret = own_identity.private().agree(primary_identity);
        Ok(CompanionFinish {
            wrapped_key_bundle: [salt.as_slice(), &nonce, &ciphertext].concat(),
            adv_secret: adv_secret(&ephemeral_secret, &identity_secret, &random),
        })
    }
}

/// The primary's state between sending its wrapped ephemeral key and receiving `companion_finish`.
pub struct PrimaryLinkCode {
    ephemeral: KeyPair,
    companion_ephemeral: PublicKey,
}

impl std::fmt::Debug for PrimaryLinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrimaryLinkCode")
            .field("companion_ephemeral", &self.companion_ephemeral)
            .finish_non_exhaustive()
    }
}

impl PrimaryLinkCode {
    /// The code was typed on the phone: unwraps the companion's ephemeral key from `companion_hello`,
    /// draws the primary's ephemeral key and returns it wrapped with the same code (the content of
    /// `link_code_pairing_wrapped_primary_ephemeral_pub`).
    pub fn start<R: CryptoRng + ?Sized>(
        code: &str,
        wrapped_companion_ephemeral: &[u8],
        rng: &mut R,
    ) -> Result<(Self, [u8; WRAPPED_KEY_LEN])> {
        let code = normalize_link_code(code)?;
        let companion_ephemeral = unwrap_ephemeral(&code, wrapped_companion_ephemeral)?;
        let ephemeral = KeyPair::generate(rng);
        let wrapped = wrap_ephemeral(&code, &ephemeral.public, rng);
        Ok((
            Self {
                ephemeral,
                companion_ephemeral,
            },
            wrapped,
        ))
    }

    /// Opens the companion's key bundle from `companion_finish`, checks that it names the companion's
    /// identity (`companion_identity_public`) and ours, and derives the new ADV secret. A wrong code
    /// shows here as [`Error::InvalidLinkCode`].
    pub fn finish(
        &self,
        wrapped_key_bundle: &[u8],
        companion_identity: &PublicKey,
        own_identity: &IdentityKeyPair,
    ) -> Result<[u8; ADV_SECRET_LEN]> {
        if wrapped_key_bundle.len() < BUNDLE_SALT_LEN + BUNDLE_NONCE_LEN {
            return Err(Error::InvalidLinkCode("wrapped key bundle is too short"));
        }
        let (salt, rest) = wrapped_key_bundle.split_at(BUNDLE_SALT_LEN);
        let (nonce, ciphertext) = rest.split_at(BUNDLE_NONCE_LEN);
        let nonce: &[u8; BUNDLE_NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| Error::InvalidLinkCode("key bundle nonce"))?;
        let ephemeral_secret = self.ephemeral.private.agree(&self.companion_ephemeral);
        let bundle_key: [u8; 32] = hkdf_sha256(salt, &ephemeral_secret, KEY_BUNDLE_INFO);
        let plaintext = aes256_gcm_decrypt(&bundle_key, nonce, &[], ciphertext).map_err(|_| {
            Error::InvalidLinkCode("key bundle does not decrypt (wrong code or tampered bundle)")
        })?;
        if plaintext.len() != BUNDLE_PLAINTEXT_LEN {
            return Err(Error::InvalidLinkCode("key bundle is not 96 bytes"));
        }
        let (bundle_companion, rest) = plaintext.split_at(32);
        let (bundle_primary, random) = rest.split_at(32);
        if bundle_companion != companion_identity.as_bytes() {
            return Err(Error::InvalidLinkCode(
                "key bundle names another companion identity than companion_identity_public",
            ));
        }
        if bundle_primary != own_identity.public().as_bytes() {
            return Err(Error::InvalidLinkCode(
                "key bundle names another primary identity",
            ));
        }
        let identity_secret = own_identity.private().agree(companion_identity);
        Ok(adv_secret(&ephemeral_secret, &identity_secret, random))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn base32_uses_the_link_code_alphabet_msb_first() {
        assert_eq!(encode_link_code(&[0; 5]), "11111111");
        assert_eq!(encode_link_code(&[0xff; 5]), "ZZZZZZZZ");
        // Standard base32 of these bytes is "ABCDEFGH" (indices 0..7).
        assert_eq!(encode_link_code(&[0x00, 0x44, 0x32, 0x14, 0xc7]), "12345678");
        assert_eq!(normalize_link_code("abcd-efgh").unwrap(), "ABCDEFGH");
        assert_eq!(display_link_code("ABCDEFGH"), "ABCD-EFGH");
        assert!(normalize_link_code("ABC").is_err());
        assert!(normalize_link_code("ABCDEFGHI").is_err());
    }

    #[test]
    fn both_sides_derive_the_same_adv_secret() {
        let mut rng = StdRng::seed_from_u64(5);
        let companion_identity = IdentityKeyPair::generate(&mut rng);
        let primary_identity = IdentityKeyPair::generate(&mut rng);
        let companion = CompanionLinkCode::new(&mut rng);
        assert!(companion.code().bytes().all(|c| LINK_CODE_ALPHABET.contains(&c)));
        let hello = companion.wrapped_ephemeral(&mut rng);

        // The user types the code on the phone in lower case with the dash.
        let typed = display_link_code(companion.code()).to_lowercase();
        let (primary, wrapped_primary) = PrimaryLinkCode::start(&typed, &hello, &mut rng).unwrap();
        let finish = companion
            .finish(
                &wrapped_primary,
                primary_identity.public(),
                &companion_identity,
                &mut rng,
            )
            .unwrap();
        let secret = primary
            .finish(
                &finish.wrapped_key_bundle,
                companion_identity.public(),
                &primary_identity,
            )
            .unwrap();
        assert_eq!(secret, finish.adv_secret);
        assert_eq!(finish.wrapped_key_bundle.len(), 32 + 12 + 96 + 16);

        // The bundle must name the companion the server was told about.
        let stranger = IdentityKeyPair::generate(&mut rng);
        assert!(matches!(
            primary.finish(&finish.wrapped_key_bundle, stranger.public(), &primary_identity),
            Err(Error::InvalidLinkCode(_))
        ));
    }

    #[test]
    fn a_mistyped_code_fails_at_the_key_bundle() {
        let mut rng = StdRng::seed_from_u64(6);
        let companion_identity = IdentityKeyPair::generate(&mut rng);
        let primary_identity = IdentityKeyPair::generate(&mut rng);
        let companion = CompanionLinkCode::with_code("AAAABBBB", &mut rng).unwrap();
        let hello = companion.wrapped_ephemeral(&mut rng);
        let (primary, wrapped_primary) = PrimaryLinkCode::start("AAAABBBC", &hello, &mut rng).unwrap();
        // The companion unwraps the primary key with the right code, the primary used the wrong one:
        // their ephemeral secrets differ and the bundle does not open.
        let finish = companion
            .finish(
                &wrapped_primary,
                primary_identity.public(),
                &companion_identity,
                &mut rng,
            )
            .unwrap();
        assert!(matches!(
            primary.finish(
                &finish.wrapped_key_bundle,
                companion_identity.public(),
                &primary_identity
            ),
            Err(Error::InvalidLinkCode(_))
        ));
        assert!(unwrap_ephemeral("AAAABBBB", &hello[..79]).is_err());
        assert!(
            primary
                .finish(&[0; 10], companion_identity.public(), &primary_identity)
                .is_err()
        );
    }
}
