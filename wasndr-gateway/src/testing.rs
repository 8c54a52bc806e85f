//! A stand-in [`SessionEngine`] for tests of the gateway and its shells (feature `testing`).
//!
//! It is **not** WhatsApp: no protocol, no network. It keeps sessions, messages, groups and attachments in
//! memory and lets a test drive what a phone and WhatsApp would do (show a QR, link, receive a message,
//! drop the connection), so tests can check the gateway's own semantics: scopes, tenancy, quotas, rate
//! limits, envelopes, webhooks and event streams. Flows that need real pairing and real messages run
//! against the production engine and `wasndr-sim`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use bytes::Bytes;

use crate::clock::now_ms;
use crate::engine::*;
use crate::error::{GatewayError, Result};
use crate::phone::ChatJid;

#[derive(Debug, Clone)]
struct FakeSession {
    session: SessionRef,
    state: SessionState,
    history: Vec<HistoryMessage>,
    groups: Vec<GroupInfo>,
    attachments: Vec<(AttachmentInfo, Bytes)>,
}

/// What a test sees of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedSend {
    /// The sending session.
    pub session_id: String,
    /// The recipient.
    pub to: String,
    /// What was sent.
    pub content: OutgoingContent,
}

/// In-memory stand-in engine; see the module documentation.
#[derive(Debug, Default)]
pub struct RecordingEngine {
    sessions: Mutex<HashMap<String, FakeSession>>,
    /// Sessions that were linked, by id: survives "restarts" when a test reuses the engine.
    linked: Mutex<HashMap<String, SessionState>>,
    sink: Mutex<Option<Arc<dyn EventSink>>>,
    sends: Mutex<Vec<RecordedSend>>,
    fail_sends: Mutex<Vec<GatewayError>>,
    registered: Mutex<Vec<String>>,
    next_id: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn flatten(content: &OutgoingContent) -> (String, Option<String>) {
    match content {
        OutgoingContent::Text { text } => ("conversation".to_owned(), Some(text.clone())),
        OutgoingContent::Media(media) => (
            format!("{}Message", media.media_type.as_str()),
            media.caption.clone(),
        ),
        OutgoingContent::Poll { question, .. } => ("pollCreationMessage".to_owned(), Some(question.clone())),
    }
}

impl RecordingEngine {
    /// An engine with no sessions.
    pub fn new() -> Arc<RecordingEngine> {
        Arc::new(RecordingEngine::default())
    }

    async fn emit(&self, event: EngineEvent) {
        let sink = lock(&self.sink).clone();
        if let Some(sink) = sink {
            sink.deliver(event).await;
        }
    }

    async fn set_state(&self, session_id: &str, state: SessionState) -> Result<()> {
        let session = {
            let mut sessions = lock(&self.sessions);
            let fake = sessions
                .get_mut(session_id)
                .ok_or(GatewayError::SessionNotConnected)?;
            fake.state = state.clone();
            fake.session.clone()
        };
        if state.status == SessionStatus::Connected {
            lock(&self.linked).insert(session_id.to_owned(), state.clone());
        }
        self.emit(EngineEvent::SessionStatus { session, state }).await;
        Ok(())
    }

    /// As if a phone scanned the QR: the session becomes `connected` as `phone`.
    pub async fn link(&self, session_id: &str, phone: &str) -> Result<()> {
        let state = SessionState {
            status: SessionStatus::Connected,
            qr: None,
            phone: Some(phone.to_owned()),
            jid: Some(format!("{phone}:7@s.whatsapp.net")),
        };
        self.set_state(session_id, state).await
    }

    /// As if the connection dropped: `reconnecting` until [`RecordingEngine::link`] again.
    pub async fn drop_connection(&self, session_id: &str) -> Result<()> {
        let mut state = lock(&self.sessions)
            .get(session_id)
            .map(|s| s.state.clone())
            .ok_or(GatewayError::SessionNotConnected)?;
        state.status = SessionStatus::Reconnecting;
        self.set_state(session_id, state).await
    }

    /// As if `from_phone` sent `text` to the session: stored in history, then emitted.
    pub async fn receive_text(
        &self,
        session_id: &str,
        from_phone: &str,
        text: &str,
    ) -> Result<HistoryMessage> {
        let message = HistoryMessage {
            message_id: format!("IN{:016X}", self.next_id.fetch_add(1, Ordering::Relaxed)),
            remote_jid: format!("{from_phone}@s.whatsapp.net"),
            sender_jid: None,
            from_me: false,
            timestamp: now_ms() / 1000,
            message_type: "conversation".to_owned(),
            text: Some(text.to_owned()),
            status: None,
            raw: serde_json::json!({ "conversation": text }),
        };
        let session = {
            let mut sessions = lock(&self.sessions);
            let fake = sessions
                .get_mut(session_id)
                .ok_or(GatewayError::SessionNotConnected)?;
            fake.history.push(message.clone());
            fake.session.clone()
        };
        self.emit(EngineEvent::MessageReceived {
            session,
            message: message.clone(),
        })
        .await;
        Ok(message)
    }

    /// Adds a message to a session's history without an event (history fixtures).
    pub fn add_history(&self, session_id: &str, message: HistoryMessage) {
        if let Some(fake) = lock(&self.sessions).get_mut(session_id) {
            fake.history.push(message);
        }
    }

    /// Adds a group the session's account is in.
    pub fn add_group(&self, session_id: &str, group: GroupInfo) {
        if let Some(fake) = lock(&self.sessions).get_mut(session_id) {
            fake.groups.push(group);
        }
    }

    /// Adds a received attachment.
    pub fn add_attachment(&self, session_id: &str, info: AttachmentInfo, data: Bytes) {
        if let Some(fake) = lock(&self.sessions).get_mut(session_id) {
            fake.attachments.push((info, data));
        }
    }

    /// Numbers that `check_numbers` reports as on WhatsApp.
    pub fn register_numbers(&self, phones: &[&str]) {
        lock(&self.registered).extend(phones.iter().map(|p| (*p).to_owned()));
    }

    /// Makes the next sends fail with these errors, in order.
    pub fn fail_next_sends(&self, errors: Vec<GatewayError>) {
        lock(&self.fail_sends).extend(errors);
    }

    /// Every send that reached the engine, in order.
    pub fn sends(&self) -> Vec<RecordedSend> {
        lock(&self.sends).clone()
    }

    /// Whether the engine runs the session.
    pub fn is_running(&self, session_id: &str) -> bool {
        lock(&self.sessions).contains_key(session_id)
    }

    fn connected(&self, session_id: &str) -> Result<()> {
        match lock(&self.sessions).get(session_id).map(|s| s.state.status) {
            Some(SessionStatus::Connected) => Ok(()),
            Some(SessionStatus::Reconnecting) => Err(GatewayError::SessionReconnecting),
            _ => Err(GatewayError::SessionNotConnected),
        }
    }

    fn group(&self, session_id: &str, group: &ChatJid) -> Result<GroupInfo> {
        self.connected(session_id)?;
        lock(&self.sessions)
            .get(session_id)
            .and_then(|s| s.groups.iter().find(|g| g.jid == group.as_str()).cloned())
            .ok_or(GatewayError::NotFound { what: "group" })
    }

    fn edit_group(&self, session_id: &str, group: &ChatJid, edit: impl FnOnce(&mut GroupInfo)) -> Result<()> {
        self.group(session_id, group)?;
        if let Some(found) = lock(&self.sessions)
            .get_mut(session_id)
            .and_then(|s| s.groups.iter_mut().find(|g| g.jid == group.as_str()))
        {
            edit(found);
        }
        Ok(())
    }
}

#[async_trait]
impl SessionEngine for RecordingEngine {
    fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        *lock(&self.sink) = Some(sink);
    }

    async fn start_session(&self, session: &SessionRef) -> Result<SessionState> {
        let starting = SessionState::with_status(SessionStatus::Starting);
        lock(&self.sessions).insert(
            session.session_id.clone(),
            FakeSession {
                session: session.clone(),
                state: starting.clone(),
                history: vec![],
                groups: vec![],
                attachments: vec![],
            },
        );
        let qr = SessionState {
            status: SessionStatus::QrReady,
            qr: Some(format!(
                "2@{},test-noise-key,test-identity-key,test-adv-secret",
                session.session_id
            )),
            phone: None,
            jid: None,
        };
        self.set_state(&session.session_id, qr).await?;
        Ok(starting)
    }

    async fn restore_session(&self, session: &SessionRef) -> Result<SessionState> {
        let state = lock(&self.linked)
            .get(&session.session_id)
            .cloned()
            .unwrap_or_else(|| SessionState::with_status(SessionStatus::Disconnected));
        lock(&self.sessions)
            .entry(session.session_id.clone())
            .or_insert_with(|| FakeSession {
                session: session.clone(),
                state: state.clone(),
                history: vec![],
                groups: vec![],
                attachments: vec![],
            });
        self.set_state(&session.session_id, state.clone()).await?;
        Ok(state)
    }

    async fn session_state(&self, session_id: &str) -> Result<SessionState> {
        Ok(lock(&self.sessions)
            .get(session_id)
            .map(|s| s.state.clone())
            .unwrap_or_else(|| SessionState::with_status(SessionStatus::Disconnected)))
    }

    async fn logout_session(&self, session_id: &str) -> Result<()> {
        lock(&self.linked).remove(session_id);
        let removed = lock(&self.sessions).remove(session_id);
        if let Some(fake) = removed {
            let state = SessionState::with_status(SessionStatus::Disconnected);
            self.emit(EngineEvent::SessionStatus {
                session: fake.session,
                state,
            })
            .await;
        }
        Ok(())
    }

    async fn stop_session(&self, session_id: &str) -> Result<()> {
        lock(&self.sessions).remove(session_id);
        Ok(())
    }

    async fn send_message(
        &self,
        session_id: &str,
        to: &ChatJid,
        content: OutgoingContent,
    ) -> Result<SentMessage> {
        self.connected(session_id)?;
        let failure = {
            let mut failures = lock(&self.fail_sends);
            (!failures.is_empty()).then(|| failures.remove(0))
        };
        if let Some(error) = failure {
            return Err(error);
        }
        let message_id = format!("3EB0{:016X}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let timestamp = now_ms() / 1000;
        let (message_type, text) = flatten(&content);
        let message = HistoryMessage {
            message_id: message_id.clone(),
            remote_jid: to.as_str().to_owned(),
            sender_jid: None,
            from_me: true,
            timestamp,
            message_type,
            text,
            status: Some(DeliveryStatus::Sent),
            raw: serde_json::json!({}),
        };
        lock(&self.sends).push(RecordedSend {
            session_id: session_id.to_owned(),
            to: to.as_str().to_owned(),
            content,
        });
        let session = {
            let mut sessions = lock(&self.sessions);
            let fake = sessions
                .get_mut(session_id)
                .ok_or(GatewayError::SessionNotConnected)?;
            fake.history.push(message.clone());
            fake.session.clone()
        };
        self.emit(EngineEvent::MessageSent { session, message }).await;
        Ok(SentMessage {
            message_id,
            timestamp,
        })
    }

    async fn check_numbers(&self, session_id: &str, phones: &[String]) -> Result<Vec<NumberCheck>> {
        self.connected(session_id)?;
        let registered = lock(&self.registered).clone();
        Ok(phones
            .iter()
            .map(|phone| {
                let exists = registered.contains(phone);
                NumberCheck {
                    phone: phone.clone(),
                    exists,
                    jid: exists.then(|| format!("{phone}@s.whatsapp.net")),
                }
            })
            .collect())
    }

    async fn list_groups(&self, session_id: &str) -> Result<Vec<GroupInfo>> {
        self.connected(session_id)?;
        Ok(lock(&self.sessions)
            .get(session_id)
            .map(|s| s.groups.clone())
            .unwrap_or_default())
    }

    async fn group_info(&self, session_id: &str, group: &ChatJid) -> Result<GroupInfo> {
        self.group(session_id, group)
    }

    async fn group_invite_code(&self, session_id: &str, group: &ChatJid) -> Result<String> {
        self.group(session_id, group)?;
        Ok(format!("INVITE{}", &group.as_str()[..6]))
    }

    async fn create_group(
        &self,
        session_id: &str,
        subject: &str,
        participants: &[ChatJid],
    ) -> Result<GroupInfo> {
        self.connected(session_id)?;
        let jid = format!("1203630{:013}@g.us", self.next_id.fetch_add(1, Ordering::Relaxed));
        let members: Vec<GroupParticipant> = participants
            .iter()
            .map(|p| GroupParticipant {
                jid: p.as_str().to_owned(),
                phone: p.as_str().split('@').next().map(str::to_owned),
                role: ParticipantRole::Member,
            })
            .collect();
        let group = GroupInfo {
            jid,
            subject: subject.to_owned(),
            description: None,
            owner: None,
            created_at: Some(now_ms() / 1000),
            size: members.len() as u32,
            participants: members,
        };
        self.add_group(session_id, group.clone());
        Ok(group)
    }

    async fn set_group_subject(&self, session_id: &str, group: &ChatJid, subject: &str) -> Result<()> {
        self.edit_group(session_id, group, |g| g.subject = subject.to_owned())
    }

    async fn set_group_description(
        &self,
        session_id: &str,
        group: &ChatJid,
        description: Option<&str>,
    ) -> Result<()> {
        self.edit_group(session_id, group, |g| {
            g.description = description.map(str::to_owned)
        })
    }

    async fn update_group_participants(
        &self,
        session_id: &str,
        group: &ChatJid,
        action: ParticipantAction,
        participants: &[ChatJid],
    ) -> Result<Vec<ParticipantResult>> {
        let mut results = Vec::new();
        self.edit_group(session_id, group, |g| {
            for p in participants {
                let present = g.participants.iter().any(|m| m.jid == p.as_str());
                let (status, success) = match (action, present) {
                    (ParticipantAction::Add, false) => {
                        g.participants.push(GroupParticipant {
                            jid: p.as_str().to_owned(),
                            phone: p.as_str().split('@').next().map(str::to_owned),
                            role: ParticipantRole::Member,
                        });
                        ("200", true)
                    }
                    (ParticipantAction::Add, true) => ("409", false),
                    (ParticipantAction::Remove, true) => {
                        g.participants.retain(|m| m.jid != p.as_str());
                        ("200", true)
                    }
                    (ParticipantAction::Remove, false) => ("404", false),
                };
                results.push(ParticipantResult {
                    jid: p.as_str().to_owned(),
                    status: status.to_owned(),
                    success,
                });
            }
            g.size = g.participants.len() as u32;
        })?;
        Ok(results)
    }

    async fn leave_group(&self, session_id: &str, group: &ChatJid) -> Result<()> {
        self.group(session_id, group)?;
        if let Some(fake) = lock(&self.sessions).get_mut(session_id) {
            fake.groups.retain(|g| g.jid != group.as_str());
        }
        Ok(())
    }

    async fn history(&self, session_id: &str, query: &HistoryQuery) -> Result<HistoryPage> {
        let mut matches: Vec<HistoryMessage> = lock(&self.sessions)
            .get(session_id)
            .map(|s| s.history.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|m| query.remote_jid.as_ref().is_none_or(|j| *j == m.remote_jid))
            .filter(|m| query.start_ms.is_none_or(|start| m.timestamp * 1000 >= start))
            .filter(|m| query.end_ms.is_none_or(|end| m.timestamp * 1000 <= end))
            .filter(|m| {
                query.search.as_ref().is_none_or(|needle| {
                    m.text
                        .as_ref()
                        .is_some_and(|t| t.to_lowercase().contains(&needle.to_lowercase()))
                })
            })
            .collect();
        matches.sort_by_key(|m| std::cmp::Reverse(m.timestamp));
        let total = matches.len() as u64;
        let messages = matches
            .into_iter()
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .collect();
        Ok(HistoryPage { messages, total })
    }

    async fn attachments(&self, session_id: &str, query: &AttachmentQuery) -> Result<AttachmentPage> {
        let found: Vec<AttachmentInfo> = lock(&self.sessions)
            .get(session_id)
            .map(|s| s.attachments.iter().map(|(info, _)| info.clone()).collect())
            .unwrap_or_default();
        let found: Vec<AttachmentInfo> = found
            .into_iter()
            .filter(|a| query.remote_jid.as_ref().is_none_or(|j| *j == a.remote_jid))
            .filter(|a| query.media_type.is_none_or(|t| t == a.media_type))
            .collect();
        let total = found.len() as u64;
        let attachments = found
            .into_iter()
            .skip(query.offset as usize)
            .take(query.limit as usize)
            .collect();
        Ok(AttachmentPage { attachments, total })
    }

    async fn download_attachment(&self, session_id: &str, attachment_id: &str) -> Result<AttachmentFile> {
        lock(&self.sessions)
            .get(session_id)
            .and_then(|s| s.attachments.iter().find(|(info, _)| info.id == attachment_id))
            .map(|(info, data)| AttachmentFile {
                mimetype: info
                    .mimetype
                    .clone()
                    .unwrap_or_else(|| info.media_type.fallback_mimetype().to_owned()),
                file_name: info.file_name.clone(),
                data: data.clone(),
            })
            .ok_or(GatewayError::NotFound { what: "attachment" })
    }
}
