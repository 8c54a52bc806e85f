//! Verifying the server's certificate chain with all of whatsmeow's checks, in whatsmeow's order, so
//! that a chain is refused for the same first reason it would be upstream.

use subtle::ConstantTimeEq;
use wasndr_proto::Message;
use wasndr_proto::cert::CertChain;
use wasndr_proto::cert::cert_chain::NoiseCertificate;
use wasndr_proto::cert::cert_chain::noise_certificate::Details;

use super::{CertRole, TrustRoot};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// The two certificates of a chain that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertChain {
    /// The intermediate certificate's details.
    pub intermediate: Details,
    /// The leaf certificate's details.
    pub leaf: Details,
}

/// A certificate's signed bytes and signature, both present.
struct SignedDetails {
    details: Vec<u8>,
    signature: [u8; 64],
}

/// Verifies a serialized `CertChain` against `trust_root` for a server whose handshake static key is
/// `server_static`, at unix time `now`. The checks, in order (whatsmeow `verifyServerCert`):
///
/// 1. both certificates have details and a signature, and both signatures are 64 bytes;
/// 2. the intermediate signature verifies under the root key;
/// 3. the intermediate's `issuerSerial` is the root's serial and its key is 32 bytes;
/// 4. the leaf signature verifies under the intermediate's key;
/// 5. `now` is inside the intermediate's validity (`notBefore ≤ now ≤ notAfter`);
/// 6. the leaf's `issuerSerial` is the intermediate's serial;
/// 7. the leaf's key is `server_static` (constant-time comparison);
/// 8. `now` is inside the leaf's validity.
///
/// Absent numeric fields count as 0, as in proto2 readers upstream: a certificate without `notAfter`
/// has expired.
pub fn verify_cert_chain(
    chain: &[u8],
    trust_root: &TrustRoot,
    server_static: &PublicKey,
    now: u64,
) -> Result<VerifiedCertChain> {
    let chain = CertChain::decode(chain).map_err(|_| Error::CertChainMalformed)?;

    // 1. Every part present, signatures 64 bytes.
    let intermediate = present_parts(chain.intermediate, CertRole::Intermediate)?;
    let leaf = present_parts(chain.leaf, CertRole::Leaf)?;
    let intermediate = SignedDetails::new(intermediate, CertRole::Intermediate)?;
    let leaf = SignedDetails::new(leaf, CertRole::Leaf)?;

    // 2. The root signed the intermediate.
    if !trust_root
        .public_key
        .verify(&intermediate.details, &intermediate.signature)
    {
        return Err(Error::CertSignatureInvalid {
            role: CertRole::Intermediate,
        });
    }
    let intermediate_details = parse_details(&intermediate.details, CertRole::Intermediate)?;

    // 3. The intermediate names the root as issuer and carries a usable key.
    check_issuer(&intermediate_details, trust_root.serial, CertRole::Intermediate)?;
    let intermediate_key = intermediate_details.key();
    let intermediate_key: [u8; 32] = intermediate_key.try_into().map_err(|_| Error::CertKeyLength {
        len: intermediate_key.len(),
    })?;

    // 4. The intermediate signed the leaf.
    if !PublicKey::from_bytes(intermediate_key).verify(&leaf.details, &leaf.signature) {
        return Err(Error::CertSignatureInvalid { role: CertRole::Leaf });
    }

    // 5. The intermediate is valid now.
    check_validity(&intermediate_details, now, CertRole::Intermediate)?;
    let leaf_details = parse_details(&leaf.details, CertRole::Leaf)?;

    // 6. The leaf names the intermediate as issuer.
    check_issuer(&leaf_details, intermediate_details.serial(), CertRole::Leaf)?;

    // 7. The leaf certifies the key the server used in this handshake. Slices of different lengths
    // compare unequal.
    let key_matches: bool = leaf_details
        .key()
        .ct_eq(server_static.as_bytes().as_slice())
        .into();
    if !key_matches {
        return Err(Error::CertLeafKeyMismatch);
    }

    // 8. The leaf is valid now.
    check_validity(&leaf_details, now, CertRole::Leaf)?;

    Ok(VerifiedCertChain {
        intermediate: intermediate_details,
        leaf: leaf_details,
    })
}

/// A certificate's details and signature, or which of them is missing.
fn present_parts(certificate: Option<NoiseCertificate>, role: CertRole) -> Result<(Vec<u8>, Vec<u8>)> {
    let missing = |part| Error::CertMissingPart { role, part };
    let certificate = certificate.ok_or(missing("certificate"))?;
    let details = certificate.details.ok_or(missing("details"))?;
    let signature = certificate.signature.ok_or(missing("signature"))?;
    Ok((details, signature))
}

impl SignedDetails {
    fn new((details, signature): (Vec<u8>, Vec<u8>), role: CertRole) -> Result<Self> {
        let signature = signature
            .as_slice()
            .try_into()
            .map_err(|_| Error::CertSignatureLength {
                role,
                len: signature.len(),
            })?;
        Ok(Self { details, signature })
    }
}

fn parse_details(bytes: &[u8], role: CertRole) -> Result<Details> {
    Details::decode(bytes).map_err(|_| Error::CertDetailsMalformed { role })
}

fn check_issuer(details: &Details, expected: u32, role: CertRole) -> Result<()> {
    let found = details.issuer_serial();
    if found != expected {
        return Err(Error::CertIssuerSerial {
            role,
            expected,
            found,
        });
    }
    Ok(())
}

fn check_validity(details: &Details, now: u64, role: CertRole) -> Result<()> {
    let not_before = details.not_before();
    let not_after = details.not_after();
    if now < not_before {
        return Err(Error::CertNotYetValid {
            role,
            not_before,
            now,
        });
    }
    if now > not_after {
        return Err(Error::CertExpired { role, not_after, now });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::super::{CertificateAuthority, CertificateParams, sign_certificate};
    use super::*;
    use crate::crypto::KeyPair;

    const NOW: u64 = 1_750_000_000;

    struct Fixture {
        rng: StdRng,
        authority: CertificateAuthority,
        root: KeyPair,
        intermediate: KeyPair,
        server: KeyPair,
    }

    fn fixture() -> Fixture {
        let mut rng = StdRng::seed_from_u64(0xce27);
        let root = KeyPair::generate(&mut rng);
        let intermediate = KeyPair::generate(&mut rng);
        let server = KeyPair::generate(&mut rng);
        Fixture {
            authority: CertificateAuthority::new(root.clone(), 0),
            rng,
            root,
            intermediate,
            server,
        }
    }

    fn valid(serial: u32) -> CertificateParams {
        CertificateParams {
            serial,
            not_before: NOW - 100,
            not_after: NOW + 100,
        }
    }

    fn details(serial: u32, issuer_serial: u32, key: &[u8], not_before: u64, not_after: u64) -> Details {
        Details {
            serial: Some(serial),
            issuer_serial: Some(issuer_serial),
            key: Some(key.to_vec()),
            not_before: Some(not_before),
            not_after: Some(not_after),
        }
    }

    impl Fixture {
        fn chain(&mut self) -> Vec<u8> {
            self.authority.issue_chain(
                &self.intermediate,
                valid(17),
                &self.server.public,
                valid(99),
                &mut self.rng,
            )
        }

        /// A chain with hand-written details, each signed properly by its issuer.
        fn chain_with(&mut self, intermediate: Details, leaf: Details) -> Vec<u8> {
            CertChain {
                intermediate: Some(sign_certificate(&self.root.private, &intermediate, &mut self.rng)),
                leaf: Some(sign_certificate(&self.intermediate.private, &leaf, &mut self.rng)),
            }
            .encode_to_vec()
        }

        fn intermediate_details(&self) -> Details {
            details(17, 0, self.intermediate.public.as_bytes(), NOW - 100, NOW + 100)
        }

        fn leaf_details(&self) -> Details {
            details(99, 17, self.server.public.as_bytes(), NOW - 100, NOW + 100)
        }

        fn verify(&self, chain: &[u8]) -> Result<VerifiedCertChain> {
            verify_cert_chain(chain, &self.authority.trust_root(), &self.server.public, NOW)
        }
    }

    fn modify(chain: &[u8], edit: impl FnOnce(&mut CertChain)) -> Vec<u8> {
        let mut chain = CertChain::decode(chain).unwrap();
        edit(&mut chain);
        chain.encode_to_vec()
    }

    #[test]
    fn issued_chain_verifies() {
        let mut f = fixture();
        let chain = f.chain();
        let verified = f.verify(&chain).unwrap();
        assert_eq!(verified.intermediate, f.intermediate_details());
        assert_eq!(verified.leaf, f.leaf_details());
    }

    #[test]
    fn chain_from_another_root_is_refused() {
        let mut f = fixture();
        let chain = f.chain();
        let other = CertificateAuthority::generate(&mut f.rng);
        let err = Error::CertSignatureInvalid {
            role: CertRole::Intermediate,
        };
        assert_eq!(
            verify_cert_chain(&chain, &other.trust_root(), &f.server.public, NOW),
            Err(err.clone())
        );
        // The default trust root is WhatsApp's, which did not sign the simulator's chain.
        assert_eq!(
            verify_cert_chain(&chain, &TrustRoot::default(), &f.server.public, NOW),
            Err(err)
        );
    }

    #[test]
    fn root_serial_is_configurable() {
        let mut f = fixture();
        f.authority = CertificateAuthority::new(f.root.clone(), 7);
        let chain = f.chain();
        assert!(f.verify(&chain).is_ok());
        let serial_zero = TrustRoot {
            serial: 0,
            ..f.authority.trust_root()
        };
        assert_eq!(
            verify_cert_chain(&chain, &serial_zero, &f.server.public, NOW),
            Err(Error::CertIssuerSerial {
                role: CertRole::Intermediate,
                expected: 0,
                found: 7
            })
        );
    }

    #[test]
    fn wrong_issuer_serials_are_refused() {
        let mut f = fixture();
        let intermediate = Details {
            issuer_serial: Some(5),
            ..f.intermediate_details()
        };
        let chain = f.chain_with(intermediate, f.leaf_details());
        assert_eq!(
            f.verify(&chain),
            Err(Error::CertIssuerSerial {
                role: CertRole::Intermediate,
                expected: 0,
                found: 5
            })
        );

        let leaf = Details {
            issuer_serial: Some(18),
            ..f.leaf_details()
        };
        let chain = f.chain_with(f.intermediate_details(), leaf);
        assert_eq!(
            f.verify(&chain),
            Err(Error::CertIssuerSerial {
                role: CertRole::Leaf,
                expected: 17,
                found: 18
            })
        );
    }

    #[test]
    fn leaf_key_must_be_the_server_static() {
        let mut f = fixture();
        let chain = f.chain();
        let stranger = KeyPair::generate(&mut f.rng);
        assert_eq!(
            verify_cert_chain(&chain, &f.authority.trust_root(), &stranger.public, NOW),
            Err(Error::CertLeafKeyMismatch)
        );
        // A leaf key that is a prefix or extension of the static key does not match either.
        for key in [
            f.server.public.as_bytes()[..31].to_vec(),
            [f.server.public.as_bytes().as_slice(), &[0]].concat(),
            f.server.public.serialize().to_vec(),
            Vec::new(),
        ] {
            let leaf = Details {
                key: Some(key),
                ..f.leaf_details()
            };
            let chain = f.chain_with(f.intermediate_details(), leaf);
            assert_eq!(f.verify(&chain), Err(Error::CertLeafKeyMismatch));
        }
    }

    #[test]
    fn validity_windows_are_inclusive_and_enforced() {
        let mut f = fixture();
        let chain = f.chain();
        let trust = f.authority.trust_root();
        let at = |now| verify_cert_chain(&chain, &trust, &f.server.public, now);
        assert!(at(NOW - 100).is_ok());
        assert!(at(NOW + 100).is_ok());
        // Both certificates share the window, so the intermediate (check 5) is reported first.
        assert_eq!(
            at(NOW - 101),
            Err(Error::CertNotYetValid {
                role: CertRole::Intermediate,
                not_before: NOW - 100,
                now: NOW - 101
            })
        );
        assert_eq!(
            at(NOW + 101),
            Err(Error::CertExpired {
                role: CertRole::Intermediate,
                not_after: NOW + 100,
                now: NOW + 101
            })
        );

        let i = f.intermediate_details();
        let leaf_template = f.leaf_details();
        let leaf = |not_before, not_after| Details {
            not_before: Some(not_before),
            not_after: Some(not_after),
            ..leaf_template.clone()
        };
        let expired_leaf = f.chain_with(i.clone(), leaf(NOW - 100, NOW - 1));
        assert_eq!(
            f.verify(&expired_leaf),
            Err(Error::CertExpired {
                role: CertRole::Leaf,
                not_after: NOW - 1,
                now: NOW
            })
        );
        let future_leaf = f.chain_with(i, leaf(NOW + 1, NOW + 100));
        assert_eq!(
            f.verify(&future_leaf),
            Err(Error::CertNotYetValid {
                role: CertRole::Leaf,
                not_before: NOW + 1,
                now: NOW
            })
        );
    }

    #[test]
    fn absent_not_after_means_expired() {
        let mut f = fixture();
        let leaf = Details {
            not_after: None,
            ..f.leaf_details()
        };
        let chain = f.chain_with(f.intermediate_details(), leaf);
        assert_eq!(
            f.verify(&chain),
            Err(Error::CertExpired {
                role: CertRole::Leaf,
                not_after: 0,
                now: NOW
            })
        );
    }

    #[test]
    fn missing_parts_are_named() {
        let mut f = fixture();
        let chain = f.chain();
        type Edit = fn(&mut CertChain);
        let cases: [(Edit, CertRole, &str); 6] = [
            (|c| c.intermediate = None, CertRole::Intermediate, "certificate"),
            (|c| c.leaf = None, CertRole::Leaf, "certificate"),
            (
                |c| c.intermediate.as_mut().unwrap().details = None,
                CertRole::Intermediate,
                "details",
            ),
            (
                |c| c.intermediate.as_mut().unwrap().signature = None,
                CertRole::Intermediate,
                "signature",
            ),
            (
                |c| c.leaf.as_mut().unwrap().details = None,
                CertRole::Leaf,
                "details",
            ),
            (
                |c| c.leaf.as_mut().unwrap().signature = None,
                CertRole::Leaf,
                "signature",
            ),
        ];
        for (edit, role, part) in cases {
            assert_eq!(
                f.verify(&modify(&chain, edit)),
                Err(Error::CertMissingPart { role, part })
            );
        }
        assert_eq!(
            f.verify(&[]),
            Err(Error::CertMissingPart {
                role: CertRole::Intermediate,
                part: "certificate"
            })
        );
    }

    #[test]
    fn signature_lengths_are_checked_before_any_signature() {
        let mut f = fixture();
        let chain = f.chain();
        for len in [0, 63, 65] {
            let short_intermediate = modify(&chain, |c| {
                c.intermediate.as_mut().unwrap().signature = Some(vec![1; len])
            });
            assert_eq!(
                f.verify(&short_intermediate),
                Err(Error::CertSignatureLength {
                    role: CertRole::Intermediate,
                    len
                })
            );
            // The leaf's length is part of check 1, so it wins over a bad intermediate signature (check 2).
            let both = modify(&chain, |c| {
                c.intermediate.as_mut().unwrap().signature = Some(vec![1; 64]);
                c.leaf.as_mut().unwrap().signature = Some(vec![1; len]);
            });
            assert_eq!(
                f.verify(&both),
                Err(Error::CertSignatureLength {
                    role: CertRole::Leaf,
                    len
                })
            );
        }
    }

    #[test]
    fn tampered_signatures_and_details_are_refused() {
        let mut f = fixture();
        let chain = f.chain();
        let intermediate_sig = modify(&chain, |c| {
            c.intermediate.as_mut().unwrap().signature.as_mut().unwrap()[5] ^= 1
        });
        assert_eq!(
            f.verify(&intermediate_sig),
            Err(Error::CertSignatureInvalid {
                role: CertRole::Intermediate
            })
        );
        let intermediate_details = modify(&chain, |c| {
            c.intermediate.as_mut().unwrap().details.as_mut().unwrap()[1] ^= 1
        });
        assert_eq!(
            f.verify(&intermediate_details),
            Err(Error::CertSignatureInvalid {
                role: CertRole::Intermediate
            })
        );
        let leaf_sig = modify(&chain, |c| {
            c.leaf.as_mut().unwrap().signature.as_mut().unwrap()[40] ^= 1
        });
        assert_eq!(
            f.verify(&leaf_sig),
            Err(Error::CertSignatureInvalid { role: CertRole::Leaf })
        );
        // A leaf signed by the root instead of the intermediate.
        let mut leaf_by_root = CertChain::decode(chain.as_slice()).unwrap();
        leaf_by_root.leaf = Some(sign_certificate(&f.root.private, &f.leaf_details(), &mut f.rng));
        assert_eq!(
            f.verify(&leaf_by_root.encode_to_vec()),
            Err(Error::CertSignatureInvalid { role: CertRole::Leaf })
        );
    }

    #[test]
    fn intermediate_key_must_be_32_bytes() {
        let mut f = fixture();
        for len in [0, 31, 33] {
            let intermediate = Details {
                key: Some(vec![9; len]),
                ..f.intermediate_details()
            };
            let chain = f.chain_with(intermediate, f.leaf_details());
            assert_eq!(f.verify(&chain), Err(Error::CertKeyLength { len }));
        }
    }

    #[test]
    fn malformed_protobufs_are_refused() {
        let mut f = fixture();
        assert_eq!(f.verify(&[0x0a, 0x05, 0x01]), Err(Error::CertChainMalformed));
        // Properly signed bytes that are not a Details message.
        let garbage = vec![0x1a, 0x7f, 0x00];
        let chain = CertChain {
            intermediate: Some(NoiseCertificate {
                signature: Some(f.root.private.sign(&garbage, &mut f.rng).to_vec()),
                details: Some(garbage),
            }),
            leaf: Some(sign_certificate(
                &f.intermediate.private,
                &f.leaf_details(),
                &mut f.rng,
            )),
        }
        .encode_to_vec();
        assert_eq!(
            f.verify(&chain),
            Err(Error::CertDetailsMalformed {
                role: CertRole::Intermediate
            })
        );
    }

    #[test]
    fn signatures_cover_the_bytes_as_sent_not_a_re_encoding() {
        let mut f = fixture();
        // The same details with fields in reverse order: a valid protobuf, but not prost's encoding.
        let canonical = f.leaf_details().encode_to_vec();
        let mut reordered = Vec::new();
        let fields = [
            Details {
                not_after: Some(NOW + 100),
                ..Default::default()
            },
            Details {
                not_before: Some(NOW - 100),
                ..Default::default()
            },
            Details {
                key: Some(f.server.public.as_bytes().to_vec()),
                ..Default::default()
            },
            Details {
                issuer_serial: Some(17),
                ..Default::default()
            },
            Details {
                serial: Some(99),
                ..Default::default()
            },
        ];
        for field in fields {
            field.encode(&mut reordered).unwrap();
        }
        assert_ne!(reordered, canonical);
        let leaf = NoiseCertificate {
            signature: Some(f.intermediate.private.sign(&reordered, &mut f.rng).to_vec()),
            details: Some(reordered),
        };
        let chain = CertChain {
            intermediate: Some(sign_certificate(
                &f.root.private,
                &f.intermediate_details(),
                &mut f.rng,
            )),
            leaf: Some(leaf),
        }
        .encode_to_vec();
        assert_eq!(f.verify(&chain).unwrap().leaf, f.leaf_details());
    }

    #[test]
    fn checks_run_in_whatsmeow_order() {
        let mut f = fixture();
        // Expired intermediate (check 5) and wrong leaf issuer (check 6) and wrong leaf key (check 7):
        // the first failing check is reported.
        let intermediate = Details {
            not_after: Some(NOW - 1),
            ..f.intermediate_details()
        };
        let leaf = Details {
            issuer_serial: Some(1),
            key: Some(vec![0; 32]),
            ..f.leaf_details()
        };
        let chain = f.chain_with(intermediate, leaf.clone());
        assert!(matches!(
            f.verify(&chain),
            Err(Error::CertExpired {
                role: CertRole::Intermediate,
                ..
            })
        ));
        let chain = f.chain_with(f.intermediate_details(), leaf);
        assert!(matches!(
            f.verify(&chain),
            Err(Error::CertIssuerSerial {
                role: CertRole::Leaf,
                ..
            })
        ));
    }
}
