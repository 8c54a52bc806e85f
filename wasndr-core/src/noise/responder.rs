//! The server (responder) side of the handshake, as the simulator runs it: [`Responder`] reads the
//! ClientHello and writes the ServerHello, [`ResponderAwaitingClientFinish`] reads the ClientFinish and
//! yields [`ResponderFinished`].
//!
//! The connection header in front of the ClientHello is read by
//! [`ClientHeaderReader`](super::ClientHeaderReader); since it accepts only `57 41 06 03`, the prologue
//! here is always those bytes.

use rand_core::CryptoRng;
use wasndr_proto::handshake::HandshakeMessage;
use wasndr_proto::handshake::handshake_message::ServerHello;

use super::message::{parse_client_finish, parse_client_hello, required, write_framed};
use super::symmetric::SymmetricState;
use super::transport::{Side, Transport};
use crate::crypto::{KeyPair, PublicKey};
use crate::error::{Error, Result};

/// A server waiting for a client's ClientHello: its static key and the serialized `CertChain` that
/// certifies it.
#[derive(Debug, Clone)]
pub struct Responder {
    static_key: KeyPair,
    cert_chain: Vec<u8>,
}

impl Responder {
    /// A server presenting `static_key` and `cert_chain` (a serialized `CertChain` whose leaf certifies
    /// `static_key.public`, e.g. from [`CertificateAuthority::issue_chain`](super::CertificateAuthority::issue_chain)).
    pub fn new(static_key: KeyPair, cert_chain: Vec<u8>) -> Self {
        Self {
            static_key,
            cert_chain,
        }
    }

    /// Reads the ClientHello frame payload, draws the server's ephemeral key, and returns the framed
    /// ServerHello to send with the state that awaits the ClientFinish.
    pub fn read_client_hello<R: CryptoRng + ?Sized>(
        self,
        payload: &[u8],
        rng: &mut R,
    ) -> Result<(ResponderAwaitingClientFinish, Vec<u8>)> {
        let hello = parse_client_hello(payload)?;
        let client_ephemeral = required(hello.ephemeral, "ClientHello has no ephemeral key")?;
        let client_ephemeral =
            PublicKey::from_bytes(client_ephemeral.as_slice().try_into().map_err(|_| {
                Error::MalformedHandshakeMessage("ClientHello ephemeral key is not 32 bytes")
            })?);

        let ephemeral = KeyPair::generate(rng);
        let mut symmetric = SymmetricState::new();
        symmetric.mix_hash(client_ephemeral.as_bytes());
        symmetric.mix_hash(ephemeral.public.as_bytes());
        symmetric.mix_dh(&ephemeral.private, &client_ephemeral, "client ephemeral key")?;
        let static_ciphertext = symmetric.encrypt_and_hash(self.static_key.public.as_bytes());
        symmetric.mix_dh(
            &self.static_key.private,
            &client_ephemeral,
            "client ephemeral key",
        )?;
        let payload_ciphertext = symmetric.encrypt_and_hash(&self.cert_chain);

        let hello = HandshakeMessage {
            server_hello: Some(ServerHello {
                ephemeral: Some(ephemeral.public.as_bytes().to_vec()),
                r#static: Some(static_ciphertext),
                payload: Some(payload_ciphertext),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut message = Vec::new();
        write_framed(&hello, &mut message)?;
        Ok((ResponderAwaitingClientFinish { symmetric, ephemeral }, message))
    }
}

/// The server after sending ServerHello, expecting ClientFinish.
#[derive(Debug)]
pub struct ResponderAwaitingClientFinish {
    symmetric: SymmetricState,
    ephemeral: KeyPair,
}

impl ResponderAwaitingClientFinish {
    /// Reads the ClientFinish frame payload: decrypts the client's static key (nonce 1 under the key of
    /// the certificate payload) and its payload, and completes the handshake.
    pub fn read_client_finish(mut self, payload: &[u8]) -> Result<ResponderFinished> {
        let finish = parse_client_finish(payload)?;
        let static_ciphertext = required(finish.r#static, "ClientFinish has no static key")?;
        let payload_ciphertext = required(finish.payload, "ClientFinish has no payload")?;

        let symmetric = &mut self.symmetric;
        let client_static = symmetric.decrypt_and_hash(&static_ciphertext, "ClientFinish static key")?;
        let client_static = PublicKey::from_bytes(client_static.as_slice().try_into().map_err(|_| {
            Error::MalformedHandshakeMessage("ClientFinish static key does not decrypt to 32 bytes")
        })?);
        symmetric.mix_dh(&self.ephemeral.private, &client_static, "client static key")?;
        let client_payload = symmetric.decrypt_and_hash(&payload_ciphertext, "ClientFinish payload")?;

        let (client_to_server, server_to_client) = self.symmetric.split();
        Ok(ResponderFinished {
            client_static,
            client_payload,
            transport: Transport::from_split(Side::Server, client_to_server, server_to_client),
        })
    }
}

/// A completed server-side handshake.
#[derive(Debug)]
pub struct ResponderFinished {
    /// The client's static Noise key, authenticated by the handshake (not yet by anything else: pairing
    /// or login decides whether this key belongs to a known device).
    pub client_static: PublicKey,
    /// The decrypted ClientFinish payload: a serialized `ClientPayload`.
    pub client_payload: Vec<u8>,
    /// The server's transport.
    pub transport: Transport,
}
