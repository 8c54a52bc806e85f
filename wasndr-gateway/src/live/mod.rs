//! The production engine: one `wasndr-core` [`Client`] per session over a `wasndr-store`
//! [`StoreContainer`], with a supervisor task per session (feature `live`).
//!
//! - `start_session` allocates a device in the container, records which session owns it
//!   ([`SessionDirectory`]), and connects: QR codes become `qr_ready` states; after the scan the client
//!   logs in and the session is `connected`. Codes that run out are renewed [`LiveOptions::qr_rounds`]
//!   times, then the session is `disconnected`.
//! - `restore_session` reopens the session's device: a linked one logs in again without a QR, one that
//!   was still pairing shows fresh codes, and one whose device is gone (unlinked) is `disconnected`.
//! - `logout_session` unlinks the device (`Client::logout`), deletes it and forgets the mapping;
//!   `stop_session` disconnects and keeps everything.
//! - History and attachments are read straight from the device's store, also while it is offline.
//!
//! The client persists an incoming message, then awaits this engine's message gate ([`gate`]), which
//! delivers the matching event to the gateway's sink, and only then acknowledges it to WhatsApp.

mod directory;
mod errors;
mod gate;
mod groups;
mod history;
mod outgoing;
mod supervisor;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use async_trait::async_trait;
use wasndr_core::client::{Client, ClientConfig, ConnectionState};
use wasndr_core::store::Store;
use wasndr_store::{DeviceId, StoreContainer};

#[cfg(feature = "postgres")]
pub use directory::PostgresDirectory;
#[cfg(feature = "sqlite")]
pub use directory::SqliteDirectory;
pub use directory::{MemoryDirectory, SessionDirectory};

use crate::engine::*;
use crate::error::{GatewayError, Result};
use crate::phone::ChatJid;
use errors::{core_error, store_error};
use supervisor::LiveSession;

/// How the engine's clients connect.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Every session's client configuration: the server URL and trust root (WhatsApp's by default, the
    /// simulator's in sandbox mode), keepalive, reconnect policy.
    pub client: ClientConfig,
    /// How many times a session whose pairing codes all expired starts over with fresh codes before it
    /// ends `disconnected` (each round is about 160 s of codes with WhatsApp's timings).
    pub qr_rounds: u32,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            client: ClientConfig::default(),
            qr_rounds: 2,
        }
    }
}

/// See the module documentation.
pub struct LiveEngine {
    devices: Arc<dyn StoreContainer>,
    directory: Arc<dyn SessionDirectory>,
    options: LiveOptions,
    sink: OnceLock<Arc<dyn EventSink>>,
    sessions: Mutex<HashMap<String, Arc<LiveSession>>>,
    /// Starting and restoring run one at a time, so one session never gets two clients.
    starting: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for LiveEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveEngine")
            .field("url", &self.options.client.url)
            .field("sessions", &lock(&self.sessions).len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is one map operation: a poisoned map is still whole.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A gateway JID (already validated) as a core one.
fn core_jid(jid: &ChatJid) -> Result<wasndr_core::jid::Jid> {
    wasndr_core::jid::Jid::parse(jid.as_str())
        .map_err(|_| GatewayError::invalid("jid", format!("{:?} is not a JID", jid.as_str())))
}

impl LiveEngine {
    /// An engine over `devices`, remembering session ids → devices in `directory`.
    pub fn new(
        devices: Arc<dyn StoreContainer>,
        directory: Arc<dyn SessionDirectory>,
        options: LiveOptions,
    ) -> Arc<LiveEngine> {
        Arc::new(LiveEngine {
            devices,
            directory,
            options,
            sink: OnceLock::new(),
            sessions: Mutex::new(HashMap::new()),
            starting: tokio::sync::Mutex::new(()),
        })
    }

    /// An engine whose devices live in memory (tests; nothing survives the process).
    pub fn in_memory(options: LiveOptions) -> Arc<LiveEngine> {
        LiveEngine::new(
            Arc::new(wasndr_store::MemoryContainer::default()),
            Arc::new(MemoryDirectory::default()),
            options,
        )
    }

    /// An engine over the SQLite device database at `path` (created if missing).
    #[cfg(feature = "sqlite")]
    pub async fn open_sqlite(path: &std::path::Path, options: LiveOptions) -> Result<Arc<LiveEngine>> {
        let container = wasndr_store::SqliteContainer::open(path)
            .await
            .map_err(store_error)?;
        let directory = SqliteDirectory::new(container.pool().clone()).await?;
        Ok(LiveEngine::new(Arc::new(container), Arc::new(directory), options))
    }

    /// An engine over the PostgreSQL database at `url` (device tables are prefixed `wa_`, so they may
    /// share the gateway's database).
    #[cfg(feature = "postgres")]
    pub async fn connect_postgres(url: &str, options: LiveOptions) -> Result<Arc<LiveEngine>> {
        let container = wasndr_store::PostgresContainer::connect(url)
            .await
            .map_err(store_error)?;
        let directory = PostgresDirectory::new(container.pool().clone()).await?;
        Ok(LiveEngine::new(Arc::new(container), Arc::new(directory), options))
    }

    /// The client of a running session (for the sandbox's and tests' direct use).
    pub fn client(&self, session_id: &str) -> Option<Client> {
        lock(&self.sessions)
            .get(session_id)
            .map(|live| live.client.clone())
    }

    fn running(&self, session_id: &str) -> Option<Arc<LiveSession>> {
        lock(&self.sessions).get(session_id).cloned()
    }

    /// The client of a session that can send now, or the error that says why not.
    fn connected(&self, session_id: &str) -> Result<Arc<LiveSession>> {
        let live = self
            .running(session_id)
            .ok_or(GatewayError::SessionNotConnected)?;
        match live.client.state() {
            ConnectionState::Connected => Ok(live),
            ConnectionState::Reconnecting | ConnectionState::Connecting | ConnectionState::LoggingIn
                if live.state().jid.is_some() =>
            {
                Err(GatewayError::SessionReconnecting)
            }
            _ => Err(GatewayError::SessionNotConnected),
        }
    }

    /// The store of a session's device, running or not.
    async fn device_store(&self, session_id: &str) -> Result<Option<Arc<dyn Store>>> {
        if let Some(live) = self.running(session_id) {
            return Ok(Some(live.client.store().clone()));
        }
        let Some(device) = self.directory.device_of(session_id).await? else {
            return Ok(None);
        };
        match self.devices.open_device(device).await {
            Ok(store) => Ok(Some(store)),
            Err(wasndr_core::store::StoreError::Invalid(_)) => Ok(None),
            Err(error) => Err(store_error(error)),
        }
    }

    /// A session whose device is gone: reported `disconnected`, so the gateway's stored status (perhaps
    /// `connected` from before a restart) follows.
    async fn stays_down(&self, session: &SessionRef) -> SessionState {
        let state = SessionState::with_status(SessionStatus::Disconnected);
        if let Some(sink) = self.sink.get() {
            sink.deliver(EngineEvent::SessionStatus {
                session: session.clone(),
                state: state.clone(),
            })
            .await;
        }
        state
    }

    /// Builds the session's client over `store`, starts its supervisor and connects.
    async fn run(
        &self,
        session: &SessionRef,
        device: DeviceId,
        store: Arc<dyn Store>,
        initial: SessionState,
    ) -> Result<SessionState> {
        let mut builder = Client::builder(store).config(self.options.client.clone());
        if let Some(sink) = self.sink.get() {
            builder = builder.message_gate(Arc::new(gate::SinkGate {
                session: session.clone(),
                sink: sink.clone(),
            }));
        }
        let (client, events) = builder.build();
        let live = LiveSession::new(session.clone(), device, client.clone(), initial);
        live.supervise(events, self.sink.get().cloned(), self.options.qr_rounds);
        lock(&self.sessions).insert(session.session_id.clone(), live.clone());
        if let Err(error) = client.connect().await {
            lock(&self.sessions).remove(&session.session_id);
            live.end();
            return Err(core_error(error));
        }
        Ok(live.state())
    }
}

#[async_trait]
impl SessionEngine for LiveEngine {
    fn set_event_sink(&self, sink: Arc<dyn EventSink>) {
        if self.sink.set(sink).is_err() {
            tracing::warn!("the engine's event sink was set twice; keeping the first");
        }
    }

    async fn start_session(&self, session: &SessionRef) -> Result<SessionState> {
        let _turn = self.starting.lock().await;
        if let Some(live) = self.running(&session.session_id) {
            return Ok(live.state());
        }
        let device = self.devices.create_device().await.map_err(store_error)?;
        self.directory.assign(&session.session_id, device).await?;
        let store = self.devices.open_device(device).await.map_err(store_error)?;
        self.run(
            session,
            device,
            store,
            SessionState::with_status(SessionStatus::Starting),
        )
        .await
    }

    async fn restore_session(&self, session: &SessionRef) -> Result<SessionState> {
        let _turn = self.starting.lock().await;
        if let Some(live) = self.running(&session.session_id) {
            return Ok(live.state());
        }
        let Some(device) = self.directory.device_of(&session.session_id).await? else {
            // Never started by this engine (or its device database was replaced): nothing to say
            // about it beyond the answer.
            return Ok(SessionState::with_status(SessionStatus::Disconnected));
        };
        let store = match self.devices.open_device(device).await {
            Ok(store) => store,
            Err(wasndr_core::store::StoreError::Invalid(_)) => return Ok(self.stays_down(session).await),
            Err(error) => return Err(store_error(error)),
        };
        // A wiped device (unlinked from the phone while we were away, or logged out) stays down: it
        // needs a new session, not a silent new pairing. A device still pairing (no JID) and a linked
        // one both run: the first shows fresh codes, the second logs in without a QR.
        let Some(stored) = store.load_device().await.map_err(store_error)? else {
            return Ok(self.stays_down(session).await);
        };
        let initial = match &stored.jid {
            Some(jid) => supervisor::identity(SessionStatus::Starting, jid),
            None => SessionState::with_status(SessionStatus::Starting),
        };
        self.run(session, device, store, initial).await
    }

    async fn session_state(&self, session_id: &str) -> Result<SessionState> {
        Ok(self.running(session_id).map_or_else(
            || SessionState::with_status(SessionStatus::Disconnected),
            |live| live.state(),
        ))
    }

    async fn logout_session(&self, session_id: &str) -> Result<()> {
        let live = lock(&self.sessions).remove(session_id);
        if let Some(live) = &live {
            live.silence();
            // Unlinking needs a connection; a session that is not connected is still deleted below,
            // and the phone drops a companion that never comes back on its own.
            if let Err(error) = live.client.logout().await {
                tracing::warn!(session = session_id, %error, "unlinking the device from WhatsApp failed");
            }
            live.end();
        }
        let device = match &live {
            Some(live) => Some(live.device),
            None => self.directory.device_of(session_id).await?,
        };
        if let Some(device) = device {
            self.devices.delete_device(device).await.map_err(store_error)?;
        }
        self.directory.forget(session_id).await?;
        if let (Some(live), Some(sink)) = (live, self.sink.get()) {
            sink.deliver(EngineEvent::SessionStatus {
                session: live.session.clone(),
                state: SessionState::with_status(SessionStatus::Disconnected),
            })
            .await;
        }
        Ok(())
    }

    async fn stop_session(&self, session_id: &str) -> Result<()> {
        let live = lock(&self.sessions).remove(session_id);
        if let Some(live) = live {
            live.silence();
            live.client.disconnect().await;
            live.end();
        }
        Ok(())
    }

    async fn send_message(
        &self,
        session_id: &str,
        to: &ChatJid,
        content: OutgoingContent,
    ) -> Result<SentMessage> {
        let live = self.connected(session_id)?;
        let jid = core_jid(to)?;
        let sent = outgoing::send(&live.client, &jid, content).await?;
        // The client stored the message (pending, then sent on the server's ack) before writing it. Read
        // back only for an event someone receives: with no webhook and no stream that read is skipped.
        let sink = match self.sink.get() {
            Some(sink) if sink.wants(&live.session, "message.sent").await => Some(sink),
            _ => None,
        };
        let stored = match sink {
            Some(_) => live
                .client
                .store()
                .message(&sent.to, &sent.id)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        if let (Some(stored), Some(sink)) = (stored, sink) {
            sink.deliver(EngineEvent::MessageSent {
                session: live.session.clone(),
                message: history::history_message(&stored),
            })
            .await;
        }
        Ok(SentMessage {
            message_id: sent.id,
            timestamp: i64::try_from(sent.timestamp).unwrap_or(i64::MAX),
        })
    }

    async fn check_numbers(&self, session_id: &str, phones: &[String]) -> Result<Vec<NumberCheck>> {
        let live = self.connected(session_id)?;
        let statuses = live.client.is_on_whatsapp(phones).await.map_err(core_error)?;
        Ok(statuses
            .into_iter()
            .map(|status| NumberCheck {
                phone: status.phone,
                exists: status.registered,
                jid: status.jid.map(|jid| jid.to_string()),
            })
            .collect())
    }

    async fn list_groups(&self, session_id: &str) -> Result<Vec<GroupInfo>> {
        let live = self.connected(session_id)?;
        let joined = live.client.joined_groups().await.map_err(core_error)?;
        Ok(joined.iter().map(groups::group_info).collect())
    }

    async fn group_info(&self, session_id: &str, group: &ChatJid) -> Result<GroupInfo> {
        let live = self.connected(session_id)?;
        let metadata = live
            .client
            .group_info(&core_jid(group)?)
            .await
            .map_err(groups::group_error)?;
        Ok(groups::group_info(&metadata))
    }

    async fn group_invite_code(&self, session_id: &str, group: &ChatJid) -> Result<String> {
        let live = self.connected(session_id)?;
        live.client
            .group_invite_code(&core_jid(group)?)
            .await
            .map_err(groups::group_error)
    }

    async fn create_group(
        &self,
        session_id: &str,
        subject: &str,
        participants: &[ChatJid],
    ) -> Result<GroupInfo> {
        let live = self.connected(session_id)?;
        let members = participants.iter().map(core_jid).collect::<Result<Vec<_>>>()?;
        let metadata = live
            .client
            .create_group(subject, &members)
            .await
            .map_err(core_error)?;
        Ok(groups::group_info(&metadata))
    }

    async fn set_group_subject(&self, session_id: &str, group: &ChatJid, subject: &str) -> Result<()> {
        let live = self.connected(session_id)?;
        live.client
            .set_group_subject(&core_jid(group)?, subject)
            .await
            .map_err(groups::group_error)
    }

    async fn set_group_description(
        &self,
        session_id: &str,
        group: &ChatJid,
        description: Option<&str>,
    ) -> Result<()> {
        let live = self.connected(session_id)?;
        live.client
            .set_group_description(&core_jid(group)?, description)
            .await
            .map_err(groups::group_error)
    }

    async fn update_group_participants(
        &self,
        session_id: &str,
        group: &ChatJid,
        action: ParticipantAction,
        participants: &[ChatJid],
    ) -> Result<Vec<ParticipantResult>> {
        let live = self.connected(session_id)?;
        let members = participants.iter().map(core_jid).collect::<Result<Vec<_>>>()?;
        let answered = live
            .client
            .update_group_participants(&core_jid(group)?, groups::action(action), &members)
            .await
            .map_err(groups::group_error)?;
        Ok(groups::results(&members, &answered))
    }

    async fn leave_group(&self, session_id: &str, group: &ChatJid) -> Result<()> {
        let live = self.connected(session_id)?;
        live.client
            .leave_group(&core_jid(group)?)
            .await
            .map_err(groups::group_error)
    }

    async fn history(&self, session_id: &str, query: &HistoryQuery) -> Result<HistoryPage> {
        let Some(store) = self.device_store(session_id).await? else {
            return Ok(HistoryPage::default());
        };
        let Some(query) = history::history_query(query)? else {
            return Ok(HistoryPage::default());
        };
        let page = store.messages(&query).await.map_err(store_error)?;
        Ok(HistoryPage {
            messages: page.items.iter().map(history::history_message).collect(),
            total: page.total,
        })
    }

    async fn attachments(&self, session_id: &str, query: &AttachmentQuery) -> Result<AttachmentPage> {
        let Some(store) = self.device_store(session_id).await? else {
            return Ok(AttachmentPage::default());
        };
        let query = history::attachment_query(query)?;
        let page = store.attachments(&query).await.map_err(store_error)?;
        Ok(AttachmentPage {
            attachments: page.items.iter().filter_map(history::attachment_info).collect(),
            total: page.total,
        })
    }

    async fn download_attachment(&self, session_id: &str, attachment_id: &str) -> Result<AttachmentFile> {
        let not_found = GatewayError::NotFound { what: "attachment" };
        let (chat, message_id) = history::parse_attachment_id(attachment_id).ok_or(not_found)?;
        let store = self
            .device_store(session_id)
            .await?
            .ok_or(GatewayError::NotFound { what: "attachment" })?;
        let stored = store.message(&chat, &message_id).await.map_err(store_error)?;
        let Some(media) = stored.and_then(|m| m.media) else {
            return Err(GatewayError::NotFound { what: "attachment" });
        };
        // The file is fetched from WhatsApp's media hosts with the connection's media grant.
        let live = self.connected(session_id)?;
        let data = live
            .client
            .download_media(&media)
            .await
            .map_err(|error| match error {
                wasndr_core::Error::NotConnected => GatewayError::SessionNotConnected,
                other => GatewayError::WhatsApp {
                    code: "media".to_owned(),
                    message: format!("downloading the attachment failed: {other}"),
                },
            })?;
        Ok(AttachmentFile {
            mimetype: media
                .mimetype
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            file_name: media.file_name,
            data: data.into(),
        })
    }
}
