//! All sessions with one peer device: the current one plus archived ones that may still receive
//! in-flight messages.

use std::sync::Arc;

use super::SessionState;
use crate::crypto::PublicKey;

/// Archived states kept per record (libsignal-node `CLOSED_SESSIONS_MAX`, go.mau.fi/libsignal
/// `archivedStatesMaxLength`).
pub const MAX_ARCHIVED_STATES: usize = 40;

/// The session record of one peer device.
///
/// A new session (we process a bundle, or a prekey message with an unknown base key arrives) becomes
/// current and the old current one is archived, newest first, at most [`MAX_ARCHIVED_STATES`]. Messages
/// are encrypted with the current state only; decryption tries the current state, then the archived
/// ones, so messages the peer sent on an older session before it saw the new one still decrypt. As in
/// libsignal-node, an archived state that decrypts a message stays archived: the current session is
/// the one both sides converge on.
///
/// The archive sits behind an `Arc`, so cloning a record (which every operation does to return an
/// updated copy) copies only the current state.
#[derive(Clone, Default)]
pub struct SessionRecord {
    pub(crate) current: Option<SessionState>,
    pub(crate) previous: Arc<Vec<SessionState>>,
}

impl SessionRecord {
    /// The current session, if any.
    pub fn current(&self) -> Option<&SessionState> {
        self.current.as_ref()
    }

    /// Archived sessions, newest first.
    pub fn archived(&self) -> &[SessionState] {
        &self.previous
    }

    /// Whether there is a current session to encrypt with.
    pub fn has_current_session(&self) -> bool {
        self.current.as_ref().is_some_and(SessionState::can_encrypt)
    }

    /// Archives the current session, so the next send must start a new one (libsignal-node's
    /// `closeOpenSession`; used when a peer re-registered).
    pub fn archive_current_session(&mut self) {
        if let Some(current) = self.current.take() {
            self.push_archived(current);
        }
    }

    /// Makes `state` current and archives the previous current state.
    pub(crate) fn promote_new(&mut self, state: SessionState) {
        if let Some(old) = self.current.replace(state) {
            self.push_archived(old);
        }
    }

    fn push_archived(&mut self, state: SessionState) {
        let previous = Arc::make_mut(&mut self.previous);
        previous.insert(0, state);
        previous.truncate(MAX_ARCHIVED_STATES);
    }

    /// Where the state whose (their) base key is `base_key` sits: `None` = current, `Some(i)` =
    /// archived at `i`. Our own base keys never match: a prekey message carrying one is a reflection.
    pub(crate) fn find_by_their_base_key(&self, base_key: &PublicKey) -> Option<Option<usize>> {
        let matches = |s: &SessionState| !s.base_key_is_ours && s.base_key == *base_key;
        if self.current.as_ref().is_some_and(matches) {
            return Some(None);
        }
        self.previous.iter().position(matches).map(Some)
    }
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("current", &self.current.as_ref().map(|s| s.base_key))
            .field("archived", &self.previous.len())
            .finish()
    }
}
