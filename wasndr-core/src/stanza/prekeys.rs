//! Prekey IQs: upload, server count, bundle fetch (messaging guide A.3, D.4), and the key nodes they
//! share with retry receipts (E.5).

use crate::binary::Node;
use crate::crypto::{KEY_TYPE_DJB, PublicKey};
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::signal::{PreKeyBundle, PreKeyRecord, SignedPreKeyRecord};

use super::StanzaProblem;
use super::iq::{Iq, IqType, iq_result};
use super::read::{NodeView, Reader};

/// `<key><id>u24</id><value>pub32</value></key>`.
pub(crate) fn prekey_node(id: u32, public: &PublicKey) -> Node {
    Node::new("key").children([
        Node::new("id").bytes(id_bytes(id)),
        Node::new("value").bytes(public.as_bytes().to_vec()),
    ])
}

/// `<skey><id/><value/><signature/></skey>`.
pub(crate) fn signed_prekey_node(id: u32, public: &PublicKey, signature: &[u8]) -> Node {
    Node::new("skey").children([
        Node::new("id").bytes(id_bytes(id)),
        Node::new("value").bytes(public.as_bytes().to_vec()),
        Node::new("signature").bytes(signature.to_vec()),
    ])
}

/// A prekey id as its 3 big-endian bytes.
fn id_bytes(id: u32) -> Vec<u8> {
    id.to_be_bytes()[1..].to_vec()
}

/// `<type>05</type>`.
pub(crate) fn key_type_node() -> Node {
    Node::new("type").bytes(vec![KEY_TYPE_DJB])
}

/// The upload of our keys (`encrypt`/set): registration id, identity, a list of one-time prekeys and the
/// signed prekey.
pub fn upload_prekeys(
    registration_id: u32,
    identity: &PublicKey,
    signed_prekey: &SignedPreKeyRecord,
    prekeys: &[PreKeyRecord],
) -> Iq {
    Iq {
        xmlns: "encrypt",
        iq_type: IqType::Set,
        to: Jid::server(),
        target: None,
        content: vec![
            Node::new("registration").bytes(registration_id.to_be_bytes().to_vec()),
            key_type_node(),
            Node::new("identity").bytes(identity.as_bytes().to_vec()),
            Node::new("list").children(
                prekeys
                    .iter()
                    .map(|prekey| prekey_node(prekey.id, &prekey.key_pair.public)),
            ),
            signed_prekey_node(
                signed_prekey.id,
                &signed_prekey.key_pair.public,
                &signed_prekey.signature,
            ),
        ],
    }
}

/// How many of our one-time prekeys the server still holds (`encrypt`/get `<count/>`).
pub fn prekey_count_query() -> Iq {
    Iq::new("encrypt", IqType::Get, Jid::server(), Node::new("count"))
}

/// The count in the reply to [`prekey_count_query`] (`<count value="N"/>`), also the shape of a
/// low-prekeys `encrypt` notification.
pub fn parse_prekey_count<'t, N: NodeView<'t>>(reply: N) -> Result<u32> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    iq.child("count")?.u32("value")
}

/// A bundle fetch for devices we have no session with (`encrypt`/get). whatsmeow always asks with
/// `reason="identity"`; Baileys only when forcing a refresh.
pub fn bundle_query(devices: &[Jid], reason_identity: bool) -> Iq {
    Iq::new(
        "encrypt",
        IqType::Get,
        Jid::server(),
        Node::new("key").children(devices.iter().map(|device| {
            Node::new("user")
                .attr("jid", device.clone())
                .attr_opt("reason", reason_identity.then_some("identity"))
        })),
    )
}

/// One device's answer to a bundle fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedBundle {
    /// The device.
    pub device: Jid,
    /// Its bundle, or the server's `<error code text>` for it (the signature is not checked here:
    /// session building checks it).
    pub bundle: std::result::Result<PreKeyBundle, BundleError>,
}

/// A per-device error in a bundle reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleError {
    /// `code` (0 when absent).
    pub code: u32,
    /// `text`.
    pub text: String,
}

/// Parses the reply to [`bundle_query`]: one entry per `<user>` of its `<list>`. A malformed bundle
/// fails the whole reply, as it means the server, not one device, is misbehaving.
pub fn parse_bundles<'t, N: NodeView<'t>>(reply: N) -> Result<Vec<FetchedBundle>> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    let mut bundles = Vec::new();
    for user in iq.child("list")?.children_with_tag("user") {
        let device = user.jid("jid")?;
        let bundle = match user.opt_child("error") {
            Some(error) => Err(BundleError {
                code: error.opt_u32("code")?.unwrap_or(0),
                text: error.opt_string("text").unwrap_or_default(),
            }),
            None => Ok(parse_bundle(user)?),
        };
        bundles.push(FetchedBundle { device, bundle });
    }
    Ok(bundles)
}

/// A bundle from a node holding `<registration>` and the key nodes, directly or inside `<keys>` (the
/// `<user>` of a bundle reply, or a retry receipt).
pub(crate) fn parse_bundle<'t, N: NodeView<'t>>(holder: Reader<'t, N>) -> Result<PreKeyBundle> {
    let registration = u32::from_be_bytes(holder.child("registration")?.fixed::<4>("registration")?);
    let keys = holder.opt_child("keys").unwrap_or(holder);
    let identity = public_key(keys.child("identity")?, "identity")?;
    let prekey = match keys.opt_child("key") {
        Some(key) => Some(parse_key(key, "key")?),
        None => None,
    };
    let skey = keys.child("skey")?;
    let (signed_prekey_id, signed_prekey) = parse_key(skey, "skey")?;
    let signature = skey.child("signature")?.fixed::<64>("signature")?;
    Ok(PreKeyBundle {
        registration_id: registration,
        identity_key: identity,
        signed_prekey_id,
        signed_prekey,
        signed_prekey_signature: signature.to_vec(),
        prekey,
    })
}

fn parse_key<'t, N: NodeView<'t>>(key: Reader<'t, N>, tag: &'static str) -> Result<(u32, PublicKey)> {
    let id = key.child("id")?.fixed::<3>(tag)?;
    let id = u32::from_be_bytes([0, id[0], id[1], id[2]]);
    Ok((id, public_key(key.child("value")?, tag)?))
}

fn public_key<'t, N: NodeView<'t>>(node: Reader<'t, N>, tag: &'static str) -> Result<PublicKey> {
    let bytes = node.bytes(tag)?;
    if bytes.len() != 32 {
        return Err(node.fail(StanzaProblem::InvalidContent(tag)));
    }
    PublicKey::from_slice(bytes).map_err(|_: Error| node.fail(StanzaProblem::InvalidContent(tag)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;
    use crate::crypto::KeyPair;
    use crate::signal::IdentityKeyPair;

    fn reply(children: Vec<Node>) -> Vec<u8> {
        let node = Node::new("iq")
            .attr("from", Jid::server())
            .attr("id", "1")
            .attr("type", "result")
            .children(children);
        binary::encode(&node).unwrap()
    }

    #[test]
    fn upload_layout() {
        let mut rng = rand::rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKeyRecord::generate(&identity, 0x010203, 7, &mut rng).unwrap();
        let prekeys = vec![PreKeyRecord {
            id: 5,
            key_pair: KeyPair::generate(&mut rng),
        }];
        let node = upload_prekeys(0x3fff, identity.public(), &spk, &prekeys).into_node("x");
        let children = node.child_nodes();
        let tags: Vec<&str> = children.iter().map(|c| c.tag.as_ref()).collect();
        assert_eq!(tags, ["registration", "type", "identity", "list", "skey"]);
        assert_eq!(children[0].content_bytes(), Some(&[0, 0, 0x3f, 0xff][..]));
        let skey = &children[4];
        assert_eq!(skey.child("id").unwrap().content_bytes(), Some(&[1, 2, 3][..]));
        assert_eq!(
            skey.child("signature").unwrap().content_bytes(),
            Some(&spk.signature[..])
        );
        assert_eq!(
            children[3]
                .child("key")
                .unwrap()
                .child("id")
                .unwrap()
                .content_bytes(),
            Some(&[0, 0, 5][..])
        );
    }

    #[test]
    fn bundle_reply_with_errors_and_keys_wrapper() {
        let mut rng = rand::rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKeyRecord::generate(&identity, 9, 7, &mut rng).unwrap();
        let opk = KeyPair::generate(&mut rng);
        let key_nodes = vec![
            key_type_node(),
            Node::new("identity").bytes(identity.public().as_bytes().to_vec()),
            prekey_node(0x00ab_cdef, &opk.public),
            signed_prekey_node(9, &spk.key_pair.public, &spk.signature),
        ];
        let registration = Node::new("registration").bytes(77u32.to_be_bytes().to_vec());
        let direct = Node::new("user")
            .attr("jid", Jid::pn("1").with_device(2))
            .children([vec![registration.clone()], key_nodes.clone()].concat());
        let wrapped = Node::new("user")
            .attr("jid", Jid::lid("3"))
            .children([registration, Node::new("keys").children(key_nodes)]);
        let failed = Node::new("user")
            .attr("jid", Jid::pn("4"))
            .children([Node::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")]);
        let bytes = reply(vec![Node::new("list").children([direct, wrapped, failed])]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let bundles = parse_bundles(tree.root()).unwrap();
        assert_eq!(bundles.len(), 3);
        let expected = PreKeyBundle {
            registration_id: 77,
            identity_key: *identity.public(),
            signed_prekey_id: 9,
            signed_prekey: spk.key_pair.public,
            signed_prekey_signature: spk.signature.to_vec(),
            prekey: Some((0x00ab_cdef, opk.public)),
        };
        assert_eq!(bundles[0].device, Jid::pn("1").with_device(2));
        assert_eq!(bundles[0].bundle.as_ref().unwrap(), &expected);
        assert_eq!(bundles[1].bundle.as_ref().unwrap(), &expected);
        expected.verify_signature().unwrap();
        assert_eq!(
            bundles[2].bundle,
            Err(BundleError {
                code: 404,
                text: "item-not-found".into()
            })
        );

        // A short key is an error, not a panic.
        let bad = Node::new("user").attr("jid", Jid::pn("5")).children([
            Node::new("registration").bytes(vec![0, 0, 0, 1]),
            Node::new("identity").bytes(vec![1; 31]),
        ]);
        let bytes = reply(vec![Node::new("list").children([bad])]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        assert!(parse_bundles(tree.root()).is_err());
    }

    #[test]
    fn count() {
        let bytes = reply(vec![Node::new("count").attr("value", "42")]);
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        assert_eq!(parse_prekey_count(tree.root()).unwrap(), 42);
        let query = prekey_count_query().into_node("1");
        assert_eq!(query.attr_str("xmlns"), Some("encrypt"));
        assert_eq!(query.attr_str("type"), Some("get"));
    }
}
