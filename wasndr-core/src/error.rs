//! The one error type of `wasndr-core`.
//!
//! Variants separate what a peer did wrong (malformed or forged input: the connection or message is
//! refused) from what the caller did wrong (bad arguments: nothing was sent). Each protocol area adds its
//! variants here, so callers match on one enum.

use crate::binary::DecodeProblem;
use crate::crypto::PublicKey;
use crate::jid::PhoneNumberProblem;
use crate::media::MediaProblem;
use crate::noise::{CertRole, HandshakeMessageKind};
use crate::signal::ProtocolAddress;
use crate::stanza::StanzaProblem;
use crate::store::StoreError;

/// Every failure `wasndr-core` reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A public key had the wrong length or type byte.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// Authenticated decryption failed: the ciphertext, tag, key or nonce is wrong.
    #[error("decryption failed: {0}")]
    DecryptFailed(&'static str),
    /// A block-cipher payload had a length or padding that cannot be valid.
    #[error("invalid padding: {0}")]
    InvalidPadding(&'static str),
    /// A caller asked for an output size a primitive cannot produce.
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    /// A decrypted message plaintext did not end in valid random padding (n bytes, each equal to n,
    /// with n at least 1): the sender is broken or the plaintext is not a padded `Message`.
    #[error("invalid message padding: {0}")]
    InvalidMessagePadding(&'static str),

    // Connection header and framing (transport guide A.2, A.3).
    /// The client's first bytes are not the connection header `57 41 06 03`, optionally preceded by an
    /// `ED 00 01` edge-routing prefix.
    #[error(
        "unsupported connection header {received:02x?} (expected 57 41 06 03, optionally after an ED 00 01 edge-routing prefix)"
    )]
    UnsupportedConnectionHeader {
        /// The four bytes that came where a header was expected.
        received: [u8; 4],
    },
    /// A frame payload longer than its 3-byte length prefix can express was handed in to be sent.
    #[error("frame payload of {len} bytes exceeds the maximum of 16777215 bytes")]
    FrameTooLarge {
        /// The payload length asked for.
        len: usize,
    },

    // Noise handshake (transport guide A.4).
    /// The peer sent a handshake message other than the one this handshake state expects.
    #[error("unexpected Noise handshake message: expected {expected}, received {received}")]
    UnexpectedHandshakeMessage {
        /// The message this state waits for.
        expected: HandshakeMessageKind,
        /// What the peer sent instead.
        received: HandshakeMessageKind,
    },
    /// A handshake message is not a valid protobuf, or lacks a field, or a field has the wrong length.
    #[error("malformed Noise handshake message: {0}")]
    MalformedHandshakeMessage(&'static str),
    /// A handshake ciphertext failed authentication: it was tampered with, or the peers disagree on
    /// the transcript or keys.
    #[error("Noise handshake decryption failed: {0}")]
    HandshakeDecryptFailed(&'static str),
    /// An X25519 agreement produced the all-zero secret: the peer sent a low-order point.
    #[error("X25519 agreement with the {0} gave the all-zero secret (low-order point)")]
    LowOrderPublicKey(&'static str),

    // Server certificate chain (transport guide A.5), in the order the checks run.
    /// The decrypted ServerHello payload is not a `CertChain` protobuf.
    #[error("certificate chain is not a valid CertChain protobuf")]
    CertChainMalformed,
    /// A certificate, or its details or signature, is absent.
    #[error("{role} certificate is missing its {part}")]
    CertMissingPart {
        /// Which certificate.
        role: CertRole,
        /// `"certificate"`, `"details"` or `"signature"`.
        part: &'static str,
    },
    /// A certificate signature is not 64 bytes.
    #[error("{role} certificate signature is {len} bytes (expected 64)")]
    CertSignatureLength {
        /// Which certificate.
        role: CertRole,
        /// The length received.
        len: usize,
    },
    /// A certificate signature does not verify under its issuer's key.
    #[error("{role} certificate signature does not verify under its issuer's key")]
    CertSignatureInvalid {
        /// Which certificate.
        role: CertRole,
    },
    /// Signed certificate details are not a valid `Details` protobuf.
    #[error("{role} certificate details are not a valid Details protobuf")]
    CertDetailsMalformed {
        /// Which certificate.
        role: CertRole,
    },
    /// A certificate names an issuer serial other than its issuer's serial.
    #[error("{role} certificate issuer serial is {found} (expected {expected})")]
    CertIssuerSerial {
        /// Which certificate.
        role: CertRole,
        /// The issuer's serial.
        expected: u32,
        /// The serial the certificate names.
        found: u32,
    },
    /// The intermediate certificate's key is not a 32-byte Curve25519 key.
    #[error("intermediate certificate key is {len} bytes (expected 32)")]
    CertKeyLength {
        /// The length received.
        len: usize,
    },
    /// A certificate's validity starts after `now`.
    #[error("{role} certificate is not valid before {not_before} (now is {now})")]
    CertNotYetValid {
        /// Which certificate.
        role: CertRole,
        /// Start of validity, unix seconds.
        not_before: u64,
        /// The time checked, unix seconds.
        now: u64,
    },
    /// A certificate's validity ended before `now`.
    #[error("{role} certificate expired at {not_after} (now is {now})")]
    CertExpired {
        /// Which certificate.
        role: CertRole,
        /// End of validity, unix seconds.
        not_after: u64,
        /// The time checked, unix seconds.
        now: u64,
    },
    /// The leaf certificate certifies a key other than the static key the server used in the handshake.
    #[error("leaf certificate key does not match the server's static key")]
    CertLeafKeyMismatch,

    // Noise transport (transport guide A.6).
    /// A transport frame failed authentication under the expected counter: tampered, replayed, skipped
    /// or reordered. The connection must be closed.
    #[error("transport frame {counter} failed to decrypt")]
    TransportDecryptFailed {
        /// The receive counter the frame was checked against.
        counter: u32,
    },
    /// 2^32 frames have used this direction's counter; another would reuse a nonce.
    #[error("transport counter exhausted: 2^32 frames already used this direction")]
    TransportCounterExhausted,
    // --- Signal (peer input) ---
    /// A Signal message, bundle or distribution message is malformed: truncated, not protobuf, a
    /// required field missing or a key of the wrong shape.
    #[error("invalid Signal message: {0}")]
    InvalidSignalMessage(&'static str),
    /// A Signal message's version byte is not v3 (`0x33`).
    #[error("unsupported Signal message version byte {0:#04x}")]
    InvalidVersion(u8),
    /// The 8-byte MAC of a Signal message did not verify under any session state: forged, corrupted,
    /// or sent on a session we no longer have (the peer re-registered; answer with a retry receipt).
    #[error("Signal message MAC mismatch")]
    BadMac,
    /// A signature did not verify: a signed prekey in a bundle, or a group message.
    #[error("invalid signature: {0}")]
    InvalidSignature(&'static str),
    /// The message's key was already used: a duplicate or replay (libsignal's "old counter"). Treat it
    /// as a duplicate delivery, not as a failure to decrypt.
    #[error("duplicate message: counter {counter} was already decrypted")]
    DuplicateMessage {
        /// The message counter (1:1) or iteration (group) that was seen before.
        counter: u32,
    },
    /// The message is further ahead of its chain than libsignal allows (2000 message keys).
    #[error("message counter {counter} is too far ahead of the chain at {chain_index}")]
    TooFarInFuture {
        /// The message's counter or iteration.
        counter: u32,
        /// The chain's next index.
        chain_index: u32,
    },
    /// A prekey message names a one-time prekey we do not have (already used, or never ours).
    #[error("unknown one-time prekey id {0}")]
    UnknownPreKey(u32),
    /// A prekey message names a signed prekey we do not have.
    #[error("unknown signed prekey id {0}")]
    UnknownSignedPreKey(u32),
    /// There is no session to encrypt or decrypt with.
    #[error("no Signal session: {0}")]
    NoSession(&'static str),
    /// A group message uses a sender key we were never given (send a retry receipt asking for keys).
    #[error("no sender key with id {key_id}")]
    NoSenderKey {
        /// The key id named by the group message.
        key_id: u32,
    },
    /// The peer's identity key is not the one we trust for this address: either it changed (the peer
    /// reinstalled) or someone is impersonating them. Nothing was changed; to accept the new key, save
    /// it as the address's identity and retry.
    #[error("untrusted identity for {address}")]
    UntrustedIdentity {
        /// Whose identity changed.
        address: ProtocolAddress,
        /// The identity key the peer now presents.
        identity: PublicKey,
    },

    // --- storage ---
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Peer bytes are not a valid binary node (or frame payload). `offset` counts bytes from the start of
    /// the buffer handed to the decoder: the frame payload for frame-level problems, the node body (the
    /// inflated body for compressed frames) for everything else.
    #[error("malformed binary node at byte {offset}: {problem}")]
    MalformedNode {
        /// Where the decoder stood when it gave up.
        offset: usize,
        /// What was wrong there.
        problem: DecodeProblem,
    },
    /// A caller-built node cannot be written in the binary format (nothing was encoded).
    #[error("cannot encode node: {0}")]
    UnencodableNode(&'static str),
    /// Text that should be a JID is not one.
    #[error("invalid JID: {0}")]
    InvalidJid(&'static str),
    /// A `ClientPayload` is not one, or asks for neither registration nor login, or a registration field
    /// has the wrong width.
    #[error("malformed ClientPayload: {0}")]
    MalformedClientPayload(&'static str),
    // --- client shell ---
    /// The client has no connection to send on (not connected, reconnecting, or stopped), or the
    /// connection ended before the answer came.
    #[error("not connected")]
    NotConnected,
    /// An IQ got no answer within the configured timeout.
    #[error("request {id} timed out")]
    RequestTimedOut {
        /// The stanza id.
        id: String,
    },
    /// The server answered an IQ with `type=error`.
    #[error("server answered with error {code}: {text}")]
    IqError {
        /// The `<error code>`.
        code: u16,
        /// The `<error text>`.
        text: String,
    },
    /// The server refused a message we sent (`<ack class=message error=CODE>`: 463 missing privacy
    /// token, 403 not a group member, …).
    #[error("the server refused message {id} with error {code}")]
    MessageRefused {
        /// The message id.
        id: String,
        /// The ack's `error`.
        code: u32,
    },
    /// A message could not be encrypted for any device of the chat (no device found, or every device
    /// failed): nothing was sent.
    #[error("no device of {0} could be reached")]
    NoDevices(String),
    /// Phone-number pairing was asked for when it cannot run: the device is already paired, or the
    /// registration connection is not up.
    #[error("phone-number pairing is not possible now: {0}")]
    PairingUnavailable(&'static str),
    /// The server sent a stanza other than the one this step waits for.
    #[error("unexpected stanza: expected {expected}, received {received}")]
    UnexpectedStanza {
        /// What was expected.
        expected: &'static str,
        /// What came (rendered, bytes cut short).
        received: String,
    },
    // --- pairing (transport guide D) ---
    /// A pairing stanza or ADV protobuf is malformed or lacks a required part.
    #[error("malformed pairing data: {0}")]
    MalformedPairing(&'static str),
    /// The `pair-success` device identity's HMAC does not match the ADV secret: it was not made for this
    /// companion's QR code (or link code), or it was tampered with.
    #[error("device identity HMAC does not match the ADV secret")]
    AdvHmacMismatch,
    /// The primary's account signature over the device identity does not verify.
    #[error("account signature over the device identity does not verify")]
    AdvAccountSignatureInvalid,
    /// The companion's device signature in `pair-device-sign` does not verify.
    #[error("device signature in pair-device-sign does not verify")]
    AdvDeviceSignatureInvalid,
    /// A pairing QR string is malformed.
    #[error("invalid pairing QR code: {0}")]
    InvalidQrCode(&'static str),
    /// Link-code pairing failed: a malformed code or wrapped key, or a key bundle that does not open
    /// (typically a mistyped code).
    #[error("link-code pairing failed: {0}")]
    InvalidLinkCode(&'static str),
    /// Text that should be an international phone number is not one.
    #[error("invalid phone number: {0}")]
    InvalidPhoneNumber(PhoneNumberProblem),

    // --- stanzas (messaging guide D–H) ---
    /// A peer's stanza lacks something its kind requires, or holds a value that does not parse.
    #[error("malformed <{stanza}> stanza: {problem}")]
    MalformedStanza {
        /// The stanza being parsed (its top-level tag).
        stanza: &'static str,
        /// What was wrong.
        problem: StanzaProblem,
    },

    // --- messages (messaging guide C) ---
    /// A decrypted message plaintext, or a part of it (a poll vote, a sender key carrier), is not the
    /// protobuf it should be, or lacks a field it needs.
    #[error("malformed message: {0}")]
    MalformedMessage(&'static str),

    // --- media (messaging guide F) ---
    /// A downloaded media body failed a check: it is truncated, corrupted, forged or not the file the
    /// message describes.
    #[error("invalid media: {0}")]
    InvalidMedia(MediaProblem),
    /// A media upload or download failed on the way: no host answered, the host refused (`status`), or
    /// its answer was not what an upload returns.
    #[error("media transfer failed{}: {message}", http_status(.status))]
    MediaHttp {
        /// The HTTP status, when the host answered.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
}

/// ` with HTTP <status>` when there is one, for [`Error::MediaHttp`]'s message.
fn http_status(status: &Option<u16>) -> String {
    status
        .map(|status| format!(" with HTTP {status}"))
        .unwrap_or_default()
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
