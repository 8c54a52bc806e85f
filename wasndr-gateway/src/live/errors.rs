//! wasndr-core and wasndr-store errors in the engine's terms (see the engine contract in
//! `crate::engine`).

use wasndr_core::store::StoreError;

use crate::error::GatewayError;

/// A client error. Errors met before anything reached WhatsApp use variants the gateway refunds a send
/// for; a refusal by the server is `WhatsApp` with its code; a timeout after writing is `Internal`
/// (the message may have gone out, so its quota unit is kept).
pub(crate) fn core_error(error: wasndr_core::Error) -> GatewayError {
    match error {
        wasndr_core::Error::NotConnected => GatewayError::SessionNotConnected,
        wasndr_core::Error::IqError { code, text } => GatewayError::WhatsApp {
            code: code.to_string(),
            message: if text.is_empty() {
                "refused without a reason".to_owned()
            } else {
                text
            },
        },
        wasndr_core::Error::Store(error) => store_error(error),
        other => GatewayError::Internal(other.to_string()),
    }
}

/// A device store error.
pub(crate) fn store_error(error: StoreError) -> GatewayError {
    GatewayError::Storage(format!("device store: {error}"))
}
