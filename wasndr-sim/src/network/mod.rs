//! The simulated network's state: accounts with their devices and published keys, who is connected,
//! offline queues, waiting companions, groups and media. One `Network` sits behind a mutex; every
//! operation holds it briefly and never across an `.await`.

mod account;
mod group;
pub(crate) mod registration;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tokio::sync::mpsc;
use wasndr_core::binary::Node;
use wasndr_core::jid::Jid;

pub(crate) use account::{Account, Device, DeviceKeys, SignedPreKeyPublic};
pub(crate) use group::{Group, Role};
pub(crate) use registration::{PendingPair, Registration};

use crate::phone::Phone;

/// What a connection task is told to do.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Send this stanza.
    Node(Node),
    /// Send this stanza (usually a `stream:error`), if any, then close.
    Close(Option<Node>),
}

/// Where a connected device's stanzas go: its connection task, or a virtual phone's inbox.
pub(crate) type Outbox = mpsc::UnboundedSender<Outbound>;

/// A logged-in device's live connection.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Identifies the connection, so a closing connection only removes its own session.
    pub(crate) conn_id: u64,
    /// Its outbox.
    pub(crate) outbox: Outbox,
    /// Whether the device is active (logged in with `passive=false`, or sent `<active/>`); passive
    /// devices get nothing but replies, and their stanzas wait in the offline queue.
    pub(crate) active: bool,
}

/// A device address inside the simulator: the account's phone number (user part) and device number.
pub(crate) type DeviceId = (String, u16);

/// Everything the simulator knows.
#[derive(Debug, Default)]
pub(crate) struct Network {
    /// Accounts by phone number (digits).
    pub(crate) accounts: HashMap<String, Account>,
    /// LID user → phone number.
    pub(crate) lids: HashMap<String, String>,
    /// Connected devices.
    pub(crate) sessions: HashMap<DeviceId, Session>,
    /// Companions waiting to be paired, by connection id.
    pub(crate) registrations: HashMap<u64, Registration>,
    /// QR ref → connection id of the companion it was issued to.
    pub(crate) refs: HashMap<String, u64>,
    /// Groups by id (user part of the group JID).
    pub(crate) groups: HashMap<String, Group>,
    /// Uploaded media by path token.
    pub(crate) media: HashMap<String, Arc<Vec<u8>>>,
    /// Presence subscriptions: user → subscribed devices.
    pub(crate) presence_subscribers: HashMap<String, Vec<DeviceId>>,
    /// Device-list watchers: account → the accounts that fetched its device list by usync, and so
    /// are sent `devices` notifications when it changes.
    pub(crate) device_watchers: HashMap<String, BTreeSet<String>>,
    counter: u64,
}

impl Network {
    /// A fresh number for ids (stanza ids, group ids, LIDs, key indexes).
    pub(crate) fn next_number(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// The phone number behind a user or LID JID, if the account exists.
    pub(crate) fn account_of(&self, jid: &Jid) -> Option<&str> {
        let user = jid.user();
        match jid.server_kind() {
            wasndr_core::jid::Server::Lid => self.lids.get(user).map(String::as_str),
            _ if self.accounts.contains_key(user) => {
                self.accounts.get_key_value(user).map(|(key, _)| key.as_str())
            }
            _ => None,
        }
    }

    /// The account's phone-number JID for a device (`PHONE[:N]@s.whatsapp.net`).
    pub(crate) fn device_jid(phone: &str, device: u16) -> Jid {
        Jid::pn(phone).with_device(device)
    }

    /// The virtual phone of an account.
    pub(crate) fn phone(&self, number: &str) -> Option<Arc<Phone>> {
        self.accounts.get(number).map(|account| account.phone.clone())
    }

    /// Delivers `node` to one device now, or queues it (marked `offline`) until the device connects.
    /// Unknown or removed devices drop it.
    pub(crate) fn deliver(&mut self, to: &DeviceId, node: Node) {
        let node = match self.sessions.get(to).filter(|session| session.active) {
            Some(session) => match session.outbox.send(Outbound::Node(node)) {
                Ok(()) => return,
                Err(mpsc::error::SendError(Outbound::Node(node))) => {
                    self.sessions.remove(to);
                    node
                }
                Err(_) => return,
            },
            None => node,
        };
        if let Some(device) = self
            .accounts
            .get_mut(&to.0)
            .and_then(|account| account.devices.get_mut(&to.1))
        {
            let mut node = node;
            node.set_attr("offline", "1");
            device.offline.push_back(node);
        }
    }

    /// Marks a device active and flushes its offline queue, in order, then `<ib><offline count=N/></ib>`.
    pub(crate) fn activate(&mut self, device: &DeviceId) {
        let Some(session) = self.sessions.get_mut(device) else {
            return;
        };
        session.active = true;
        let outbox = session.outbox.clone();
        let queued = self
            .accounts
            .get_mut(&device.0)
            .and_then(|account| account.devices.get_mut(&device.1))
            .map(|device| std::mem::take(&mut device.offline))
            .unwrap_or_default();
        let count = queued.len();
        for node in queued {
            let _ = outbox.send(Outbound::Node(node));
        }
        let _ = outbox.send(Outbound::Node(
            Node::new("ib").children([Node::new("offline").attr("count", count.to_string())]),
        ));
    }

    /// Every device of an account (primary first).
    pub(crate) fn devices_of(&self, phone: &str) -> Vec<DeviceId> {
        self.accounts
            .get(phone)
            .map(|account| {
                account
                    .devices
                    .keys()
                    .map(|device| (phone.to_owned(), *device))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends to a connected device only (server stanzas that are pointless later, e.g. chat state).
    pub(crate) fn send_if_online(&self, to: &DeviceId, node: Node) {
        if let Some(session) = self.sessions.get(to).filter(|session| session.active) {
            let _ = session.outbox.send(Outbound::Node(node));
        }
    }
}
