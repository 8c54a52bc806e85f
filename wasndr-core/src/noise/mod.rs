//! The wire layer under the binary stanzas (transport guide A): the connection header, 3-byte length
//! framing, the `Noise_XX_25519_AESGCM_SHA256` handshake for both ends, the server certificate chain,
//! and the encrypted transport.
//!
//! Everything here is pure code over bytes. A connection's shell moves bytes between its WebSocket and
//! these types:
//!
//! - client: [`Initiator::start`] gives the first message (header + ClientHello); frames read through a
//!   [`FrameDecoder`] go to [`InitiatorAwaitingServerHello::read_server_hello`] and then, once
//!   [`InitiatorReadyToFinish::write_client_finish`] has produced the ClientFinish, to the
//!   [`Transport`];
//! - server: a [`ClientHeaderReader`] consumes the header, then frames go to
//!   [`Responder::read_client_hello`], [`ResponderAwaitingClientFinish::read_client_finish`] and the
//!   [`Transport`].
//!
//! The handshake states consume themselves, so a state cannot be reused after an error or after its
//! message; any error ends the connection.

mod cert;
mod frame;
mod header;
mod initiator;
mod message;
mod responder;
mod symmetric;
mod transport;

pub use cert::{
    CertRole, CertificateAuthority, CertificateParams, TrustRoot, VerifiedCertChain, sign_certificate,
    verify_cert_chain,
};
pub use frame::{FRAME_HEADER_LEN, FrameDecoder, Frames, MAX_FRAME_LEN, encode_frame, frame_header};
pub use header::{CONNECTION_HEADER, ClientHeaderReader, EDGE_ROUTING_MAGIC, client_header};
pub use initiator::{Initiator, InitiatorAwaitingServerHello, InitiatorReadyToFinish};
pub use message::HandshakeMessageKind;
pub use responder::{Responder, ResponderAwaitingClientFinish, ResponderFinished};
pub use transport::{MAX_FRAME_PLAINTEXT_LEN, RecvCipher, SendCipher, Transport};
