//! `wasndr mcp --stdio`: MCP for an agent that runs this binary itself. Same configuration and database
//! as `wasndr serve`; stdout carries only the protocol (logs go to stderr).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wasndr_gateway::Gateway;
use wasndr_mcp::ApiKey;

use crate::cli::{GlobalArgs, McpArgs};
use crate::config::{FileConfig, SqliteSynchronous};
use crate::database::{self, DEFAULT_SQLITE_PATH};
use crate::engine::{self, Network};

/// Where the agent's key comes from.
const KEY_VARIABLE: &str = "WASNDR_API_KEY";

/// Serves one MCP connection on stdin/stdout until the client closes it.
pub(crate) async fn run(global: &GlobalArgs, args: McpArgs) -> anyhow::Result<()> {
    debug_assert!(args.stdio, "clap requires --stdio");
    let key = std::env::var(KEY_VARIABLE)
        .ok()
        .filter(|k| !k.trim().is_empty())
        .with_context(|| {
            format!("set {KEY_VARIABLE} to an API key (wsndr_...); an operator creates one with `wasndr keys create`")
        })?;
    let file = FileConfig::load(global.config.as_deref())?;
    let database = global
        .database
        .clone()
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned());
    let sync = SqliteSynchronous::resolve(global.sqlite_synchronous, &file);
    let public_url = file.public_url.clone().unwrap_or_default();
    let config = file.gateway_config(public_url.trim_end_matches('/').to_owned())?;
    // The sandbox routes are HTTP-only; over stdio the simulator is only what sessions connect to.
    let (engine, _sandbox) = engine::build(&database, sync, Network::from_flags(args.sandbox, None)).await?;
    let store = database::open(&database, sync).await?;
    let gateway = Arc::new(Gateway::new(store, engine, config)?);
    gateway.start().await?;
    tracing::info!("serving MCP on stdio");
    let served = wasndr_mcp::serve_stdio(gateway.clone(), ApiKey::new(key)).await;
    tokio::time::timeout(Duration::from_secs(30), gateway.shutdown())
        .await
        .ok();
    served.context("serving MCP on stdio")
}
