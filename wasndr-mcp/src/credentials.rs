//! Who is calling: an API key from the environment (stdio) or a caller the HTTP layer resolved from this
//! request's `Authorization` header.

use std::fmt;

use wasndr_gateway::Caller;

/// An API key secret (`wsndr_...`). Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a presented key (surrounding whitespace removed).
    pub fn new(secret: impl Into<String>) -> ApiKey {
        ApiKey(secret.into().trim().to_owned())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The caller of one HTTP request, put into that request's extensions by the HTTP layer and read by the
/// tool it reaches. Private to this crate, so nothing else can forge one.
#[derive(Clone)]
pub(crate) struct Authenticated(pub(crate) Caller);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let key = ApiKey::new(" wsndr_secretsecret ");
        assert_eq!(key.expose(), "wsndr_secretsecret");
        assert!(!format!("{key:?}").contains("secret"));
    }
}
