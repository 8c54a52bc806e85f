//! `wasndr`: the server (`wasndr serve`: REST and MCP), MCP over stdio (`wasndr mcp --stdio`) and the
//! operator CLI (`wasndr accounts ...`, `wasndr keys ...`).

mod cli;
mod config;
mod database;
mod engine;
#[cfg(feature = "mcp")]
mod mcp_stdio;
mod operator;
mod sandbox;
mod serve;

use clap::Parser;

// glibc's malloc took a fifth of the CPU of a loaded server (many threads allocating and freeing
// request, stanza and row buffers); mimalloc's per-thread heaps took 40–50 % more REST sends per second
// out of the same two cores (`benches/rest_send.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    init_logging();
    match cli.command {
        cli::Command::Serve(args) => serve::run(&cli.global, args).await,
        cli::Command::Accounts(command) => operator::accounts(&cli.global, command).await,
        cli::Command::Keys(command) => operator::keys(&cli.global, command).await,
        #[cfg(feature = "mcp")]
        cli::Command::Mcp(args) => mcp_stdio::run(&cli.global, args).await,
    }
}

/// Logs go to stderr (stdout carries what the CLI prints for the operator); `WASNDR_LOG` picks the level.
fn init_logging() {
    let level = match std::env::var("WASNDR_LOG")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "trace" => tracing::Level::TRACE,
        "debug" => tracing::Level::DEBUG,
        "warn" => tracing::Level::WARN,
        "error" => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}
