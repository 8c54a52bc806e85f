//! The engine the server runs with until the `wasndr-core` session supervisor is wired in: it runs no
//! WhatsApp sessions, says so on every call that needs one, and lets everything else (accounts, keys,
//! locations, usage, webhooks management) work.
//!
//! Replace it in `serve.rs` with the production engine (one `wasndr-core` `Client` per session over a
//! `wasndr-store` `Store`), or with that engine pointed at the embedded simulator under `--sandbox`.

use std::sync::Arc;

use async_trait::async_trait;
use wasndr_gateway::engine::*;
use wasndr_gateway::phone::ChatJid;
use wasndr_gateway::{GatewayError, Result};

/// See the module documentation.
#[derive(Debug, Default)]
pub(crate) struct UnwiredEngine;

fn unavailable() -> GatewayError {
    GatewayError::EngineUnavailable("the WhatsApp engine is not wired into this build yet".to_owned())
}

#[async_trait]
impl SessionEngine for UnwiredEngine {
    fn set_event_sink(&self, _sink: Arc<dyn EventSink>) {}

    async fn start_session(&self, _session: &SessionRef) -> Result<SessionState> {
        Err(unavailable())
    }

    async fn restore_session(&self, _session: &SessionRef) -> Result<SessionState> {
        Ok(SessionState::with_status(SessionStatus::Disconnected))
    }

    async fn session_state(&self, _session_id: &str) -> Result<SessionState> {
        Ok(SessionState::with_status(SessionStatus::Disconnected))
    }

    async fn logout_session(&self, _session_id: &str) -> Result<()> {
        Ok(())
    }

    async fn stop_session(&self, _session_id: &str) -> Result<()> {
        Ok(())
    }

    async fn send_message(&self, _: &str, _: &ChatJid, _: OutgoingContent) -> Result<SentMessage> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn check_numbers(&self, _: &str, _: &[String]) -> Result<Vec<NumberCheck>> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn list_groups(&self, _: &str) -> Result<Vec<GroupInfo>> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn group_info(&self, _: &str, _: &ChatJid) -> Result<GroupInfo> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn group_invite_code(&self, _: &str, _: &ChatJid) -> Result<String> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn create_group(&self, _: &str, _: &str, _: &[ChatJid]) -> Result<GroupInfo> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn set_group_subject(&self, _: &str, _: &ChatJid, _: &str) -> Result<()> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn set_group_description(&self, _: &str, _: &ChatJid, _: Option<&str>) -> Result<()> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn update_group_participants(
        &self,
        _: &str,
        _: &ChatJid,
        _: ParticipantAction,
        _: &[ChatJid],
    ) -> Result<Vec<ParticipantResult>> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn leave_group(&self, _: &str, _: &ChatJid) -> Result<()> {
        Err(GatewayError::SessionNotConnected)
    }

    async fn history(&self, _: &str, _: &HistoryQuery) -> Result<HistoryPage> {
        Ok(HistoryPage::default())
    }

    async fn attachments(&self, _: &str, _: &AttachmentQuery) -> Result<AttachmentPage> {
        Ok(AttachmentPage::default())
    }

    async fn download_attachment(&self, _: &str, _: &str) -> Result<AttachmentFile> {
        Err(GatewayError::NotFound { what: "attachment" })
    }
}
