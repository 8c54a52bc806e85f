//! The server's answers that decide a connection's fate (transport guide E.1, E.5): `<success>` or
//! `<failure>` after a login, and `<stream:error>` at any time. Parsed into types the connection driver
//! matches on; nothing here decides what to do.

use crate::binary::Node;
use crate::jid::Jid;

/// `<success t=… lid=…/>`: the login was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSuccess {
    /// The server's clock (unix seconds), for the offset between our clock and the server's.
    pub timestamp: Option<u64>,
    /// The account's LID, device form (`LID:N@lid`) or bare; both are seen upstream.
    pub lid: Option<Jid>,
}

/// Reads a `<success>` node.
pub fn parse_success(node: &Node) -> LoginSuccess {
    LoginSuccess {
        timestamp: node.attr_str("t").and_then(|t| t.parse().ok()),
        lid: node.attr_jid("lid").map(|jid| jid.to_owned()),
    }
}

/// `<failure reason=N …/>`: the login was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginFailure {
    /// The reason code (E.1's table); 0 if absent or not a number.
    pub reason: u16,
    /// `message` or `logout_message_header`, when the server explains itself.
    pub message: Option<String>,
    /// For a temporary ban (402): seconds until it ends.
    pub expire: Option<u64>,
}

impl LoginFailure {
    /// 401 (logged out elsewhere), 403 (primary gone) and 406 (banned): the session is dead and must be
    /// deleted; both reference libraries stop there.
    pub fn is_logged_out(&self) -> bool {
        matches!(self.reason, 401 | 403 | 406)
    }

    /// 500 and 503: a server problem worth retrying later.
    pub fn is_retryable(&self) -> bool {
        matches!(self.reason, 500 | 503)
    }
}

/// Reads a `<failure>` node.
pub fn parse_failure(node: &Node) -> LoginFailure {
    LoginFailure {
        reason: node.attr_str("reason").and_then(|r| r.parse().ok()).unwrap_or(0),
        message: node
            .attr_str("message")
            .or_else(|| node.attr_str("logout_message_header"))
            .map(str::to_owned),
        expire: node.attr_str("expire").and_then(|e| e.parse().ok()),
    }
}

/// What a `<stream:error>` means (transport guide E.5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamError {
    /// Code 515: reconnect at once (after pairing, or when the server restarts the stream).
    RestartRequired,
    /// Code 401, or `<conflict type=device_removed/>`: this companion was unlinked.
    LoggedOut {
        /// The code, 401 when only the conflict child said so.
        code: u16,
    },
    /// `<conflict type=replaced/>`: a newer connection of the same device took over.
    Replaced,
    /// A 5xx code other than 515: the server is in trouble; reconnect with backoff.
    ServerError {
        /// The code.
        code: u16,
    },
    /// Anything else; reconnect with backoff.
    Other {
        /// The code, if there was a numeric one.
        code: Option<u16>,
        /// The first child's tag, if any.
        child: Option<String>,
    },
}

/// Reads a `<stream:error>` node.
pub fn parse_stream_error(node: &Node) -> StreamError {
    let code = node.attr_str("code").and_then(|c| c.parse::<u16>().ok());
    let conflict = node.child("conflict").and_then(|c| c.attr_str("type"));
    match (code, conflict) {
        (_, Some("replaced")) => StreamError::Replaced,
        (_, Some("device_removed")) => StreamError::LoggedOut {
            code: code.unwrap_or(401),
        },
        (Some(401), _) => StreamError::LoggedOut { code: 401 },
        (Some(515), _) => StreamError::RestartRequired,
        (Some(code @ 500..=599), _) => StreamError::ServerError { code },
        // Baileys reads a bare <conflict/> without type as "replaced" only through code 440.
        (Some(440), _) => StreamError::Replaced,
        (code, _) => StreamError::Other {
            code,
            child: node.child_nodes().first().map(|c| c.tag.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_errors_are_classified_as_the_guide_says() {
        let error = |code: Option<&'static str>, child: Option<Node>| {
            let node = Node::new("stream:error").attr_opt("code", code);
            match child {
                Some(child) => parse_stream_error(&node.children([child])),
                None => parse_stream_error(&node),
            }
        };
        assert_eq!(error(Some("515"), None), StreamError::RestartRequired);
        assert_eq!(error(Some("401"), None), StreamError::LoggedOut { code: 401 });
        assert_eq!(
            error(None, Some(Node::new("conflict").attr("type", "device_removed"))),
            StreamError::LoggedOut { code: 401 }
        );
        assert_eq!(
            error(None, Some(Node::new("conflict").attr("type", "replaced"))),
            StreamError::Replaced
        );
        assert_eq!(error(Some("440"), None), StreamError::Replaced);
        assert_eq!(error(Some("503"), None), StreamError::ServerError { code: 503 });
        assert_eq!(
            error(Some("999"), Some(Node::new("ack"))),
            StreamError::Other {
                code: Some(999),
                child: Some("ack".into())
            }
        );
    }

    #[test]
    fn success_and_failure_attributes() {
        let success = parse_success(
            &Node::new("success")
                .attr("t", "1700000000")
                .attr("lid", Jid::lid("98765").with_device(3)),
        );
        assert_eq!(success.timestamp, Some(1_700_000_000));
        assert_eq!(success.lid.map(|j| j.to_string()).as_deref(), Some("98765:3@lid"));

        let failure = parse_failure(&Node::new("failure").attr("reason", "401"));
        assert!(failure.is_logged_out());
        assert!(!failure.is_retryable());
        let failure = parse_failure(&Node::new("failure").attr("reason", "503"));
        assert!(failure.is_retryable());
        let failure = parse_failure(&Node::new("failure").attr("reason", "402").attr("expire", "60"));
        assert_eq!(failure.expire, Some(60));
        assert!(!failure.is_logged_out());
    }
}
