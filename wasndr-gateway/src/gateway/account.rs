//! The account's own resources: usage, plan, keys, webhooks, the MCP snippet; and operator provisioning.

use serde_json::json;

use crate::api::{
    AccountView, CreateKey, CreateWebhook, CreatedKeyView, KeyView, McpConfigView, PlanLimitsView, UsageView,
    WebhookView,
};
use crate::apikey;
use crate::clock::{month_period, now_ms, to_rfc3339};
use crate::error::{GatewayError, Result};
use crate::fetch::check_address;
use crate::ids::{is_uuid, new_uuid};
use crate::scope::{Scope, ScopeSet};
use crate::store::{AccountRecord, KeyRecord, WebhookRecord};
use crate::webhook::EVENT_NAMES;

use super::{Caller, Gateway, display_name};

fn scope_names(scopes: ScopeSet) -> Vec<String> {
    scopes
        .to_vec()
        .into_iter()
        .map(|s| s.as_str().to_owned())
        .collect()
}

fn key_view(key: KeyRecord) -> KeyView {
    KeyView {
        uuid: key.id,
        name: key.name,
        prefix: key.prefix,
        scopes: scope_names(key.scopes),
        created_at: to_rfc3339(key.created_at),
        last_used_at: key.last_used_at.map(to_rfc3339),
    }
}

fn webhook_view(webhook: WebhookRecord) -> WebhookView {
    WebhookView {
        uuid: webhook.id,
        url: webhook.url,
        events: webhook.events,
        location_uuid: webhook.location_id,
        secret: webhook.secret,
        created_at: to_rfc3339(webhook.created_at),
    }
}

/// 403 unless the key holds all six scopes (key and webhook administration).
fn require_full(caller: &Caller) -> Result<()> {
    if caller.scopes.is_full() {
        Ok(())
    } else {
        Err(GatewayError::MissingScope {
            scope: Scope::ALL.map(Scope::as_str).join(", "),
        })
    }
}

impl Gateway {
    /// `GET /usage` (any key).
    pub async fn usage(&self, caller: &Caller) -> Result<UsageView> {
        let (period, next) = month_period(now_ms());
        let used = self.store.quota_used(&caller.account.id, &period).await?;
        let plan = &caller.plan;
        Ok(UsageView {
            plan: plan.name.clone(),
            period,
            messages_used: used,
            messages_limit: plan.messages_per_month,
            messages_remaining: plan.messages_per_month.saturating_sub(used),
            resets_at: to_rfc3339(next),
            sessions_used: self.store.count_sessions(&caller.account.id).await?,
            sessions_limit: plan.sessions,
            rate_limit_per_minute: plan.sends_per_minute,
        })
    }

    /// `GET /account` (any key).
    pub async fn account(&self, caller: &Caller) -> Result<AccountView> {
        let plan = &caller.plan;
        let premium = plan.history_groups_attachments;
        Ok(AccountView {
            account_uuid: caller.account.id.clone(),
            name: caller.account.name.clone(),
            plan: plan.name.clone(),
            limits: PlanLimitsView {
                messages_per_month: plan.messages_per_month,
                sessions: plan.sessions,
                sends_per_minute: plan.sends_per_minute,
                history: premium,
                groups: premium,
                attachments: premium,
            },
            created_at: to_rfc3339(caller.account.created_at),
            scopes: scope_names(caller.scopes),
        })
    }

    /// `GET /mcp-config` (any key): the `mcpServers` snippet pointing at this server's `/mcp`.
    pub fn mcp_config(&self, _caller: &Caller) -> McpConfigView {
        let url = format!("{}/mcp", self.config.public_url.trim_end_matches('/'));
        McpConfigView {
            mcp_servers: json!({
                "wasndr-whatsapp": {
                    "url": url,
                    "headers": { "Authorization": "Bearer wsndr_your_key_here" }
                }
            }),
        }
    }

    /// `POST /keys` (all six scopes): a new key of the caller's account with a subset of the caller's
    /// scopes (default: all of them). The secret is in the answer only.
    pub async fn create_key(&self, caller: &Caller, request: CreateKey) -> Result<CreatedKeyView> {
        require_full(caller)?;
        let name = display_name("name", &request.name)?;
        let scopes = match request.scopes {
            Some(names) if names.is_empty() => {
                return Err(GatewayError::invalid("scopes", "give at least one scope"));
            }
            Some(names) => ScopeSet::parse_request("scopes", &names)?,
            None => ScopeSet::all(),
        };
        if !caller.scopes.is_superset_of(scopes) {
            return Err(GatewayError::invalid(
                "scopes",
                "a new key's scopes must be a subset of the calling key's",
            ));
        }
        self.issue_key(&caller.account.id, &name, scopes).await
    }

    /// Creates a key for an account (operator CLI, first start). The secret is in the answer only.
    pub async fn issue_key(&self, account_id: &str, name: &str, scopes: ScopeSet) -> Result<CreatedKeyView> {
        let generated = apikey::generate();
        let record = KeyRecord {
            id: new_uuid(),
            account_id: account_id.to_owned(),
            name: name.to_owned(),
            prefix: generated.prefix.clone(),
            scopes,
            created_at: now_ms(),
            last_used_at: None,
        };
        self.store.create_key(&record, &generated.hash).await?;
        Ok(CreatedKeyView {
            key: generated.secret,
            uuid: record.id,
            name: record.name,
            prefix: record.prefix,
            scopes: scope_names(scopes),
            created_at: to_rfc3339(record.created_at),
        })
    }

    /// `GET /keys` (all six scopes).
    pub async fn list_keys(&self, caller: &Caller) -> Result<Vec<KeyView>> {
        require_full(caller)?;
        Ok(self
            .store
            .list_keys(&caller.account.id)
            .await?
            .into_iter()
            .map(key_view)
            .collect())
    }

    /// `DELETE /keys/{uuid}` (all six scopes): effective on the key's next request.
    pub async fn revoke_key(&self, caller: &Caller, key_id: &str) -> Result<()> {
        require_full(caller)?;
        if !is_uuid(key_id)
            || !self
                .store
                .revoke_key(&caller.account.id, key_id, now_ms())
                .await?
        {
            return Err(GatewayError::NotFound { what: "key" });
        }
        Ok(())
    }

    /// Creates an account (operator CLI, first start). `plan` defaults to the configured default plan.
    pub async fn create_account(&self, name: &str, plan: Option<&str>) -> Result<AccountRecord> {
        let plan = match plan {
            Some(plan) if self.config.plans.contains(plan) => plan.to_owned(),
            Some(plan) => {
                let known: Vec<&str> = self
                    .config
                    .plans
                    .plans()
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                return Err(GatewayError::invalid(
                    "plan",
                    format!("no plan {plan:?}; plans: {}", known.join(", ")),
                ));
            }
            None => self.config.plans.default_plan().name.clone(),
        };
        let record = AccountRecord {
            id: new_uuid(),
            name: display_name("name", name)?,
            plan,
            created_at: now_ms(),
        };
        self.store.create_account(&record).await?;
        Ok(record)
    }

    /// On an empty database: creates one account on the default plan and a full-access key, returned so
    /// the caller can print the secret once. `None` when accounts exist.
    pub async fn bootstrap_if_empty(&self) -> Result<Option<(AccountRecord, CreatedKeyView)>> {
        if self.store.count_accounts().await? > 0 {
            return Ok(None);
        }
        let account = self.create_account("default", None).await?;
        let key = self
            .issue_key(&account.id, "initial full-access key", ScopeSet::all())
            .await?;
        Ok(Some((account, key)))
    }

    /// `POST /webhooks` (all six scopes).
    pub async fn create_webhook(&self, caller: &Caller, request: CreateWebhook) -> Result<WebhookView> {
        require_full(caller)?;
        let url = request.url.trim().to_owned();
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) || url.len() > 2048 {
            return Err(GatewayError::invalid("url", "must be an http or https URL"));
        }
        // Deliveries are checked on every attempt (names are resolved then); a literal private address is
        // refused now so the caller learns it at once instead of through failed deliveries.
        let uri: hyper::Uri = url
            .parse()
            .map_err(|_| GatewayError::invalid("url", "not a valid URL"))?;
        let host = uri
            .host()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']');
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            let port = uri
                .port_u16()
                .unwrap_or(if lower.starts_with("https") { 443 } else { 80 });
            check_address(std::net::SocketAddr::new(ip, port), &self.config.fetch.allow)
                .map_err(|why| GatewayError::invalid("url", why))?;
        }
        let events = match request.events {
            None => EVENT_NAMES.map(str::to_owned).to_vec(),
            Some(events) if events.is_empty() => {
                return Err(GatewayError::invalid("events", "give at least one event"));
            }
            Some(events) => {
                let mut chosen: Vec<String> = Vec::new();
                for event in events {
                    if !EVENT_NAMES.contains(&event.as_str()) {
                        return Err(GatewayError::invalid(
                            "events",
                            format!("unknown event {event:?}; events: {}", EVENT_NAMES.join(", ")),
                        ));
                    }
                    if !chosen.contains(&event) {
                        chosen.push(event);
                    }
                }
                chosen
            }
        };
        let location_id = match request
            .location_uuid
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            Some(location) => {
                let found = if is_uuid(location) {
                    self.store.get_location(&caller.account.id, location).await?
                } else {
                    None
                };
                Some(found.ok_or(GatewayError::NotFound { what: "location" })?.id)
            }
            None => None,
        };
        let mut secret = String::from("whsec_");
        secret.push_str(&apikey::generate().secret[apikey::KEY_PREFIX.len()..]);
        let record = WebhookRecord {
            id: new_uuid(),
            account_id: caller.account.id.clone(),
            location_id,
            url,
            secret,
            events,
            created_at: now_ms(),
        };
        self.store.create_webhook(&record).await?;
        Ok(webhook_view(record))
    }

    /// `GET /webhooks` (all six scopes).
    pub async fn list_webhooks(&self, caller: &Caller) -> Result<Vec<WebhookView>> {
        require_full(caller)?;
        Ok(self
            .store
            .list_webhooks(&caller.account.id)
            .await?
            .into_iter()
            .map(webhook_view)
            .collect())
    }

    /// `DELETE /webhooks/{uuid}` (all six scopes): pending deliveries are dropped.
    pub async fn delete_webhook(&self, caller: &Caller, webhook_id: &str) -> Result<()> {
        require_full(caller)?;
        if !is_uuid(webhook_id) || !self.store.delete_webhook(&caller.account.id, webhook_id).await? {
            return Err(GatewayError::NotFound { what: "webhook" });
        }
        Ok(())
    }

    /// Checks that the caller may open an event stream (`messages:read` or `sessions:read`).
    pub fn authorize_event_stream(&self, caller: &Caller) -> Result<()> {
        if caller.scopes.contains(Scope::MessagesRead) || caller.scopes.contains(Scope::SessionsRead) {
            Ok(())
        } else {
            Err(GatewayError::MissingScope {
                scope: "messages:read or sessions:read".to_owned(),
            })
        }
    }
}
