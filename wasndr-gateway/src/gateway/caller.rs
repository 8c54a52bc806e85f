//! Authentication: a bearer key becomes a [`Caller`] (account, key, scopes, plan), or 401.

use crate::apikey;
use crate::clock::now_ms;
use crate::error::{GatewayError, Result};
use crate::events::PublishedEvent;
use crate::plan::Plan;
use crate::scope::{Scope, ScopeSet};
use crate::store::AccountRecord;

use super::Gateway;

/// An authenticated request's principal. Built per request from the presented key, which is looked up
/// every time (never cached), so a revoked key fails on its next request, whichever process revoked it.
/// The account row may come from the store's short-lived cache (accounts do not change).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's account.
    pub account: AccountRecord,
    /// The key's id.
    pub key_id: String,
    /// The key's scopes.
    pub scopes: ScopeSet,
    /// The account's plan.
    pub plan: Plan,
}

impl Caller {
    /// 403 `missing_scope` unless the key holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<()> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(GatewayError::MissingScope {
                scope: scope.as_str().to_owned(),
            })
        }
    }

    /// Whether this caller's event stream shows `event`: its own account's, message events with
    /// `messages:read`, session events with `sessions:read`.
    pub fn sees_event(&self, event: &PublishedEvent) -> bool {
        event.account_id == self.account.id
            && if event.name == "session.status" {
                self.scopes.contains(Scope::SessionsRead)
            } else {
                self.scopes.contains(Scope::MessagesRead)
            }
    }
}

impl Gateway {
    /// Resolves a presented key (the text after `Bearer `). Unknown, malformed and revoked keys are all
    /// 401. Takes one token from the account's general request limit (generous; protects the server).
    pub async fn authenticate(&self, presented: Option<&str>) -> Result<Caller> {
        let presented = presented
            .map(str::trim)
            .filter(|k| apikey::looks_like_key(k))
            .ok_or(GatewayError::Unauthorized)?;
        let key = self
            .store
            .find_key_by_hash(&apikey::hash(presented))
            .await?
            .ok_or(GatewayError::Unauthorized)?;
        let account = self
            .store
            .get_account(&key.account_id)
            .await?
            .ok_or(GatewayError::Unauthorized)?;
        let decision = self
            .request_limiter
            .check(&account.id, self.config.requests_per_minute);
        if !decision.allowed {
            return Err(GatewayError::ReadRateLimited {
                limit: decision.limit,
                retry_after_secs: decision.retry_after_secs,
            });
        }
        if let Err(error) = self.store.touch_key(&key.id, now_ms(), 60_000).await {
            tracing::warn!(%error, "recording key use failed");
        }
        let plan = self.config.plans.get(&account.plan).clone();
        Ok(Caller {
            account,
            key_id: key.id,
            scopes: key.scopes,
            plan,
        })
    }
}
