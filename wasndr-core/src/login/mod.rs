//! Registration and login (transport guide A.7, E.1, E.5), as pure code: the `ClientPayload` a companion
//! sends in its Noise ClientFinish, the version and platform it claims, reading such a payload as a server
//! does, and the server's verdicts (`success`, `failure`, `stream:error`).
//!
//! ```
//! use wasndr_core::jid::Jid;
//! use wasndr_core::login::{ClientRequest, PayloadConfig, parse_client_payload};
//! use wasndr_proto::Message as _;
//!
//! let config = PayloadConfig::default();
//! let payload = config.login_payload(&Jid::pn("15551234567").with_device(12))?;
//! let parsed = parse_client_payload(&payload.encode_to_vec())?;
//! let ClientRequest::Login(login) = parsed.request else { unreachable!() };
//! assert_eq!(login.device_jid().to_string(), "15551234567:12@s.whatsapp.net");
//! # Ok::<(), wasndr_core::Error>(())
//! ```

mod outcome;
mod parse;
mod payload;
mod platform;
mod version;

pub use outcome::{
    LoginFailure, LoginSuccess, StreamError, parse_failure, parse_stream_error, parse_success,
};
pub use parse::{ClientRequest, LoginRequest, ParsedClientPayload, Registration, parse_client_payload};
pub use payload::{KEY_TYPE_DJB, PayloadConfig, RegistrationKeys};
pub use platform::{Browser, CompanionPlatform};
pub use version::WaVersion;
