//! The error type of this crate (setting up a transport; tool failures are tool results, never this).

use wasndr_gateway::GatewayError;

/// Why an MCP transport could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum McpError {
    /// The configured API key was refused (missing, unknown, revoked) or could not be checked.
    #[error("the API key was refused: {0}")]
    Key(#[source] GatewayError),
    /// The MCP connection failed (handshake or transport).
    #[error("MCP connection failed: {0}")]
    Connection(String),
}
