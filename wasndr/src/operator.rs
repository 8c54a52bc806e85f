//! `wasndr accounts ...` and `wasndr keys ...`: operator commands against the database.

use std::io::Write;

use anyhow::Context;
use wasndr_gateway::live::{LiveEngine, LiveOptions};
use wasndr_gateway::{Gateway, ScopeSet};

use crate::cli::{AccountsCommand, GlobalArgs, KeysCommand};
use crate::config::{FileConfig, SqliteSynchronous};
use crate::database::{self, DEFAULT_SQLITE_PATH};

async fn gateway(global: &GlobalArgs) -> anyhow::Result<Gateway> {
    let file = FileConfig::load(global.config.as_deref())?;
    let database = global
        .database
        .clone()
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| DEFAULT_SQLITE_PATH.to_owned());
    let sync = SqliteSynchronous::resolve(global.sqlite_synchronous, &file);
    let public_url = file.public_url.clone().unwrap_or_default();
    let store = database::open(&database, sync).await?;
    // Operator commands touch no session: the gateway is never started, so this engine (over memory,
    // nothing persisted) runs no session and opens no connection.
    Ok(Gateway::new(
        store,
        LiveEngine::in_memory(LiveOptions::default()),
        file.gateway_config(public_url)?,
    )?)
}

/// `wasndr accounts create|list`.
pub(crate) async fn accounts(global: &GlobalArgs, command: AccountsCommand) -> anyhow::Result<()> {
    let gateway = gateway(global).await?;
    let mut out = std::io::stdout().lock();
    match command {
        AccountsCommand::Create { name, plan } => {
            let account = gateway.create_account(&name, plan.as_deref()).await?;
            writeln!(out, "{}\t{}\t{}", account.id, account.plan, account.name)?;
            writeln!(
                out,
                "create a key with: wasndr keys create --account {}",
                account.id
            )?;
        }
        AccountsCommand::List => {
            for account in gateway.store().list_accounts().await? {
                writeln!(out, "{}\t{}\t{}", account.id, account.plan, account.name)?;
            }
        }
    }
    Ok(())
}

/// `wasndr keys create|list|revoke`.
pub(crate) async fn keys(global: &GlobalArgs, command: KeysCommand) -> anyhow::Result<()> {
    let gateway = gateway(global).await?;
    let mut out = std::io::stdout().lock();
    match command {
        KeysCommand::Create {
            account,
            name,
            scopes,
        } => {
            gateway
                .store()
                .get_account(&account)
                .await?
                .context("no such account")?;
            let scopes = if scopes.is_empty() {
                ScopeSet::all()
            } else {
                ScopeSet::parse_request("--scopes", &scopes)?
            };
            let key = gateway.issue_key(&account, &name, scopes).await?;
            writeln!(out, "key (shown once): {}", key.key)?;
            writeln!(out, "uuid: {}\tscopes: {}", key.uuid, key.scopes.join(","))?;
        }
        KeysCommand::List { account } => {
            for key in gateway.store().list_keys(&account).await? {
                let scopes = key.scopes.to_storage().replace(' ', ",");
                writeln!(out, "{}\t{}\t{}\t{}", key.id, key.prefix, key.name, scopes)?;
            }
        }
        KeysCommand::Revoke { account, key } => {
            let revoked = gateway
                .store()
                .revoke_key(&account, &key, wasndr_gateway::clock::now_ms())
                .await?;
            anyhow::ensure!(revoked, "no live key {key} in account {account}");
            writeln!(out, "revoked {key}")?;
        }
    }
    Ok(())
}
