//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::SqliteSynchronous;

/// wasndr: WhatsApp Web multi-device platform (REST API and MCP server, operator tools).
#[derive(Debug, Parser)]
#[command(name = "wasndr", version)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Configuration file (TOML). Also `WASNDR_CONFIG`.
    #[arg(long, global = true, env = "WASNDR_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Database: a SQLite file path (default `wasndr.db`) or a `postgres://` URL. Also `WASNDR_DATABASE`.
    #[arg(long, global = true, env = "WASNDR_DATABASE")]
    pub(crate) database: Option<String>,
    /// SQLite durability of the gateway and device databases (ignored for PostgreSQL). `full`
    /// (default): every commit is fsynced, so nothing acknowledged to WhatsApp or to a caller is lost,
    /// even on power loss. `normal` (WAL + synchronous=NORMAL, fsyncs only at WAL checkpoints): survives
    /// a crash of wasndr, but an OS crash or power loss may drop the last commits, including messages
    /// already acknowledged and Signal ratchet steps. Also `WASNDR_SQLITE_SYNCHRONOUS` and the file
    /// key `sqlite_synchronous`.
    #[arg(long, global = true, env = "WASNDR_SQLITE_SYNCHRONOUS", value_enum)]
    pub(crate) sqlite_synchronous: Option<SqliteSynchronous>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Manage accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Serve MCP to a local agent over stdin/stdout (`--stdio`), acting with the API key in the
    /// environment variable `WASNDR_API_KEY`.
    #[cfg(feature = "mcp")]
    Mcp(McpArgs),
}

/// `wasndr mcp --stdio`.
#[cfg(feature = "mcp")]
#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    /// Speak MCP on stdin/stdout (the only local transport; `wasndr serve` serves it over HTTP at /mcp).
    #[arg(long, required = true)]
    pub(crate) stdio: bool,
    /// Embed the WhatsApp simulator, as `wasndr serve --sandbox`.
    #[arg(long)]
    pub(crate) sandbox: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on, e.g. `0.0.0.0:8080`. Also `WASNDR_LISTEN`.
    #[arg(long, env = "WASNDR_LISTEN")]
    pub(crate) listen: Option<String>,
    /// Public base URL of this server (used in `/mcp-config` and download links). Also `WASNDR_PUBLIC_URL`.
    #[arg(long, env = "WASNDR_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Embed the WhatsApp simulator and serve `/api/v1/sandbox/...` (everything runs offline).
    #[arg(long)]
    pub(crate) sandbox: bool,
    /// Sandbox mode against a simulator that already runs (a `wasndr-sim` process), at its base URL
    /// `http://HOST:PORT`, instead of an embedded one: its virtual phones outlive this server.
    /// Also `WASNDR_SANDBOX_URL`.
    #[arg(long, env = "WASNDR_SANDBOX_URL")]
    pub(crate) sandbox_url: Option<String>,
    /// `Host` headers the MCP endpoint (`/mcp`) answers, comma-separated names or `host:port`, or `*`
    /// for any (behind a proxy that checks hosts itself). Default: the public URL's host plus
    /// loopback. Also `WASNDR_MCP_ALLOWED_HOSTS`.
    #[arg(long, env = "WASNDR_MCP_ALLOWED_HOSTS")]
    pub(crate) mcp_allowed_hosts: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AccountsCommand {
    /// Create an account and print its id.
    Create {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Plan (default: the configured default plan).
        #[arg(long)]
        plan: Option<String>,
    },
    /// List accounts.
    List,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a key for an account and print it (shown once).
    Create {
        /// The account's id.
        #[arg(long)]
        account: String,
        /// Display name.
        #[arg(long, default_value = "operator key")]
        name: String,
        /// Comma-separated scopes (default: all six).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
    /// List an account's live keys.
    List {
        /// The account's id.
        #[arg(long)]
        account: String,
    },
    /// Revoke a key.
    Revoke {
        /// The account's id.
        #[arg(long)]
        account: String,
        /// The key's id (`uuid`).
        #[arg(long)]
        key: String,
    },
}
