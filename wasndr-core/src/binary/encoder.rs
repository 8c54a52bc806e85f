//! [`Node`] → frame payload bytes.
//!
//! One output vector, written front to back: list sizes are known before their items (attribute and
//! child counts), so nothing is patched afterwards and nothing is allocated per node.

use super::decoder::MAX_DEPTH;
use super::node::{Content, Node, Value};
use super::packed::{Packing, pack_into, packing_for};
use super::tags::*;
use super::tokens::{Token, token_index};
use crate::error::{Error, Result};
use crate::jid::{JidRef, Server};

/// Internal result: the problem text alone, which fits in registers (the crate `Error` would be returned
/// through memory on every string).
type Step = std::result::Result<(), &'static str>;

/// Encodes `node` as a frame payload: the flags byte `0x00` (uncompressed, what clients always send)
/// followed by the node.
pub fn encode(node: &Node) -> Result<Vec<u8>> {
    // Most stanzas fit; bigger ones grow by doubling. (An exact-size pre-pass over the tree measured
    // slower than the few reallocations it saves.)
    let mut out = Vec::with_capacity(256);
    encode_into(node, &mut out)?;
    Ok(out)
}

/// Appends the frame payload for `node` (flags byte `0x00`, then the node) to `out`. On error `out` is
/// left as it was.
pub fn encode_into(node: &Node, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    out.push(0);
    let result = Encoder { out }.node(node, 0);
    if result.is_err() {
        out.truncate(start);
    }
    result.map_err(Error::UnencodableNode)
}

fn unencodable(problem: &'static str) -> Step {
    Err(problem)
}

struct Encoder<'o> {
    out: &'o mut Vec<u8>,
}

impl Encoder<'_> {
    fn node(&mut self, node: &Node, depth: usize) -> Step {
        if node.tag.is_empty() {
            return unencodable("empty tag");
        }
        let has_content = !matches!(node.content, Content::None);
        let size = 1 + 2 * node.attrs.len() + usize::from(has_content);
        if size > usize::from(u16::MAX) {
            return unencodable("more than 32767 attributes");
        }
        self.list_header(size);
        self.string(&node.tag)?;
        for attr in &node.attrs {
            self.string(&attr.key)?;
            match &attr.value {
                Value::Str(text) => self.string(text)?,
                Value::Jid(jid) => self.jid(jid.as_ref())?,
            }
        }
        match &node.content {
            Content::None => {}
            Content::Nodes(children) => {
                if children.len() > usize::from(u16::MAX) {
                    return unencodable("more than 65535 children");
                }
                if !children.is_empty() && depth >= MAX_DEPTH {
                    return unencodable("nodes nested deeper than MAX_DEPTH");
                }
                self.list_header(children.len());
                for child in children {
                    self.node(child, depth + 1)?;
                }
            }
            Content::Bytes(bytes) => self.blob(bytes)?,
            Content::Text(text) => self.string(text)?,
            Content::Jid(jid) => self.jid(jid.as_ref())?,
        }
        Ok(())
    }

    #[inline]
    fn list_header(&mut self, size: usize) {
        if size == 0 {
            self.out.push(LIST_EMPTY);
        } else if size < 256 {
            self.out.extend_from_slice(&[LIST_8, size as u8]);
        } else {
            let [high, low] = (size as u16).to_be_bytes();
            self.out.extend_from_slice(&[LIST_16, high, low]);
        }
    }

    /// Length prefix of a raw blob: BINARY_8 below 256, BINARY_20 below 2^20, else BINARY_32.
    #[inline]
    fn blob_header(&mut self, len: usize) -> Step {
        if len < 256 {
            self.out.extend_from_slice(&[BINARY_8, len as u8]);
        } else if len < 1 << 20 {
            self.out
                .extend_from_slice(&[BINARY_20, (len >> 16) as u8, (len >> 8) as u8, len as u8]);
        } else if let Ok(len) = u32::try_from(len) {
            self.out.push(BINARY_32);
            self.out.extend_from_slice(&len.to_be_bytes());
        } else {
            return unencodable("blob longer than 4 GiB");
        }
        Ok(())
    }

    fn blob(&mut self, bytes: &[u8]) -> Step {
        self.blob_header(bytes.len())?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// A string: token, then NIBBLE_8, then HEX_8, then raw bytes (transport guide B.4, without
    /// Baileys' JID guessing).
    #[inline]
    fn string(&mut self, text: &str) -> Step {
        match token_index(text) {
            Some(Token::Single(index)) => self.out.push(index),
            Some(Token::Double { dict, index }) => self.out.extend_from_slice(&[DICTIONARY_0 + dict, index]),
            None => return self.non_token(text.as_bytes()),
        }
        Ok(())
    }

    #[inline]
    fn non_token(&mut self, bytes: &[u8]) -> Step {
        match packing_for(bytes) {
            Some(Packing::Nibble) => {
                self.out.push(NIBBLE_8);
                pack_into(self.out, bytes);
            }
            Some(Packing::Hex) => {
                self.out.push(HEX_8);
                pack_into(self.out, bytes);
            }
            None => self.blob(bytes)?,
        }
        Ok(())
    }

    /// JID tag choice (transport guide B.8): FB_JID for `msgr`, INTEROP_JID for `interop`, AD_JID for
    /// devices (and agents) on `s.whatsapp.net`/`lid` and for every hosted JID, JID_PAIR otherwise.
    fn jid(&mut self, jid: JidRef<'_>) -> Step {
        let server = jid.server_kind();
        match server {
            Server::Messenger => {
                self.out.push(FB_JID);
                self.string(jid.user())?;
                self.out.extend_from_slice(&jid.device().to_be_bytes());
                self.string(server.as_str())?;
            }
            Server::Interop => {
                self.out.push(INTEROP_JID);
                self.string(jid.user())?;
                self.out.extend_from_slice(&jid.device().to_be_bytes());
                self.out.extend_from_slice(&jid.integrator().to_be_bytes());
                self.string(server.as_str())?;
            }
            Server::Whatsapp | Server::Lid | Server::Hosted | Server::HostedLid
                if jid.is_ad()
                    || (!jid.user().is_empty() && matches!(server, Server::Hosted | Server::HostedLid)) =>
            {
                let domain = jid.domain();
                if server == Server::Whatsapp && Server::from_ad_domain(domain).is_some_and(|s| s != server) {
                    return unencodable(
                        "agent 1, 128 or 129 on s.whatsapp.net would decode as another server",
                    );
                }
                if server != Server::Whatsapp && jid.agent() != 0 {
                    return unencodable("only s.whatsapp.net JIDs carry a raw agent");
                }
                let Ok(device) = u8::try_from(jid.device()) else {
                    return unencodable("AD_JID devices are at most 255");
                };
                self.out.extend_from_slice(&[AD_JID, domain, device]);
                self.string(jid.user())?;
            }
            _ => {
                if jid.is_ad() {
                    return unencodable("this server's JIDs carry no device or agent");
                }
                self.out.push(JID_PAIR);
                if jid.user().is_empty() {
                    self.out.push(LIST_EMPTY);
                } else {
                    self.string(jid.user())?;
                }
                self.out.extend_from_slice(server_bytes(server));
            }
        }
        Ok(())
    }
}

/// The string encoding of each server name, precomputed (a test checks it against `string`).
fn server_bytes(server: Server) -> &'static [u8] {
    match server {
        Server::Whatsapp => &[3],
        Server::Group => &[28],
        Server::Broadcast => &[13],
        Server::Lid => &[118],
        Server::Messenger => &[204],
        Server::LegacyUser => b"\xFC\x04c.us",
        Server::Newsletter => b"\xFC\x0Anewsletter",
        Server::Hosted => b"\xFC\x06hosted",
        Server::HostedLid => b"\xFC\x0Ahosted.lid",
        Server::Interop => b"\xFC\x07interop",
        Server::Bot => b"\xFC\x03bot",
    }
}

#[cfg(test)]
pub(crate) fn encode_string_for_test(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    Encoder { out: &mut out }.string(text).unwrap();
    out
}

#[cfg(test)]
pub(crate) fn server_bytes_for_test(server: Server) -> &'static [u8] {
    server_bytes(server)
}
