//! `wasndr mcp --stdio`: one MCP connection over stdin/stdout, acting with one API key. Nothing but
//! protocol is written to stdout; the binary logs to stderr.

use std::sync::Arc;

use rmcp::ServiceExt;
use wasndr_gateway::Gateway;

use crate::credentials::ApiKey;
use crate::error::McpError;
use crate::server::WasndrMcp;

/// Serves MCP on stdin/stdout until the client closes the connection. The key is checked once first so
/// that a wrong key ends the process with a clear message instead of failing every tool call; it is
/// resolved again on every call.
pub async fn serve_stdio(gateway: Arc<Gateway>, key: ApiKey) -> Result<(), McpError> {
    gateway
        .authenticate(Some(key.expose()))
        .await
        .map_err(McpError::Key)?;
    let running = WasndrMcp::with_key(gateway, key)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|error| McpError::Connection(error.to_string()))?;
    let reason = running
        .waiting()
        .await
        .map_err(|error| McpError::Connection(error.to_string()))?;
    tracing::debug!(?reason, "stdio MCP connection ended");
    Ok(())
}
