use std::borrow::Cow;
use std::io::Write;

use proptest::prelude::*;

use super::encoder::{encode_string_for_test, server_bytes_for_test};
use super::*;
use crate::Error;
use crate::jid::{Jid, Server};

fn decode_hex(hex_body: &str) -> Result<Node, Error> {
    let body = hex::decode(hex_body).unwrap();
    decode_node(&body).map(|tree| tree.to_owned_node())
}

fn problem(hex_body: &str) -> (usize, DecodeProblem) {
    match decode_hex(hex_body) {
        Err(Error::MalformedNode { offset, problem }) => (offset, problem),
        other => panic!("{hex_body}: expected a decode error, got {other:?}"),
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn compressed_payload(body: &[u8]) -> Vec<u8> {
    let mut payload = vec![tags::FLAG_COMPRESSED];
    payload.extend(zlib(body));
    payload
}

#[test]
fn server_encodings_equal_their_string_encodings() {
    for server in Server::ALL {
        assert_eq!(
            server_bytes_for_test(server),
            encode_string_for_test(server.as_str()),
            "{server}"
        );
    }
}

#[test]
fn guide_b7_examples_encode_exactly() {
    let node = Node::new("iq")
        .attr("id", "1.2-3")
        .attr("to", Jid::server())
        .attr("type", "get")
        .attr("xmlns", "w:p")
        .children([Node::new("ping")]);
    assert_eq!(
        hex::encode(encode(&node).unwrap()),
        "00f80a1908ff831b2a3f11fa0003042916 57f801f80156".replace(' ', "")
    );
    let device = Node::new("device")
        .attr("jid", Jid::pn("15551234567").with_device(5))
        .attr("lid", Jid::lid("98765432109876").with_device(5));
    assert_eq!(
        hex::encode(encode(&device).unwrap()),
        "00f8053b0cf70005ff861555123456 7f76f70105ff0798765432109876".replace(' ', "")
    );
    let stream_error = Node::new("stream:error").attr("code", "515");
    assert_eq!(hex::encode(encode(&stream_error).unwrap()), "00f8039d70ff82515f");
    let reference = Node::new("ref").bytes(b"2@ab".to_vec());
    assert_eq!(hex::encode(encode(&reference).unwrap()), "00f802ed50fc0432406162");
}

#[test]
fn packing_examples_from_the_guide() {
    assert_eq!(hex::encode(encode_string_for_test("1.2-3")), "ff831b2a3f");
    assert_eq!(hex::encode(encode_string_for_test("ABCDEF0")), "fb84abcdef0f");
    // Empty strings are raw (Baileys), never packed; lowercase hex is raw.
    assert_eq!(hex::encode(encode_string_for_test("")), "fc00");
    assert_eq!(hex::encode(encode_string_for_test("abc")), "fc03616263");
}

#[test]
fn jid_tag_choice() {
    let cases = [
        (Jid::pn("1"), "fa5503"),
        (Jid::pn("1").with_device(2), "f70002 55"),
        (Jid::pn("1").with_agent(7).with_device(2), "f70702 55"),
        (Jid::pn("1").with_agent(7), "f70700 55"),
        (Jid::lid("1"), "fa5576"),
        (Jid::lid("1").with_device(2), "f70102 55"),
        (Jid::new("1", Server::Hosted), "f78000 55"),
        (Jid::new("1", Server::HostedLid).with_device(99), "f78163 55"),
        (Jid::bare(Server::Hosted), "fa00 fc06686f73746564"),
        (Jid::group_server(), "fa001c"),
        (Jid::messenger("1", 7), "f6550007cc"),
        (Jid::interop("1", 2, 5), "f55500020005fc07696e7465726f70"),
    ];
    for (jid, expected) in cases {
        let node = Node::new("iq").attr("jid", jid.clone());
        let encoded = encode(&node).unwrap();
        assert_eq!(hex::encode(&encoded[5..]), expected.replace(' ', ""), "{jid}");
        let decoded = decode_owned(&encoded).unwrap();
        assert_eq!(decoded.attr_value("jid"), Some(&Value::Jid(jid.clone())), "{jid}");
    }
}

#[test]
fn strings_are_never_guessed_to_be_jids() {
    let node = Node::new("message").attr("to", "15551234567@s.whatsapp.net");
    let encoded = encode(&node).unwrap();
    assert_eq!(encoded[5], tags::BINARY_8);
    let tree = decode_owned(&encoded).unwrap();
    assert_eq!(tree.attr_str("to"), Some("15551234567@s.whatsapp.net"));
    // The lenient accessor still reads it as a JID.
    assert_eq!(tree.attr_jid("to").unwrap(), Jid::pn("15551234567"));
}

#[test]
fn encoder_refuses_what_the_wire_cannot_carry() {
    let refuse = |node: &Node, problem: &str| {
        let mut out = vec![0xAA];
        assert_eq!(
            encode_into(node, &mut out),
            Err(Error::UnencodableNode(match problem {
                "empty tag" => "empty tag",
                "device" => "AD_JID devices are at most 255",
                "agent" => "agent 1, 128 or 129 on s.whatsapp.net would decode as another server",
                "no device" => "this server's JIDs carry no device or agent",
                "children" => "more than 65535 children",
                "attributes" => "more than 32767 attributes",
                "depth" => "nodes nested deeper than MAX_DEPTH",
                other => panic!("{other}"),
            }))
        );
        assert_eq!(out, [0xAA], "output untouched on error");
    };
    refuse(&Node::new(""), "empty tag");
    refuse(
        &Node::new("iq").attr("jid", Jid::pn("1").with_device(256)),
        "device",
    );
    refuse(
        &Node::new("iq").attr("jid", Jid::pn("1").with_agent(1).with_device(2)),
        "agent",
    );
    refuse(
        &Node::new("iq").attr("jid", Jid::group("1").with_device(2)),
        "no device",
    );
    refuse(
        &Node::new("list").children(vec![Node::new("a"); 65536]),
        "children",
    );
    let mut many = Node::new("props");
    many.attrs = (0..32768)
        .map(|_| Attr {
            key: "k".into(),
            value: "v".into(),
        })
        .collect();
    refuse(&many, "attributes");
    let mut deep = Node::new("leaf");
    for _ in 0..=MAX_DEPTH {
        deep = Node::new("level").children([deep]);
    }
    refuse(&deep, "depth");
}

#[test]
fn text_content_that_is_not_packable_comes_back_as_bytes() {
    let encoded = encode(&Node::new("body").text("hello")).unwrap();
    assert_eq!(
        decode_owned(&encoded).unwrap().content,
        Content::Bytes(b"hello".to_vec())
    );
    let encoded = encode(&Node::new("count").text("20240101")).unwrap();
    assert_eq!(
        decode_owned(&encoded).unwrap().content,
        Content::Text(Cow::Borrowed("20240101"))
    );
}

#[test]
fn encode_into_appends() {
    let mut out = b"xy".to_vec();
    encode_into(&Node::new("iq"), &mut out).unwrap();
    assert_eq!(out, b"xy\x00\xF8\x01\x19");
}

#[test]
fn decoded_accessors() {
    let node = Node::new("iq")
        .attr("id", "abc")
        .attr("from", Jid::pn("15551234567").with_device(2))
        .children([
            Node::new("enc").attr("type", "pkmsg").bytes(vec![1, 2, 3]),
            Node::new("enc").attr("type", "msg").bytes(vec![4]),
            Node::new("count").text("42"),
            Node::new("item").text("15551234567@s.whatsapp.net"),
        ]);
    let payload = encode(&node).unwrap();
    let body = unpack(&payload).unwrap();
    assert!(
        matches!(body, Cow::Borrowed(_)),
        "uncompressed bodies are borrowed"
    );
    let tree = decode_node(&body).unwrap();
    let iq = tree.root();
    assert_eq!(tree.node_count(), 5);
    assert_eq!(iq.tag(), "iq");
    assert_eq!(iq.attr_str("id"), Some("abc"));
    assert_eq!(iq.attr_str("from"), None);
    assert_eq!(iq.attr_jid("from").unwrap().device(), 2);
    assert_eq!(iq.attr("missing"), None);
    assert_eq!(iq.children().len(), 4);
    assert_eq!(iq.child("enc").unwrap().bytes(), Some(&[1, 2, 3][..]));
    assert_eq!(
        iq.children_with_tag("enc")
            .map(|enc| enc.attr_str("type").unwrap())
            .collect::<Vec<_>>(),
        ["pkmsg", "msg"]
    );
    assert_eq!(iq.children().next_back().unwrap().tag(), "item");
    assert_eq!(iq.child("count").unwrap().text(), Some("42"));
    // Text content that is not a JID on our side is a string; written as one, it stays one.
    assert!(matches!(
        iq.child("item").unwrap().content(),
        ContentRef::Bytes(_)
    ));
    assert_eq!(iq.child("nope").map(|n| n.tag()), None);
    assert_eq!(iq.to_owned(), decode_owned(&payload).unwrap());
    // Tokens stay borrowed from the dictionaries in the owned copy.
    assert!(matches!(iq.to_owned().tag, Cow::Borrowed("iq")));
}

#[test]
fn rendering_is_compact_and_typed() {
    let node = Node::new("iq")
        .attr("to", Jid::server())
        .attr("id", "a\"b")
        .children([
            Node::new("enc").bytes(vec![0xAB; 40]),
            Node::new("count").text("42"),
        ]);
    assert_eq!(
        node.to_string(),
        format!(
            "<iq to=@s.whatsapp.net id=\"a&quot;b\"><enc>{}…(40 bytes)</enc><count>\"42\"</count></iq>",
            "ab".repeat(32)
        )
    );
    let payload = encode(&node).unwrap();
    let tree = decode_node(&payload[1..]).unwrap();
    assert_eq!(tree.root().to_string(), node.to_string());
}

#[test]
fn every_prefix_of_a_valid_body_is_refused() {
    let node = Node::new("message")
        .attr("id", "3EB0A1B2C3D4E5F60718")
        .attr("to", Jid::pn("15551234567").with_device(3))
        .attr("t", "1700000000")
        .attr("from", Jid::interop("1234", 2, 5))
        .children([
            Node::new("enc").attr("v", "2").bytes(vec![7; 300]),
            Node::new("x").text("hello"),
        ]);
    let payload = encode(&node).unwrap();
    for cut in 0..payload.len() - 1 {
        let result = decode_node(&payload[1..=cut]);
        assert!(result.is_err(), "prefix of {cut} bytes decoded");
    }
    assert_eq!(
        problem(&hex::encode(&payload[1..payload.len() - 1])),
        (payload.len() - 6, DecodeProblem::Truncated)
    );
}

#[test]
fn unassigned_tags_are_refused_everywhere() {
    for tag in 240..=244u8 {
        assert_eq!(
            problem(&format!("f801{tag:02x}")),
            (2, DecodeProblem::UnassignedTag(tag)),
            "as tag"
        );
        assert_eq!(
            problem(&format!("f8031908{tag:02x}")),
            (4, DecodeProblem::UnassignedTag(tag)),
            "as value"
        );
        assert_eq!(
            problem(&format!("f80219{tag:02x}")),
            (3, DecodeProblem::UnassignedTag(tag)),
            "as content"
        );
    }
}

#[test]
fn invalid_nibbles_are_refused() {
    for nibble in 12..=14u8 {
        let body = format!("f8031908ff02{:02x}34", 0x10 | nibble);
        assert_eq!(problem(&body), (4, DecodeProblem::InvalidNibble(nibble)));
        let body = format!("f8031908ff02{:02x}34", nibble << 4);
        assert_eq!(problem(&body), (4, DecodeProblem::InvalidNibble(nibble)));
    }
    // Padding is only allowed as the dropped last nibble.
    assert_eq!(
        problem("f8031908ff02f134"),
        (4, DecodeProblem::PaddingInsidePackedString)
    );
    assert_eq!(
        problem("f8031908ff021f34"),
        (4, DecodeProblem::PaddingInsidePackedString)
    );
    assert_eq!(problem("f8031908ff80"), (4, DecodeProblem::OddEmptyPackedString));
    // Hex packing has no invalid nibble; an odd string drops its last nibble.
    assert_eq!(decode_hex("f8031908fb81ce").unwrap().attr_str("id"), Some("C"));
    assert_eq!(decode_hex("f8031908ff00").unwrap().attr_str("id"), Some(""));
}

#[test]
fn nesting_is_limited() {
    fn nested(levels: usize) -> Vec<u8> {
        // levels × "F8 02 19 F8 01" then a leaf "F8 01 19".
        let mut body = Vec::new();
        for _ in 0..levels {
            body.extend([0xF8, 0x02, 0x19, 0xF8, 0x01]);
        }
        body.extend([0xF8, 0x01, 0x19]);
        body
    }
    assert!(decode_node(&nested(MAX_DEPTH)).is_ok());
    let too_deep = nested(MAX_DEPTH + 1);
    assert!(matches!(
        decode_node(&too_deep),
        Err(Error::MalformedNode { problem: DecodeProblem::TooDeep, offset }) if offset == 5 * MAX_DEPTH + 3
    ));
    // A bomb of a million levels is refused at the limit, without recursing further.
    assert!(matches!(
        decode_node(&nested(1_000_000)),
        Err(Error::MalformedNode {
            problem: DecodeProblem::TooDeep,
            ..
        })
    ));
}

#[test]
fn list_claims_must_fit_the_input() {
    assert_eq!(
        problem("f80219f9ffff"),
        (
            3,
            DecodeProblem::OversizedList {
                claimed: 65535,
                remaining: 0
            }
        )
    );
    assert_eq!(
        problem("f80219f8ff f80119".replace(' ', "").as_str()),
        (
            3,
            DecodeProblem::OversizedList {
                claimed: 255,
                remaining: 3
            }
        )
    );
    // 65535 items → 32767 attributes claimed by a 4-byte body.
    assert_eq!(
        problem("f9ffff19"),
        (
            4,
            DecodeProblem::OversizedList {
                claimed: 32767,
                remaining: 0
            }
        )
    );
}

#[test]
fn structural_errors() {
    assert_eq!(problem(""), (0, DecodeProblem::Truncated));
    assert_eq!(problem("19"), (0, DecodeProblem::NotANode(0x19)));
    assert_eq!(problem("00"), (0, DecodeProblem::EmptyNode));
    assert_eq!(problem("f800"), (0, DecodeProblem::EmptyNode));
    assert_eq!(problem("f80100"), (2, DecodeProblem::EmptyTag));
    assert_eq!(problem("f801fc00"), (2, DecodeProblem::EmptyTag));
    assert_eq!(problem("f801fa0003"), (2, DecodeProblem::JidWhereStringExpected));
    assert_eq!(
        problem("f80319fa0003"),
        (3, DecodeProblem::JidWhereStringExpected),
        "JID as a key"
    );
    assert_eq!(
        problem("f8031908f80119"),
        (4, DecodeProblem::ListWhereStringExpected)
    );
    assert_eq!(
        problem("f8031908fafa000303"),
        (5, DecodeProblem::JidWhereStringExpected),
        "JIDs do not nest"
    );
    assert_eq!(problem("f8031908fa0000"), (6, DecodeProblem::JidWithoutServer));
    assert_eq!(problem("f8031908fc02c328"), (4, DecodeProblem::NotUtf8));
    assert_eq!(
        problem("f8031908f62d000703"),
        (8, DecodeProblem::WrongJidServer(Server::Messenger))
    );
    assert_eq!(
        problem("f8031908f52d0007000103"),
        (10, DecodeProblem::WrongJidServer(Server::Interop))
    );
    assert_eq!(problem("f8011919"), (3, DecodeProblem::TrailingBytes(1)));
    assert_eq!(
        problem("f8031908fd0fffff"),
        (8, DecodeProblem::Truncated),
        "BINARY_20 claims 1 MiB"
    );
    assert_eq!(
        problem("f8031908feffffffff"),
        (9, DecodeProblem::Truncated),
        "BINARY_32 claims 4 GiB"
    );
}

#[test]
fn unknown_jid_servers_decode_as_text() {
    let node = decode_hex("f8031908fa2dfc03666f6f").unwrap();
    assert_eq!(node.attr_value("id"), Some(&Value::Str("0@foo".into())));
    let node = decode_hex("f8031908faff821235fc03666f6f").unwrap();
    assert_eq!(node.attr_str("id"), Some("123@foo"));
}

#[test]
fn frame_flags_and_zlib() {
    let body = encode(&Node::new("iq").attr("id", "1")).unwrap()[1..].to_vec();
    assert_eq!(
        unpack(&[]),
        Err(Error::MalformedNode {
            offset: 0,
            problem: DecodeProblem::EmptyPayload
        })
    );
    // Other flag bits are ignored.
    let mut payload = vec![0xFD];
    payload.extend(&body);
    assert_eq!(unpack(&payload).unwrap(), body);
    let compressed = compressed_payload(&body);
    assert_eq!(unpack(&compressed).unwrap(), body);

    let bad_zlib = Err(Error::MalformedNode {
        offset: 1,
        problem: DecodeProblem::BadZlib,
    });
    assert_eq!(unpack(&[2, 1, 2, 3, 4]), bad_zlib, "not zlib");
    assert_eq!(unpack(&[2]), bad_zlib, "no stream");
    let mut raw_deflate = vec![2];
    raw_deflate.extend(&zlib(&body)[2..]);
    assert_eq!(
        unpack(&raw_deflate),
        bad_zlib,
        "raw deflate without the RFC 1950 header"
    );
    let truncated = &compressed[..compressed.len() - 3];
    assert_eq!(unpack(truncated), bad_zlib, "cut short");
    let mut trailing = compressed.clone();
    trailing.push(0);
    assert_eq!(unpack(&trailing), bad_zlib, "bytes after the stream");
    let mut checksum = compressed.clone();
    *checksum.last_mut().unwrap() ^= 1;
    assert_eq!(unpack(&checksum), bad_zlib, "Adler-32 mismatch");
}

#[test]
fn inflation_is_capped() {
    let bomb = compressed_payload(&vec![0u8; 4 << 20]);
    assert!(bomb.len() < 10_000);
    assert_eq!(
        unpack_with_limit(&bomb, 1 << 20),
        Err(Error::MalformedNode {
            offset: 1,
            problem: DecodeProblem::InflatedTooLarge { limit: 1 << 20 }
        })
    );
    assert_eq!(unpack_with_limit(&bomb, 4 << 20).unwrap().len(), 4 << 20);
    // Tiny and huge limits are fine too.
    assert!(unpack_with_limit(&bomb, 0).is_err());
    assert!(unpack_with_limit(&bomb, 10).is_err());
    assert_eq!(unpack_with_limit(&bomb, usize::MAX).unwrap().len(), 4 << 20);
    let empty = compressed_payload(&[]);
    assert_eq!(unpack_with_limit(&empty, 0).unwrap().len(), 0);
    let exactly = compressed_payload(&[7u8; 1000]);
    assert_eq!(unpack_with_limit(&exactly, 1000).unwrap().len(), 1000);
    assert!(unpack_with_limit(&exactly, 999).is_err());
}

#[test]
fn dictionary_lookups() {
    assert_eq!(DICT_VERSION, 3);
    assert_eq!(single_byte_token(0), None);
    assert_eq!(single_byte_token(3), Some("s.whatsapp.net"));
    assert_eq!(single_byte_token(236), None);
    assert_eq!(double_byte_token(1, 80), Some("ref"));
    assert_eq!(double_byte_token(4, 0), None);
    assert_eq!(
        token_index("pair-device"),
        Some(Token::Double { dict: 1, index: 238 })
    );
    assert_eq!(token_index("pair-success"), None);
}

// ---- property tests ----

fn token_string() -> impl Strategy<Value = String> {
    (1u8..=235).prop_map(|index| single_byte_token(index).unwrap().to_owned())
}

fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        token_string(),
        (0u8..4, any::<u8>()).prop_map(|(dict, index)| double_byte_token(dict, index).unwrap().to_owned()),
        "[0-9.-]{0,130}",
        "[0-9A-F]{0,130}",
        "\\PC{0,20}",
        ".{0,300}",
    ]
}

fn any_jid() -> impl Strategy<Value = Jid> {
    let server = prop::sample::select(Server::ALL.to_vec());
    (
        prop_oneof!["[0-9]{1,20}", "\\PC{0,10}", token_string()],
        server,
        any::<u8>(),
        any::<u16>(),
        any::<u8>(),
    )
        .prop_map(|(user, server, device, integrator, agent)| match server {
            Server::Whatsapp if Server::from_ad_domain(agent).is_none() => Jid::new(&user, server)
                .with_device(u16::from(device))
                .with_agent(agent),
            Server::Whatsapp | Server::Lid | Server::Hosted | Server::HostedLid => {
                Jid::new(&user, server).with_device(u16::from(device))
            }
            Server::Messenger => Jid::messenger(&user, integrator),
            Server::Interop => Jid::interop(&user, u16::from(device), integrator),
            _ => Jid::new(&user, server),
        })
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![any_string().prop_map(Value::from), any_jid().prop_map(Value::Jid)]
}

fn any_node() -> impl Strategy<Value = Node> {
    let leaf_content = prop_oneof![
        Just(Content::None),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Content::Bytes),
        any_string().prop_map(|text| Content::Text(text.into())),
        any_jid().prop_map(Content::Jid),
    ];
    let leaf = (
        any_string().prop_filter("tags are not empty", |tag| !tag.is_empty()),
        prop::collection::vec((any_string(), any_value()), 0..5),
        leaf_content,
    )
        .prop_map(|(tag, attrs, content)| Node {
            tag: tag.into(),
            attrs: attrs
                .into_iter()
                .map(|(key, value)| Attr {
                    key: key.into(),
                    value,
                })
                .collect(),
            content,
        });
    leaf.prop_recursive(4, 64, 8, |inner| {
        (
            any_string().prop_filter("tags are not empty", |tag| !tag.is_empty()),
            prop::collection::vec((any_string(), any_value()), 0..4),
            prop::collection::vec(inner, 0..8),
        )
            .prop_map(|(tag, attrs, children)| Node {
                tag: tag.into(),
                attrs: attrs
                    .into_iter()
                    .map(|(key, value)| Attr {
                        key: key.into(),
                        value,
                    })
                    .collect(),
                content: Content::Nodes(children),
            })
    })
}

/// What a node looks like after a trip through the wire: string content that is neither a token nor
/// packable travels as raw bytes and comes back as bytes (the documented, reference-compatible loss).
fn as_received(node: &Node) -> Node {
    let content = match &node.content {
        Content::Nodes(children) => Content::Nodes(children.iter().map(as_received).collect()),
        Content::Text(text)
            if token_index(text).is_none() && super::packed::packing_for(text.as_bytes()).is_none() =>
        {
            Content::Bytes(text.as_bytes().to_vec())
        }
        other => other.clone(),
    };
    Node {
        tag: node.tag.clone(),
        attrs: node.attrs.clone(),
        content,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_gives_the_node_back(node in any_node()) {
        let payload = encode(&node).unwrap();
        let body = unpack(&payload).unwrap();
        let tree = decode_node(&body).unwrap();
        prop_assert_eq!(tree.root().to_owned(), as_received(&node));
        // And the bytes are stable under a second trip.
        prop_assert_eq!(encode(&tree.root().to_owned()).unwrap(), payload.clone());
        // The same node, compressed, decodes the same.
        prop_assert_eq!(decode_owned(&compressed_payload(&body)).unwrap(), as_received(&node));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_node(&bytes);
        let _ = unpack(&bytes).map(|body| decode_node(&body).map(|tree| tree.to_owned_node().to_string()));
    }

    #[test]
    fn mutated_valid_bodies_never_panic(node in any_node(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut body = encode(&node).unwrap()[1..].to_vec();
        for (index, byte) in flips {
            let i = index.index(body.len());
            body[i] = byte;
        }
        if let Ok(tree) = decode_node(&body) {
            let owned = tree.to_owned_node();
            let _ = owned.to_string();
            let _ = encode(&owned);
        }
    }
}
