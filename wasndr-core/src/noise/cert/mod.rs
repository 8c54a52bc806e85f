//! The server's certificate chain (transport guide A.5): a root key signs an intermediate certificate,
//! the intermediate's key signs a leaf certificate, and the leaf certifies the server's Noise static key.
//! Signatures are XEdDSA over the serialized `Details` bytes exactly as sent.
//!
//! Which root to trust is configuration: WhatsApp's production root by default, the simulator's own root
//! when a client is told to use it.

mod issue;
mod verify;

use std::fmt;

use crate::crypto::PublicKey;

pub use issue::{CertificateAuthority, CertificateParams, sign_certificate};
pub use verify::{VerifiedCertChain, verify_cert_chain};

/// The key a certificate chain must be rooted in, with the serial its intermediate must name as issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustRoot {
    /// Verifies the intermediate certificate's signature.
    pub public_key: PublicKey,
    /// The intermediate certificate's required `issuerSerial`.
    pub serial: u32,
}

impl TrustRoot {
    /// WhatsApp's production root: the key both upstream clients hard-code, issuer serial 0.
    pub const fn whatsapp_production() -> Self {
        Self {
            public_key: PublicKey::from_bytes([
                0x14, 0x23, 0x75, 0x57, 0x4d, 0x0a, 0x58, 0x71, 0x66, 0xaa, 0xe7, 0x1e, 0xbe, 0x51, 0x64,
                0x37, 0xc4, 0xa2, 0x8b, 0x73, 0xe3, 0x69, 0x5c, 0x6c, 0xe1, 0xf7, 0xf9, 0x54, 0x5d, 0xa8,
                0xee, 0x6b,
            ]),
            serial: 0,
        }
    }
}

impl Default for TrustRoot {
    /// [`TrustRoot::whatsapp_production`].
    fn default() -> Self {
        Self::whatsapp_production()
    }
}

/// Which certificate of the chain a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertRole {
    /// Signed by the root; certifies the key that signs the leaf.
    Intermediate,
    /// Signed by the intermediate; certifies the server's static key.
    Leaf,
}

impl fmt::Display for CertRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Intermediate => "intermediate",
            Self::Leaf => "leaf",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_root_matches_the_published_hex() {
        let root = TrustRoot::default();
        assert_eq!(
            hex::encode(root.public_key.as_bytes()),
            "142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b"
        );
        assert_eq!(root.serial, 0);
        assert_eq!(root, TrustRoot::whatsapp_production());
    }
}
