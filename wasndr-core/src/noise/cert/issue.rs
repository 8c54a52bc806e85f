//! Issuing certificate chains, as the simulator does for its own root.

use rand_core::CryptoRng;
use wasndr_proto::Message;
use wasndr_proto::cert::CertChain;
use wasndr_proto::cert::cert_chain::NoiseCertificate;
use wasndr_proto::cert::cert_chain::noise_certificate::Details;

use super::TrustRoot;
use crate::crypto::{KeyPair, PrivateKey, PublicKey};

/// The per-certificate values an issuer chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateParams {
    /// This certificate's serial; a certificate it signs names it as `issuerSerial`.
    pub serial: u32,
    /// Start of validity, unix seconds (inclusive).
    pub not_before: u64,
    /// End of validity, unix seconds (inclusive).
    pub not_after: u64,
}

/// A certificate over `details`: the details serialized once, and `signer`'s XEdDSA signature over
/// exactly those bytes.
pub fn sign_certificate<R: CryptoRng + ?Sized>(
    signer: &PrivateKey,
    details: &Details,
    rng: &mut R,
) -> NoiseCertificate {
    let details = details.encode_to_vec();
    let signature = signer.sign(&details, rng);
    NoiseCertificate {
        details: Some(details),
        signature: Some(signature.to_vec()),
    }
}

/// A root key pair that issues certificate chains, with the serial its intermediates name as issuer.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    root: KeyPair,
    serial: u32,
}

impl CertificateAuthority {
    /// An authority over an existing root key pair.
    pub fn new(root: KeyPair, serial: u32) -> Self {
        Self { root, serial }
    }

    /// An authority with a fresh root key and serial 0, the serial WhatsApp's root uses.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::new(KeyPair::generate(rng), 0)
    }

    /// What a client must trust to accept this authority's chains.
    pub fn trust_root(&self) -> TrustRoot {
        TrustRoot {
            public_key: self.root.public,
            serial: self.serial,
        }
    }

    /// A serialized `CertChain` certifying `leaf_key` (the server's Noise static public key): an
    /// intermediate certificate for `intermediate_key` signed by the root, and a leaf signed by the
    /// intermediate naming the intermediate's serial as its issuer.
    pub fn issue_chain<R: CryptoRng + ?Sized>(
        &self,
        intermediate_key: &KeyPair,
        intermediate: CertificateParams,
        leaf_key: &PublicKey,
        leaf: CertificateParams,
        rng: &mut R,
    ) -> Vec<u8> {
        let intermediate_details = details(intermediate, self.serial, &intermediate_key.public);
        let leaf_details = details(leaf, intermediate.serial, leaf_key);
        CertChain {
            intermediate: Some(sign_certificate(&self.root.private, &intermediate_details, rng)),
            leaf: Some(sign_certificate(&intermediate_key.private, &leaf_details, rng)),
        }
        .encode_to_vec()
    }
}

fn details(params: CertificateParams, issuer_serial: u32, key: &PublicKey) -> Details {
    Details {
        serial: Some(params.serial),
        issuer_serial: Some(issuer_serial),
        key: Some(key.as_bytes().to_vec()),
        not_before: Some(params.not_before),
        not_after: Some(params.not_after),
    }
}
