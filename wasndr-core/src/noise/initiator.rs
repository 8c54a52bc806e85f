//! The client (initiator) side of the handshake, one type per step: [`Initiator`] writes the ClientHello,
//! [`InitiatorAwaitingServerHello`] reads the ServerHello and verifies the certificate chain,
//! [`InitiatorReadyToFinish`] writes the ClientFinish and yields the [`Transport`].

use rand_core::CryptoRng;
use wasndr_proto::handshake::HandshakeMessage;
use wasndr_proto::handshake::handshake_message::{ClientFinish, ClientHello};

use super::cert::{TrustRoot, VerifiedCertChain, verify_cert_chain};
use super::header::CONNECTION_HEADER;
use super::message::{parse_server_hello, required, write_framed};
use super::symmetric::SymmetricState;
use super::transport::{Side, Transport};
use crate::crypto::{KeyPair, PublicKey};
use crate::error::{Error, Result};

/// A client about to open a connection: its long-lived Noise static key ("noise key") and the root its
/// server's certificate chain must lead to.
#[derive(Debug, Clone)]
pub struct Initiator {
    static_key: KeyPair,
    trust_root: TrustRoot,
}

impl Initiator {
    /// A client with `static_key` that trusts `trust_root` (normally [`TrustRoot::whatsapp_production`]).
    pub fn new(static_key: KeyPair, trust_root: TrustRoot) -> Self {
        Self {
            static_key,
            trust_root,
        }
    }

    /// Draws the ephemeral key and returns the first bytes to send — the connection header and the framed
    /// ClientHello, as one WebSocket message — with the state that awaits the ServerHello.
    pub fn start<R: CryptoRng + ?Sized>(self, rng: &mut R) -> (InitiatorAwaitingServerHello, Vec<u8>) {
        let ephemeral = KeyPair::generate(rng);
        let mut symmetric = SymmetricState::new();
        symmetric.mix_hash(ephemeral.public.as_bytes());

        let hello = HandshakeMessage {
            client_hello: Some(ClientHello {
                ephemeral: Some(ephemeral.public.as_bytes().to_vec()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut message = CONNECTION_HEADER.to_vec();
        // A 34-byte message always fits a frame.
        let _ = write_framed(&hello, &mut message);

        let state = InitiatorAwaitingServerHello {
            symmetric,
            ephemeral,
            static_key: self.static_key,
            trust_root: self.trust_root,
        };
        (state, message)
    }
}

/// The client after sending ClientHello, expecting ServerHello.
#[derive(Debug)]
pub struct InitiatorAwaitingServerHello {
    symmetric: SymmetricState,
    ephemeral: KeyPair,
    static_key: KeyPair,
    trust_root: TrustRoot,
}

impl InitiatorAwaitingServerHello {
    /// Reads the ServerHello frame payload: learns the server's ephemeral and static keys and verifies
    /// the certificate chain for that static key against the trust root at unix time `now`.
    pub fn read_server_hello(mut self, payload: &[u8], now: u64) -> Result<InitiatorReadyToFinish> {
        let hello = parse_server_hello(payload)?;
        let ephemeral = required(hello.ephemeral, "ServerHello has no ephemeral key")?;
        let server_ephemeral =
            PublicKey::from_bytes(ephemeral.as_slice().try_into().map_err(|_| {
                Error::MalformedHandshakeMessage("ServerHello ephemeral key is not 32 bytes")
            })?);
        let static_ciphertext = required(hello.r#static, "ServerHello has no static key")?;
        let payload_ciphertext = required(hello.payload, "ServerHello has no certificate payload")?;

        let symmetric = &mut self.symmetric;
        symmetric.mix_hash(server_ephemeral.as_bytes());
        symmetric.mix_dh(&self.ephemeral.private, &server_ephemeral, "server ephemeral key")?;
        let server_static = symmetric.decrypt_and_hash(&static_ciphertext, "ServerHello static key")?;
        let server_static = PublicKey::from_bytes(server_static.as_slice().try_into().map_err(|_| {
            Error::MalformedHandshakeMessage("ServerHello static key does not decrypt to 32 bytes")
        })?);
        symmetric.mix_dh(&self.ephemeral.private, &server_static, "server static key")?;
        let chain = symmetric.decrypt_and_hash(&payload_ciphertext, "ServerHello certificate payload")?;
        let certificates = verify_cert_chain(&chain, &self.trust_root, &server_static, now)?;

        Ok(InitiatorReadyToFinish {
            symmetric: self.symmetric,
            server_ephemeral,
            server_static,
            certificates,
            static_key: self.static_key,
        })
    }
}

/// The client after a verified ServerHello, ready to send ClientFinish.
#[derive(Debug)]
pub struct InitiatorReadyToFinish {
    symmetric: SymmetricState,
    server_ephemeral: PublicKey,
    server_static: PublicKey,
    certificates: VerifiedCertChain,
    static_key: KeyPair,
}

impl InitiatorReadyToFinish {
    /// The server's static key, as certified by the verified chain.
    pub fn server_static(&self) -> &PublicKey {
        &self.server_static
    }

    /// The verified certificate chain.
    pub fn certificates(&self) -> &VerifiedCertChain {
        &self.certificates
    }

    /// Encrypts this client's static key and `client_payload` (a serialized `ClientPayload`) and returns
    /// the transport with the framed ClientFinish to send. Fails only if the payload cannot fit a frame.
    pub fn write_client_finish(mut self, client_payload: &[u8]) -> Result<(Transport, Vec<u8>)> {
        let symmetric = &mut self.symmetric;
        // Still under the key that decrypted the certificate, so this uses nonce 1.
        let static_ciphertext = symmetric.encrypt_and_hash(self.static_key.public.as_bytes());
        symmetric.mix_dh(
            &self.static_key.private,
            &self.server_ephemeral,
            "server ephemeral key",
        )?;
        let payload_ciphertext = symmetric.encrypt_and_hash(client_payload);

        let finish = HandshakeMessage {
            client_finish: Some(ClientFinish {
                r#static: Some(static_ciphertext),
                payload: Some(payload_ciphertext),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut message = Vec::new();
        write_framed(&finish, &mut message)?;
        let (client_to_server, server_to_client) = self.symmetric.split();
        Ok((
            Transport::from_split(Side::Client, client_to_server, server_to_client),
            message,
        ))
    }
}
