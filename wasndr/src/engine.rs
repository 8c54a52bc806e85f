//! The session engine the server runs: the production `LiveEngine` against WhatsApp, or against the
//! sandbox's simulator with `--sandbox`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use wasndr_core::client::ClientConfig;
use wasndr_gateway::SessionEngine;
use wasndr_gateway::live::{LiveEngine, LiveOptions, SqliteDirectory};
use wasndr_store::SqliteContainer;

use crate::config::SqliteSynchronous;
use crate::sandbox::Sandbox;

/// Which WhatsApp the engine talks to.
#[derive(Debug, Clone)]
pub(crate) enum Network {
    /// WhatsApp itself.
    WhatsApp,
    /// A simulator started in this process.
    EmbeddedSandbox,
    /// A simulator already running, at this admin base URL.
    RemoteSandbox(String),
}

impl Network {
    pub(crate) fn from_flags(sandbox: bool, sandbox_url: Option<String>) -> Network {
        match (sandbox_url, sandbox) {
            (Some(url), _) => Network::RemoteSandbox(url),
            (None, true) => Network::EmbeddedSandbox,
            (None, false) => Network::WhatsApp,
        }
    }
}

/// The device database for a gateway database: the same PostgreSQL database (device tables are
/// prefixed `wa_`), or a SQLite file beside the gateway's (`wasndr.db` → `wasndr-devices.db`).
pub(crate) fn devices_database(database: &str) -> String {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        return database.to_owned();
    }
    let path = Path::new(database.strip_prefix("sqlite://").unwrap_or(database));
    let stem = path
        .file_stem()
        .map_or_else(|| "wasndr".into(), |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}-devices.{}", ext.to_string_lossy()),
        None => format!("{stem}-devices"),
    };
    path.parent()
        .map_or_else(|| PathBuf::from(&name), |dir| dir.join(&name))
        .to_string_lossy()
        .into_owned()
}

/// Builds the engine (and the sandbox it talks to, if any).
pub(crate) async fn build(
    database: &str,
    sync: SqliteSynchronous,
    network: Network,
) -> anyhow::Result<(Arc<dyn SessionEngine>, Option<Sandbox>)> {
    let sandbox = match &network {
        Network::WhatsApp => None,
        Network::EmbeddedSandbox => Some(Sandbox::embedded().await.context("starting the simulator")?),
        Network::RemoteSandbox(url) => Some(Sandbox::remote(url).await?),
    };
    let mut client = ClientConfig::default();
    if let Some(sandbox) = &sandbox {
        let endpoint = sandbox.endpoint().await?;
        tracing::info!(ws_url = %endpoint.ws_url, "sandbox: sessions connect to the simulator");
        client.url = endpoint.ws_url;
        client.trust_root = endpoint.trust_root;
    }
    let options = LiveOptions {
        client,
        ..LiveOptions::default()
    };
    let devices = devices_database(database);
    let engine = if devices.starts_with("postgres") {
        LiveEngine::connect_postgres(&devices, options)
            .await
            .context("opening the device database (PostgreSQL)")?
    } else {
        let container = SqliteContainer::open_synced(Path::new(&devices), sync.devices())
            .await
            .with_context(|| format!("opening the device database {devices}"))?;
        let directory = SqliteDirectory::new(container.pool().clone())
            .await
            .with_context(|| format!("opening the session directory in {devices}"))?;
        LiveEngine::new(Arc::new(container), Arc::new(directory), options)
    };
    Ok((engine, sandbox))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_live_beside_the_gateway_database() {
        assert_eq!(devices_database("wasndr.db"), "wasndr-devices.db");
        assert_eq!(
            devices_database("/var/lib/w/data.sqlite"),
            "/var/lib/w/data-devices.sqlite"
        );
        assert_eq!(devices_database("sqlite://x/y.db"), "x/y-devices.db");
        assert_eq!(devices_database("postgres://u@h/db"), "postgres://u@h/db");
    }
}
