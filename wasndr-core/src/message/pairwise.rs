//! Pairwise (1:1 session) encryption for one step over several devices, collecting the record changes.

use std::collections::HashMap;

use rand_core::CryptoRng;

use super::records::{OwnDevice, Records, protocol_address};
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::jid::Jid;
use crate::signal::session::{self, CiphertextMessage, SessionRecord};
use crate::signal::{PreKeyBundle, ProtocolAddress};
use crate::store::Changes;

/// How a device's session is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionChoice<'a> {
    /// The stored session, or one built from `bundle` when there is none.
    Existing(Option<&'a PreKeyBundle>),
    /// A new session from this bundle, replacing (archiving) the stored one.
    Fresh(&'a PreKeyBundle),
}

/// The sessions and identities one step has touched, over the records it read.
pub(crate) struct SessionWork<'r> {
    records: &'r Records,
    sessions: HashMap<ProtocolAddress, SessionRecord>,
    identities: HashMap<ProtocolAddress, PublicKey>,
    pub(crate) identity_changes: Vec<ProtocolAddress>,
}

impl<'r> SessionWork<'r> {
    pub(crate) fn new(records: &'r Records) -> SessionWork<'r> {
        SessionWork {
            records,
            sessions: HashMap::new(),
            identities: HashMap::new(),
            identity_changes: Vec::new(),
        }
    }

    pub(crate) fn session(&self, address: &ProtocolAddress) -> Option<&SessionRecord> {
        self.sessions
            .get(address)
            .or_else(|| self.records.sessions.get(address))
    }

    pub(crate) fn set_session(&mut self, address: ProtocolAddress, record: SessionRecord) {
        self.sessions.insert(address, record);
    }

    /// Trust-on-first-use, accepting changes: WhatsApp identities change when a peer reinstalls, and the
    /// server is the authority on the current one. A change is reported so the caller can tell the user.
    pub(crate) fn note_identity(&mut self, address: &ProtocolAddress, identity: &PublicKey) {
        let known = self
            .identities
            .get(address)
            .or_else(|| self.records.identities.get(address));
        match known {
            Some(known) if known.ct_eq(identity) => {}
            Some(_) => {
                self.identity_changes.push(address.clone());
                self.identities.insert(address.clone(), *identity);
            }
            None => {
                self.identities.insert(address.clone(), *identity);
            }
        }
    }

    /// Encrypts `padded` for `device`.
    pub(crate) fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        own: &OwnDevice<'_>,
        device: &Jid,
        choice: SessionChoice<'_>,
        padded: &[u8],
        rng: &mut R,
    ) -> Result<CiphertextMessage> {
        let address = protocol_address(device);
        let existing = self
            .session(&address)
            .filter(|r| r.current().is_some_and(|s| s.can_encrypt()));
        // The working copy this step will persist: the stored record copied once, or a new session.
        let (mut record, identity) = match (choice, existing) {
            (SessionChoice::Existing(_), Some(record)) => {
                let identity = *record
                    .current()
                    .ok_or(Error::NoSession("no current session"))?
                    .remote_identity();
                (record.clone(), identity)
            }
            (SessionChoice::Existing(Some(bundle)), None) | (SessionChoice::Fresh(bundle), _) => {
                let record = session::initiate(self.session(&address), own.local(), bundle, rng)?;
                (record, bundle.identity_key)
            }
            (SessionChoice::Existing(None), None) => {
                return Err(Error::NoSession("no session with this device and no bundle"));
            }
        };
        let message = session::encrypt_in_place(&mut record, padded)?;
        self.note_identity(&address, &identity);
        self.sessions.insert(address, record);
        Ok(message)
    }

    /// Moves the touched sessions and identities into `changes`.
    pub(crate) fn finish(self, changes: &mut Changes) -> Vec<ProtocolAddress> {
        changes.sessions.extend(self.sessions);
        changes.identities.extend(self.identities);
        self.identity_changes
    }
}
