//! XEdDSA: Ed25519-style signatures made with Curve25519 (Montgomery) private keys, in the byte layout
//! libsignal uses. The clamped Montgomery private key is used directly as the Edwards scalar; the sign
//! bit of the Edwards public key, which the Montgomery form loses, travels in the top bit of the
//! signature's last byte (free because S < 2^253).

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::Scalar;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

/// Domain separation for the nonce hash: the encoding of 2^256 - 2, i.e. `FE FF … FF`.
const NONCE_PREFIX: [u8; 32] = {
    let mut prefix = [0xffu8; 32];
    prefix[0] = 0xfe;
    prefix
};

/// Signs the concatenation of `parts` with the clamped private key `private`, using 64 bytes of
/// caller-provided randomness in the nonce.
pub fn xeddsa_sign(private: &[u8; 32], parts: &[&[u8]], random: &[u8; 64]) -> [u8; 64] {
    let a = Scalar::from_bytes_mod_order(*private);
    let public = EdwardsPoint::mul_base(&a).compress();
    let sign_bit = public.as_bytes()[31] & 0x80;

    let mut nonce_hash = Sha512::new();
    nonce_hash.update(NONCE_PREFIX);
    nonce_hash.update(private);
    for part in parts {
        nonce_hash.update(part);
    }
    nonce_hash.update(random);
    let r = Scalar::from_bytes_mod_order_wide(&nonce_hash.finalize().into());
    let big_r = EdwardsPoint::mul_base(&r).compress();

    let h = challenge(&big_r, &public, parts);
    let s = r + h * a;

    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(big_r.as_bytes());
    signature[32..].copy_from_slice(s.as_bytes());
    signature[63] |= sign_bit;
    signature
}

/// Verifies `signature` over the concatenation of `parts` against the Montgomery public key `public`.
/// Returns false for any malformed input (wrong length, non-canonical S, a key with no Edwards point).
pub fn xeddsa_verify(public: &[u8; 32], parts: &[&[u8]], signature: &[u8]) -> bool {
    let Ok(signature) = <&[u8; 64]>::try_from(signature) else {
        return false;
    };
    let mut u = *public;
    u[31] &= 0x7f;
    let sign_bit = signature[63] >> 7;
    let Some(a_point) = MontgomeryPoint(u).to_edwards(sign_bit) else {
        return false;
    };
    let a = a_point.compress();

    let mut big_r = [0u8; 32];
    big_r.copy_from_slice(&signature[..32]);
    let big_r = CompressedEdwardsY(big_r);
    let mut s = [0u8; 32];
    s.copy_from_slice(&signature[32..]);
    s[31] &= 0x7f;
    let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)) else {
        return false;
    };

    let h = challenge(&big_r, &a, parts);
    let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&h, &-a_point, &s).compress();
    expected.as_bytes().ct_eq(big_r.as_bytes()).into()
}

fn challenge(big_r: &CompressedEdwardsY, a: &CompressedEdwardsY, parts: &[&[u8]]) -> Scalar {
    let mut hash = Sha512::new();
    hash.update(big_r.as_bytes());
    hash.update(a.as_bytes());
    for part in parts {
        hash.update(part);
    }
    Scalar::from_bytes_mod_order_wide(&hash.finalize().into())
}

#[cfg(test)]
mod tests {
    use crate::crypto::{PrivateKey, PublicKey};

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// Account signature made by libsignal-node 6.0.0 (curve25519-js) in `pairing.json`, case
    /// `e2ee_personal`: the phone's identity key over `06 00 ‖ ADVDeviceIdentity ‖ companion identity`.
    #[test]
    fn verifies_libsignal_node_account_signature() {
        let key = PublicKey::from_slice(&h(
            "6510f4799187be13a9baf2ee70423c3ff763075f7edb60ee4eedc8f664871e31",
        ))
        .unwrap();
        let message = h(
            "060008ce959a121080e2cfaa061803a745a019f5704c17757583ab0ad3acbfca862834f9992d1cf6e057e34600ea71",
        );
        let signature = h(
            "a81037debd44cc153cb474fc73008fb5a1120f89a27468d54d3b2e2c634d1616abf78dc384ea921f375c56947c0adcfd771c44ca13af1583aedfc93620b6060b",
        );
        assert!(key.verify(&message, &signature));
        // Every single flipped bit in the signature or the message breaks it.
        for bit in 0..512 {
            let mut bad = signature.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !key.verify(&message, &bad),
                "flipped signature bit {bit} still verifies"
            );
        }
        for bit in 0..message.len() * 8 {
            let mut bad = message.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !key.verify(&bad, &signature),
                "flipped message bit {bit} still verifies"
            );
        }
    }

    /// Signed-prekey signature made by libsignal-node in `signal-session.json` (bob, case
    /// `basic_with_one_time_prekey`): over the 33-byte serialized signed prekey.
    #[test]
    fn verifies_libsignal_node_signed_prekey_signature() {
        let identity = PublicKey::from_slice(&h(
            "05245db292e3b4ef9702ebc3c7e97ae3b54c311ecc94567a9b2a3e6218bf95891e",
        ))
        .unwrap();
        let signed_prekey = h("052c6fd85feb6a3a49ab8b960f485d6fadee74f88724913f42f7cc3d67b6114b47");
        let signature = h(
            "e694e476c5c18341c892c45268547d27d91410951b758885e0573914e23c0ff38da269e4a9a768a63f0f5db7aa3a215643d893446047d449a6bdcf4e5467c18a",
        );
        assert!(identity.verify(&signed_prekey, &signature));
        assert!(
            !identity.verify(&signed_prekey[1..], &signature),
            "the raw 32-byte form is not what was signed"
        );
    }

    #[test]
    fn sign_then_verify_and_public_key_derivation() {
        let private = PrivateKey::from_bytes([9u8; 32]);
        let public = private.public_key();
        for random in [[0u8; 64], [0xa5; 64]] {
            let signature = private.sign_parts_with_random(&[b"hello ", b"world"], &random);
            assert!(public.verify(b"hello world", &signature));
            assert!(public.verify_parts(&[b"hello", b" world"], &signature));
            assert!(!public.verify(b"hello world!", &signature));
            let other = PrivateKey::from_bytes([10u8; 32]).public_key();
            assert!(!other.verify(b"hello world", &signature));
        }
    }

    #[test]
    fn rejects_malformed_signatures() {
        let public = PrivateKey::from_bytes([3u8; 32]).public_key();
        assert!(!public.verify(b"m", &[0u8; 63]));
        assert!(!public.verify(b"m", &[0u8; 65]));
        assert!(!public.verify(b"m", &[0xffu8; 64]));
        assert!(!public.verify(b"m", &[0u8; 64]));
    }
}
