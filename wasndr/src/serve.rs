//! `wasndr serve`.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wasndr_gateway::Gateway;
use wasndr_http::HttpOptions;

use crate::cli::{GlobalArgs, ServeArgs};
use crate::config::{FileConfig, SqliteSynchronous};
use crate::database::{self, DEFAULT_SQLITE_PATH};
use crate::engine::{self, Network};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Runs the server until SIGINT/SIGTERM, then shuts down gracefully.
pub(crate) async fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<()> {
    let file = FileConfig::load(global.config.as_deref())?;
    let listen = args
        .listen
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let database = global
        .database
        .clone()
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned());
    let sync = SqliteSynchronous::resolve(global.sqlite_synchronous, &file);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let local = listener.local_addr()?;
    let public_url = args
        .public_url
        .or_else(|| file.public_url.clone())
        .unwrap_or_else(|| format!("http://{local}"));
    let config = file.gateway_config(public_url.trim_end_matches('/').to_owned())?;

    let network = Network::from_flags(args.sandbox, args.sandbox_url.clone());
    let (engine, sandbox) = engine::build(&database, sync, network).await?;

    let store = database::open(&database, sync).await?;
    let gateway = Arc::new(Gateway::new(store, engine, config)?);
    if let Some((account, key)) = gateway.bootstrap_if_empty().await? {
        print_first_key(&account.name, &account.plan, &account.id, &key.key)?;
    }
    gateway.start().await?;
    let mut options = HttpOptions::for_gateway(&gateway);
    if let Some(max) = file.max_body_bytes {
        options.max_body_bytes = max;
    }
    if let Some(sandbox) = sandbox {
        options.sandbox = Some(crate::sandbox::router(gateway.clone(), sandbox));
    }
    let app = wasndr_http::router(gateway.clone(), options);
    #[cfg(feature = "mcp")]
    let app = app.merge(wasndr_mcp::router(
        gateway.clone(),
        mcp_options(&gateway, &file, args.mcp_allowed_hosts.as_deref()),
    ));
    let backend = if database.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    tracing::info!(%local, backend, "wasndr listening");

    let stopping = gateway.clone();
    let server = axum_serve(listener, app, async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        stopping.begin_shutdown();
    });
    server.await?;
    // Webhook deliveries in flight finish; queued ones stay in the database for the next start.
    tokio::time::timeout(Duration::from_secs(30), gateway.shutdown())
        .await
        .ok();
    tracing::info!("stopped");
    Ok(())
}

/// `/mcp` options: allowed hosts from the flag or environment, else the file, else the public URL's host
/// plus loopback.
#[cfg(feature = "mcp")]
fn mcp_options(gateway: &Gateway, file: &FileConfig, flag: Option<&str>) -> wasndr_mcp::McpHttpOptions {
    let mut options = wasndr_mcp::McpHttpOptions::for_gateway(gateway);
    if let Some(list) = flag {
        options.allowed_hosts = wasndr_mcp::AllowedHosts::parse(list);
    } else if let Some(hosts) = &file.mcp.allowed_hosts {
        options.allowed_hosts = wasndr_mcp::AllowedHosts::parse(&hosts.join(","));
    }
    tracing::info!(allowed_hosts = ?options.allowed_hosts, "MCP endpoint at /mcp");
    options
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(signal).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

/// Prints the first start's key, once, on stdout.
fn print_first_key(name: &str, plan: &str, account_id: &str, key: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let rule = "=".repeat(78);
    writeln!(out, "{rule}")?;
    writeln!(
        out,
        " FIRST START: created account {name:?} ({account_id}) on plan {plan}."
    )?;
    writeln!(out, " Its full-access API key is shown ONCE. Store it now:")?;
    writeln!(out)?;
    writeln!(out, "     {key}")?;
    writeln!(out)?;
    writeln!(out, " Use it as:  Authorization: Bearer {key}")?;
    writeln!(out, "{rule}")?;
    out.flush()?;
    Ok(())
}
