//! Locations and sessions: provisioning, listing, QR and status, archiving and deletion.

use crate::api::{
    CreateLocation, CreateSession, ListLocationsQuery, ListSessionsQuery, LocationView, SessionStatusView,
    SessionView,
};
use crate::clock::{now_ms, to_rfc3339};
use crate::engine::SessionStatus;
use crate::error::{GatewayError, Result};
use crate::ids::{is_uuid, new_uuid};
use crate::scope::Scope;
use crate::store::{LocationRecord, SessionInsert, SessionRecord};

use super::{Caller, Gateway, Listed, display_name, page, session_ref};

fn location_view(record: LocationRecord) -> LocationView {
    LocationView {
        location_uuid: record.id,
        name: record.name,
        created_at: to_rfc3339(record.created_at),
        archived_at: record.archived_at.map(to_rfc3339),
    }
}

fn session_view(record: SessionRecord) -> SessionView {
    SessionView {
        session_id: record.id,
        location_uuid: record.location_id,
        name: record.name,
        status: record.status,
        phone: record.phone,
        jid: record.jid,
        created_at: to_rfc3339(record.created_at),
    }
}

impl Gateway {
    /// `POST /locations` (`sessions:write`).
    pub async fn create_location(&self, caller: &Caller, request: CreateLocation) -> Result<LocationView> {
        caller.require(Scope::SessionsWrite)?;
        let record = LocationRecord {
            id: new_uuid(),
            account_id: caller.account.id.clone(),
            name: display_name("name", &request.name)?,
            created_at: now_ms(),
            archived_at: None,
        };
        self.store.create_location(&record).await?;
        Ok(location_view(record))
    }

    /// `GET /locations` (`sessions:read`).
    pub async fn list_locations(
        &self,
        caller: &Caller,
        query: ListLocationsQuery,
    ) -> Result<Listed<LocationView>> {
        caller.require(Scope::SessionsRead)?;
        let page = page(query.limit, query.offset)?;
        let (rows, total) = self
            .store
            .list_locations(&caller.account.id, query.include_archived.unwrap_or(false), page)
            .await?;
        Ok(Listed::new(
            rows.into_iter().map(location_view).collect(),
            page,
            total,
        ))
    }

    /// `DELETE /locations/{uuid}` (`sessions:write`): archives it, logs out and stops its sessions (their
    /// slots are free at once). 404 for an unknown, foreign or already archived location.
    pub async fn archive_location(&self, caller: &Caller, location_id: &str) -> Result<LocationView> {
        caller.require(Scope::SessionsWrite)?;
        let not_found = GatewayError::NotFound { what: "location" };
        if !is_uuid(location_id) {
            return Err(not_found);
        }
        let sessions = self
            .store
            .archive_location(&caller.account.id, location_id, now_ms())
            .await?
            .ok_or(not_found)?;
        for session in sessions {
            if let Err(error) = self.engine.logout_session(&session.id).await {
                tracing::warn!(session = %session.id, %error, "logging out a session of an archived location failed");
            }
        }
        let record = self.store.get_location(&caller.account.id, location_id).await?;
        record
            .map(location_view)
            .ok_or(GatewayError::NotFound { what: "location" })
    }

    /// `POST /sessions` (`sessions:write`): records the session within the plan's session limit and starts
    /// pairing; the answer's status is `starting`, then poll the QR.
    pub async fn create_session(&self, caller: &Caller, request: CreateSession) -> Result<SessionView> {
        caller.require(Scope::SessionsWrite)?;
        let name = display_name("name", &request.name)?;
        let location_id = request.location_uuid.trim();
        if location_id.is_empty() {
            return Err(GatewayError::invalid(
                "locationUuid",
                "required: the id from POST /api/v1/locations",
            ));
        }
        if !is_uuid(location_id) {
            return Err(GatewayError::NotFound { what: "location" });
        }
        let mut record = SessionRecord {
            id: new_uuid(),
            account_id: caller.account.id.clone(),
            location_id: location_id.to_owned(),
            name,
            status: SessionStatus::Starting,
            phone: None,
            jid: None,
            created_at: now_ms(),
        };
        match self
            .store
            .create_session_within_limit(&record, caller.plan.sessions)
            .await?
        {
            SessionInsert::Created => {}
            SessionInsert::LimitReached => {
                return Err(GatewayError::SessionLimitReached {
                    limit: caller.plan.sessions,
                });
            }
            SessionInsert::NoSuchLocation => return Err(GatewayError::NotFound { what: "location" }),
        }
        match self.engine.start_session(&session_ref(&record)).await {
            Ok(state) => record.status = state.status,
            Err(error) => {
                // Nothing runs for it: give the slot back rather than leave a dead session.
                if let Err(cleanup) = self.store.delete_session(&caller.account.id, &record.id).await {
                    tracing::error!(session = %record.id, %cleanup, "removing a session that failed to start failed");
                }
                return Err(error);
            }
        }
        Ok(session_view(record))
    }

    /// `GET /sessions` (`sessions:read`).
    pub async fn list_sessions(
        &self,
        caller: &Caller,
        query: ListSessionsQuery,
    ) -> Result<Listed<SessionView>> {
        caller.require(Scope::SessionsRead)?;
        let page = page(query.limit, query.offset)?;
        let location = query
            .location_uuid
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty());
        let (rows, total) = self
            .store
            .list_sessions(&caller.account.id, location, page)
            .await?;
        Ok(Listed::new(
            rows.into_iter().map(session_view).collect(),
            page,
            total,
        ))
    }

    /// `GET /sessions/{id}/status` and, with `qr_text`, `GET /sessions/{id}/qr` (`sessions:read`). Reads
    /// live state from the engine; only the send limit never applies here.
    pub async fn session_status(&self, caller: &Caller, session_id: &str) -> Result<SessionStatusView> {
        caller.require(Scope::SessionsRead)?;
        let record = self.own_session(caller, session_id).await?;
        let state = self.engine.session_state(&record.id).await?;
        Ok(SessionStatusView {
            session_id: record.id,
            status: state.status,
            phone: state.phone.or(record.phone),
            jid: state.jid.or(record.jid),
            qr_text: if state.status == SessionStatus::QrReady {
                state.qr
            } else {
                None
            },
        })
    }

    /// `DELETE /sessions/{id}` (`sessions:write`): unlinks the device, deletes its keys, frees the slot.
    pub async fn delete_session(&self, caller: &Caller, session_id: &str) -> Result<SessionView> {
        caller.require(Scope::SessionsWrite)?;
        let record = self.own_session(caller, session_id).await?;
        match self.engine.logout_session(&record.id).await {
            Ok(()) | Err(GatewayError::SessionNotConnected) => {}
            Err(error) => return Err(error),
        }
        self.store.delete_session(&caller.account.id, &record.id).await?;
        let mut view = session_view(record);
        view.status = SessionStatus::Disconnected;
        Ok(view)
    }

    /// The account's only connected session, for callers that may omit `sessionId` (MCP tools): an
    /// `invalid_request` naming `sessionId` when there is none or more than one. Scope `sessions:read`
    /// is not required: the operation the caller asked for checks its own scope.
    pub async fn sole_connected_session(&self, caller: &Caller) -> Result<String> {
        let page = crate::store::Page {
            limit: 500,
            offset: 0,
        };
        let (sessions, _) = self.store.list_sessions(&caller.account.id, None, page).await?;
        let connected: Vec<SessionRecord> = sessions
            .into_iter()
            .filter(|s| s.status == SessionStatus::Connected)
            .collect();
        match connected.as_slice() {
            [only] => Ok(only.id.clone()),
            [] => Err(GatewayError::invalid(
                "sessionId",
                "required: the account has no connected session",
            )),
            many => Err(GatewayError::invalid(
                "sessionId",
                format!(
                    "required: the account has {} connected sessions; pick one from list_sessions",
                    many.len()
                ),
            )),
        }
    }
}
