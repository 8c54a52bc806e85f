//! The wasndr MCP server: the product's twenty tools over Streamable HTTP (`/mcp`, [`router`]) and stdio
//! ([`serve_stdio`]), built with rmcp over `wasndr-gateway`.
//!
//! Every tool is one call into [`wasndr_gateway::Gateway`], the same method REST calls, so
//! authentication, scopes, plan gates, quota and rate limits are decided in one place. Over HTTP the
//! bearer key of each request is resolved for that request only; over stdio the key comes from the
//! environment and is resolved on every call. Refusals an agent can act on (not connected, quota used
//! up, bad phone, missing scope, plan gate, not found) are tool results with `isError: true`; JSON-RPC
//! errors are left for protocol misuse (unknown tool, arguments of the wrong shape).

mod credentials;
mod error;
mod http;
mod outcome;
mod params;
mod server;
mod stdio;

pub use credentials::ApiKey;
pub use error::McpError;
pub use http::{AllowedHosts, McpHttpOptions, router};
pub use server::WasndrMcp;
pub use stdio::serve_stdio;
