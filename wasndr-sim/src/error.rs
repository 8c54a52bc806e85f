//! The one error type of `wasndr-sim`.

/// What the simulator's Rust API and admin API report. Caller mistakes (unknown phone, bad QR) are apart
/// from what went wrong on the simulated network (a companion that never answered).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listener could not be bound or served.
    #[error("simulator I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A phone number that is not a plausible international number.
    #[error("invalid phone number {0:?}")]
    InvalidPhone(String),
    /// A phone with this number already exists.
    #[error("phone {0} already exists")]
    PhoneExists(String),
    /// No phone with this number.
    #[error("no phone {0}")]
    UnknownPhone(String),
    /// No group with this JID.
    #[error("no group {0}")]
    UnknownGroup(String),
    /// A JID that is neither a user nor a group the simulator knows.
    #[error("invalid recipient {0:?}")]
    InvalidRecipient(String),
    /// A request field that is missing or wrong (the admin API's JSON field name, or the Rust API's).
    #[error("invalid {field}: {problem}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The QR string does not parse.
    #[error("invalid QR code: {0}")]
    InvalidQr(wasndr_core::Error),
    /// The QR names a ref no waiting companion holds (never issued, already used, or expired).
    #[error("no companion is waiting with this QR ref (expired or already used)")]
    UnknownQrRef,
    /// The QR's keys are not those the companion registered with.
    #[error("QR keys do not match the companion's registration")]
    QrKeyMismatch,
    /// The companion did not complete pairing (it closed, or its pair-device-sign was refused).
    #[error("pairing failed: {0}")]
    PairingFailed(String),
    /// The companion did not answer in time.
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    /// A link code that no companion is waiting with.
    #[error("no companion is waiting for a link code for this phone")]
    NoLinkCodeRequest,
    /// A Signal or protocol operation of a virtual phone failed.
    #[error("protocol error: {0}")]
    Protocol(#[from] wasndr_core::Error),
    /// The HTTPS media host's TLS configuration was refused.
    #[error("media host TLS: {0}")]
    Tls(String),
    /// The simulator has shut down.
    #[error("simulator stopped")]
    Stopped,
}
