//! The connection header a client sends once, before its first frame (transport guide A.2).

use crate::error::{Error, Result};

/// `'W' 'A'`, magic 6, token dictionary version 3. Sent once before the first frame, and the Noise
/// prologue.
pub const CONNECTION_HEADER: [u8; 4] = [b'W', b'A', 6, 3];

/// First four bytes of Baileys' edge-routing prefix: `'E' 'D' 00 01`, then a 3-byte big-endian length
/// and that many routing bytes, then the normal [`CONNECTION_HEADER`].
pub const EDGE_ROUTING_MAGIC: [u8; 4] = [b'E', b'D', 0, 1];

/// Where the reader is inside the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reading the first four bytes: a connection header or the edge-routing magic.
    Lead,
    /// Reading the 3-byte length of the routing bytes.
    RoutingLen,
    /// Skipping this many routing bytes.
    Routing(usize),
    /// Reading the connection header that follows the routing bytes.
    HeaderAfterRouting,
    /// The header was read.
    Done,
}

/// The server side's reader of a client's connection header: accepts exactly [`CONNECTION_HEADER`],
/// optionally preceded by the edge-routing prefix (whose routing bytes are skipped, not kept), across any
/// split into messages.
#[derive(Debug)]
pub struct ClientHeaderReader {
    stage: Stage,
    /// Bytes of the fixed-size field being read.
    field: [u8; 4],
    field_len: usize,
    /// Length of the skipped routing bytes, if the client sent the edge-routing prefix.
    edge_routing_len: Option<usize>,
}

impl Default for ClientHeaderReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientHeaderReader {
    /// A reader expecting the first byte of a connection.
    pub fn new() -> Self {
        Self {
            stage: Stage::Lead,
            field: [0; 4],
            field_len: 0,
            edge_routing_len: None,
        }
    }

    /// Reads header bytes from the start of `message`. Returns `Some(n)` once the header is complete,
    /// where `n` is how many bytes of `message` it used (frames start at `message[n..]`), and `None` if
    /// all of `message` was header and more is needed. Rejects any other header.
    pub fn read(&mut self, message: &[u8]) -> Result<Option<usize>> {
        let mut used = 0;
        loop {
            let rest = message.get(used..).unwrap_or_default();
            match self.stage {
                Stage::Done => return Ok(Some(used)),
                Stage::Routing(remaining) => {
                    let skip = remaining.min(rest.len());
                    used += skip;
                    if skip < remaining {
                        self.stage = Stage::Routing(remaining - skip);
                        return Ok(None);
                    }
                    self.stage = Stage::HeaderAfterRouting;
                }
                Stage::Lead | Stage::RoutingLen | Stage::HeaderAfterRouting => {
                    let want = if self.stage == Stage::RoutingLen { 3 } else { 4 };
                    let take = (want - self.field_len).min(rest.len());
                    self.field[self.field_len..self.field_len + take].copy_from_slice(&rest[..take]);
                    self.field_len += take;
                    used += take;
                    if self.field_len < want {
                        return Ok(None);
                    }
                    self.field_len = 0;
                    self.stage = self.next_stage()?;
                }
            }
        }
    }

    /// What follows a complete fixed-size field.
    fn next_stage(&mut self) -> Result<Stage> {
        let field = self.field;
        match self.stage {
            Stage::Lead if field == CONNECTION_HEADER => Ok(Stage::Done),
            Stage::Lead if field == EDGE_ROUTING_MAGIC => Ok(Stage::RoutingLen),
            Stage::HeaderAfterRouting if field == CONNECTION_HEADER => Ok(Stage::Done),
            Stage::RoutingLen => {
                let len = u32::from_be_bytes([0, field[0], field[1], field[2]]) as usize;
                self.edge_routing_len = Some(len);
                Ok(Stage::Routing(len))
            }
            _ => Err(Error::UnsupportedConnectionHeader { received: field }),
        }
    }

    /// Whether the whole header has been read.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The number of edge-routing bytes skipped, if the client sent the edge-routing prefix.
    pub fn edge_routing_len(&self) -> Option<usize> {
        self.edge_routing_len
    }
}

/// The bytes a client sends before its first frame: the edge-routing prefix if it holds routing info
/// from an earlier connection, then [`CONNECTION_HEADER`].
pub fn client_header(edge_routing: Option<&[u8]>, out: &mut Vec<u8>) -> Result<()> {
    if let Some(routing) = edge_routing {
        let header = super::frame::frame_header(routing.len())
            .map_err(|_| Error::InvalidArgument("edge-routing info longer than 2^24 - 1 bytes"))?;
        out.extend_from_slice(&EDGE_ROUTING_MAGIC);
        out.extend_from_slice(&header);
        out.extend_from_slice(routing);
    }
    out.extend_from_slice(&CONNECTION_HEADER);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_header_then_frames() {
        let mut reader = ClientHeaderReader::new();
        let message = [0x57, 0x41, 0x06, 0x03, 0, 0, 1, 0xaa];
        assert_eq!(reader.read(&message).unwrap(), Some(4));
        assert!(reader.is_done());
        assert_eq!(reader.edge_routing_len(), None);
        // Once done, nothing more is header.
        assert_eq!(reader.read(&message[4..]).unwrap(), Some(0));
    }

    #[test]
    fn header_split_byte_by_byte() {
        let mut reader = ClientHeaderReader::new();
        for byte in &CONNECTION_HEADER[..3] {
            assert_eq!(reader.read(std::slice::from_ref(byte)).unwrap(), None);
        }
        assert_eq!(reader.read(&[3, 0xee]).unwrap(), Some(1));
    }

    #[test]
    fn edge_routing_prefix_is_skipped() {
        let mut message = Vec::new();
        client_header(Some(b"routing-bytes"), &mut message).unwrap();
        assert_eq!(&message[..7], &[b'E', b'D', 0, 1, 0, 0, 13]);
        message.extend_from_slice(&[0, 0, 0]);
        let header_len = 7 + 13 + 4;
        // Whole, and in every two-piece split.
        for cut in 0..=message.len() {
            let mut reader = ClientHeaderReader::new();
            let first = reader.read(&message[..cut]).unwrap();
            let used = match first {
                Some(n) => n,
                None => cut + reader.read(&message[cut..]).unwrap().unwrap(),
            };
            assert_eq!(used, header_len, "cut at {cut}");
            assert_eq!(reader.edge_routing_len(), Some(13));
        }
    }

    #[test]
    fn empty_routing_info_is_accepted() {
        let mut message = Vec::new();
        client_header(Some(&[]), &mut message).unwrap();
        let mut reader = ClientHeaderReader::new();
        assert_eq!(reader.read(&message).unwrap(), Some(11));
        assert_eq!(reader.edge_routing_len(), Some(0));
    }

    #[test]
    fn other_headers_are_rejected_with_the_bytes_seen() {
        for bad in [
            [b'W', b'A', 6, 2],       // older dictionary
            [b'W', b'A', 5, 3],       // other magic
            [0x16, 0x03, 0x01, 0x02], // a TLS ClientHello
            [b'E', b'D', 0, 2],       // unknown edge-routing version
            [0, 0, 0x24, 0x12],       // a frame with no header
        ] {
            let mut reader = ClientHeaderReader::new();
            assert_eq!(
                reader.read(&bad),
                Err(Error::UnsupportedConnectionHeader { received: bad })
            );
        }
    }

    #[test]
    fn edge_routing_must_be_followed_by_the_plain_header() {
        let mut message = vec![b'E', b'D', 0, 1, 0, 0, 1, 0x99];
        message.extend_from_slice(&EDGE_ROUTING_MAGIC);
        let mut reader = ClientHeaderReader::new();
        assert_eq!(
            reader.read(&message),
            Err(Error::UnsupportedConnectionHeader {
                received: EDGE_ROUTING_MAGIC
            })
        );
    }

    #[test]
    fn plain_client_header() {
        let mut out = Vec::new();
        client_header(None, &mut out).unwrap();
        assert_eq!(out, [0x57, 0x41, 0x06, 0x03]);
    }
}
