//! Server configuration: defaults, overridden by the TOML file, overridden by `WASNDR_*` environment
//! variables and flags.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use wasndr_gateway::fetch::{AllowEntry, FetchPolicy};
use wasndr_gateway::webhook::WebhookSettings;
use wasndr_gateway::{GatewayConfig, Plan, PlanCatalog};

/// The TOML file. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    /// Listen address, e.g. `0.0.0.0:8080`.
    pub(crate) listen: Option<String>,
    /// SQLite path or `postgres://` URL.
    pub(crate) database: Option<String>,
    /// SQLite durability, `"full"` or `"normal"` (see [`SqliteSynchronous`]).
    pub(crate) sqlite_synchronous: Option<SqliteSynchronous>,
    /// Public base URL.
    pub(crate) public_url: Option<String>,
    /// Requests per minute per account (all endpoints).
    pub(crate) requests_per_minute: Option<u32>,
    /// Largest media file, bytes.
    pub(crate) max_media_bytes: Option<u64>,
    /// Largest ordinary JSON body, bytes.
    pub(crate) max_body_bytes: Option<usize>,
    /// Plan given to new accounts.
    pub(crate) default_plan: Option<String>,
    /// Replaces the seed's plan table when present.
    #[serde(default)]
    pub(crate) plans: Vec<Plan>,
    #[serde(default)]
    pub(crate) fetch: FetchSection,
    #[serde(default)]
    pub(crate) webhooks: WebhookSection,
    /// Read by builds with the `mcp` feature; accepted by all so one file serves every build.
    #[serde(default)]
    #[cfg_attr(not(feature = "mcp"), allow(dead_code))]
    pub(crate) mcp: McpSection,
}

/// How hard SQLite commits wait for the disk, for both the gateway and the device database (PostgreSQL
/// ignores it). Both settings use the WAL journal and never corrupt the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SqliteSynchronous {
    /// `synchronous = FULL`: every commit is fsynced before wasndr goes on, so whatever was acknowledged
    /// to WhatsApp or answered to an API caller survives a process crash, an OS crash and a power loss.
    #[default]
    Full,
    /// `synchronous = NORMAL`: commits survive a crash of wasndr itself, but after an OS crash or a power
    /// loss the last commits (up to the last WAL checkpoint) may be gone: messages already acknowledged
    /// to WhatsApp, a Signal ratchet step (the peer's next message then needs a retry), quota counts.
    Normal,
}

impl SqliteSynchronous {
    /// The flag or `WASNDR_SQLITE_SYNCHRONOUS` if given, else the file's key, else FULL.
    pub(crate) fn resolve(flag: Option<SqliteSynchronous>, file: &FileConfig) -> SqliteSynchronous {
        flag.or(file.sqlite_synchronous).unwrap_or_default()
    }

    /// The gateway database's setting.
    pub(crate) fn gateway(self) -> wasndr_gateway::SqliteSync {
        match self {
            SqliteSynchronous::Full => wasndr_gateway::SqliteSync::Full,
            SqliteSynchronous::Normal => wasndr_gateway::SqliteSync::Normal,
        }
    }

    /// The device database's setting.
    pub(crate) fn devices(self) -> wasndr_store::SqliteSync {
        match self {
            SqliteSynchronous::Full => wasndr_store::SqliteSync::Full,
            SqliteSynchronous::Normal => wasndr_store::SqliteSync::Normal,
        }
    }
}

/// `[mcp]`: the MCP server at `/mcp`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(feature = "mcp"), allow(dead_code))]
pub(crate) struct McpSection {
    /// `Host` headers `/mcp` answers: names or `host:port`, or `["*"]` for any. Default: the public
    /// URL's host plus loopback.
    pub(crate) allowed_hosts: Option<Vec<String>>,
}

/// `[fetch]`: outbound requests (media URLs, webhooks).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchSection {
    /// Private addresses allowed anyway: `10.0.0.0/8`, `127.0.0.1:9000`, `[::1]:9000`.
    #[serde(default)]
    pub(crate) allow: Vec<String>,
    pub(crate) max_bytes: Option<u64>,
    pub(crate) connect_timeout_secs: Option<u64>,
    pub(crate) request_timeout_secs: Option<u64>,
}

/// `[webhooks]`: retry schedule.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookSection {
    pub(crate) base_delay_ms: Option<u64>,
    pub(crate) max_delay_secs: Option<u64>,
    pub(crate) max_attempts: Option<u32>,
}

impl FileConfig {
    /// Reads the file if one is given.
    pub(crate) fn load(path: Option<&Path>) -> anyhow::Result<FileConfig> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The gateway configuration, with `WASNDR_FETCH_ALLOW` (comma-separated) added to the allowlist.
    pub(crate) fn gateway_config(&self, public_url: String) -> anyhow::Result<GatewayConfig> {
        let defaults = GatewayConfig::default();
        let plans = if self.plans.is_empty() {
            let seed = PlanCatalog::seed_defaults();
            match &self.default_plan {
                Some(default) => PlanCatalog::new(seed.plans().to_vec(), default)?,
                None => seed,
            }
        } else {
            let default = self
                .default_plan
                .clone()
                .unwrap_or_else(|| self.plans[0].name.clone());
            PlanCatalog::new(self.plans.clone(), &default)?
        };
        let mut allow: Vec<AllowEntry> = Vec::new();
        let from_env = std::env::var("WASNDR_FETCH_ALLOW").unwrap_or_default();
        for entry in self
            .fetch
            .allow
            .iter()
            .map(String::as_str)
            .chain(from_env.split(','))
            .map(str::trim)
        {
            if !entry.is_empty() {
                allow.push(entry.parse()?);
            }
        }
        let fetch_defaults = FetchPolicy::default();
        let fetch = FetchPolicy {
            allow,
            max_bytes: self.fetch.max_bytes.unwrap_or(fetch_defaults.max_bytes),
            connect_timeout: self
                .fetch
                .connect_timeout_secs
                .map_or(fetch_defaults.connect_timeout, Duration::from_secs),
            request_timeout: self
                .fetch
                .request_timeout_secs
                .map_or(fetch_defaults.request_timeout, Duration::from_secs),
            max_redirects: fetch_defaults.max_redirects,
        };
        let hook_defaults = WebhookSettings::default();
        let webhooks = WebhookSettings {
            base_delay: self
                .webhooks
                .base_delay_ms
                .map_or(hook_defaults.base_delay, Duration::from_millis),
            max_delay: self
                .webhooks
                .max_delay_secs
                .map_or(hook_defaults.max_delay, Duration::from_secs),
            max_attempts: self.webhooks.max_attempts.unwrap_or(hook_defaults.max_attempts),
            ..hook_defaults
        };
        Ok(GatewayConfig {
            plans,
            public_url,
            requests_per_minute: self.requests_per_minute.unwrap_or(defaults.requests_per_minute),
            max_media_bytes: self.max_media_bytes.unwrap_or(defaults.max_media_bytes),
            fetch,
            webhooks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_file() {
        let config: FileConfig = toml::from_str(
            r#"
            listen = "0.0.0.0:9000"
            sqlite_synchronous = "normal"
            default_plan = "pro"
            [[plans]]
            name = "pro"
            messages_per_month = 10
            sessions = 3
            sends_per_minute = 4
            history_groups_attachments = true
            [fetch]
            allow = ["127.0.0.1:8081", "10.0.0.0/8"]
            [webhooks]
            base_delay_ms = 100
            [mcp]
            allowed_hosts = ["wa.example.com", "proxy:8080"]
            "#,
        )
        .unwrap();
        let gateway = config.gateway_config("http://x".into()).unwrap();
        assert_eq!(gateway.plans.default_plan().sessions, 3);
        assert_eq!(gateway.fetch.allow.len(), 2);
        assert_eq!(gateway.webhooks.base_delay, Duration::from_millis(100));
        assert_eq!(config.mcp.allowed_hosts.as_ref().unwrap().len(), 2);
        assert_eq!(
            SqliteSynchronous::resolve(None, &config),
            SqliteSynchronous::Normal
        );
        assert_eq!(
            SqliteSynchronous::resolve(Some(SqliteSynchronous::Full), &config),
            SqliteSynchronous::Full,
            "the flag (or its variable) wins over the file"
        );
        assert_eq!(
            SqliteSynchronous::resolve(None, &FileConfig::default()),
            SqliteSynchronous::Full,
            "durable by default"
        );
        assert!(toml::from_str::<FileConfig>(r#"sqlite_synchronous = "off""#).is_err());
        assert!(
            toml::from_str::<FileConfig>("lsiten = 1").is_err(),
            "unknown keys are refused"
        );
    }
}
