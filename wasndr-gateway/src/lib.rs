//! The multi-tenant wasndr service, without HTTP types.
//!
//! Accounts, locations, sessions (one `Client` per session under a supervisor), API keys with scopes,
//! plans, monthly quotas, per-minute rate limits, usage, history and attachments, and webhooks. The REST
//! (`wasndr-http`) and MCP (`wasndr-mcp`) shells call into this crate and nothing else.
