//! The `HandshakeMessage` envelope: which of its three messages a frame carries, and the bytes of each.

use std::fmt;

use wasndr_proto::Message;
use wasndr_proto::handshake::HandshakeMessage;
use wasndr_proto::handshake::handshake_message::{ClientFinish, ClientHello, ServerHello};

use super::frame::encode_frame;
use crate::error::{Error, Result};

/// Which message a `HandshakeMessage` frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeMessageKind {
    /// `clientHello` (field 2): the client's ephemeral key.
    ClientHello,
    /// `serverHello` (field 3): the server's ephemeral key, encrypted static key and certificate chain.
    ServerHello,
    /// `clientFinish` (field 4): the client's encrypted static key and ClientPayload.
    ClientFinish,
    /// A `HandshakeMessage` with none of the three set.
    Empty,
}

impl fmt::Display for HandshakeMessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClientHello => "ClientHello",
            Self::ServerHello => "ServerHello",
            Self::ClientFinish => "ClientFinish",
            Self::Empty => "an empty HandshakeMessage",
        })
    }
}

/// Parses a frame payload as a `HandshakeMessage`.
fn decode(payload: &[u8]) -> Result<HandshakeMessage> {
    HandshakeMessage::decode(payload)
        .map_err(|_| Error::MalformedHandshakeMessage("frame is not a HandshakeMessage protobuf"))
}

/// The first message set in `message`, for naming what came instead of the expected one.
fn kind_of(message: &HandshakeMessage) -> HandshakeMessageKind {
    if message.client_hello.is_some() {
        HandshakeMessageKind::ClientHello
    } else if message.server_hello.is_some() {
        HandshakeMessageKind::ServerHello
    } else if message.client_finish.is_some() {
        HandshakeMessageKind::ClientFinish
    } else {
        HandshakeMessageKind::Empty
    }
}

/// The error for a message other than `expected`.
fn unexpected(expected: HandshakeMessageKind, message: &HandshakeMessage) -> Error {
    Error::UnexpectedHandshakeMessage {
        expected,
        received: kind_of(message),
    }
}

/// The ClientHello in `payload`. Like both upstream clients, other messages set alongside are ignored.
pub(crate) fn parse_client_hello(payload: &[u8]) -> Result<ClientHello> {
    let mut message = decode(payload)?;
    message
        .client_hello
        .take()
        .ok_or_else(|| unexpected(HandshakeMessageKind::ClientHello, &message))
}

/// The ServerHello in `payload`.
pub(crate) fn parse_server_hello(payload: &[u8]) -> Result<ServerHello> {
    let mut message = decode(payload)?;
    message
        .server_hello
        .take()
        .ok_or_else(|| unexpected(HandshakeMessageKind::ServerHello, &message))
}

/// The ClientFinish in `payload`.
pub(crate) fn parse_client_finish(payload: &[u8]) -> Result<ClientFinish> {
    let mut message = decode(payload)?;
    message
        .client_finish
        .take()
        .ok_or_else(|| unexpected(HandshakeMessageKind::ClientFinish, &message))
}

/// `message` as one frame appended to `out`.
pub(crate) fn write_framed(message: &HandshakeMessage, out: &mut Vec<u8>) -> Result<()> {
    encode_frame(&message.encode_to_vec(), out)
}

/// A required bytes field, or an error naming it.
pub(crate) fn required(field: Option<Vec<u8>>, what: &'static str) -> Result<Vec<u8>> {
    field.ok_or(Error::MalformedHandshakeMessage(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_message_names_expected_and_received() {
        let finish = HandshakeMessage {
            client_finish: Some(ClientFinish::default()),
            ..Default::default()
        }
        .encode_to_vec();
        assert_eq!(
            parse_client_hello(&finish),
            Err(Error::UnexpectedHandshakeMessage {
                expected: HandshakeMessageKind::ClientHello,
                received: HandshakeMessageKind::ClientFinish,
            })
        );
        assert_eq!(
            parse_server_hello(&[]),
            Err(Error::UnexpectedHandshakeMessage {
                expected: HandshakeMessageKind::ServerHello,
                received: HandshakeMessageKind::Empty,
            })
        );
        let message = Error::UnexpectedHandshakeMessage {
            expected: HandshakeMessageKind::ServerHello,
            received: HandshakeMessageKind::ClientHello,
        }
        .to_string();
        assert!(
            message.contains("expected ServerHello, received ClientHello"),
            "{message}"
        );
    }

    #[test]
    fn garbage_is_malformed() {
        // Field 2 announced as length-delimited with a length past the end.
        assert!(matches!(
            parse_client_finish(&[0x12, 0x40, 0x00]),
            Err(Error::MalformedHandshakeMessage(_))
        ));
    }
}
