//! Storage, as traits split by concern (architecture principle 3).
//!
//! | trait | holds |
//! | --- | --- |
//! | [`IdentityKeyStore`], [`SessionStore`], [`PreKeyStore`], [`SignedPreKeyStore`], [`SenderKeyStore`] (= [`SignalStore`]) | Signal state |
//! | [`DeviceStore`] | the companion [`Device`]: its keys and what pairing taught it |
//! | [`ContactStore`] | names, LID↔PN mappings, device-list cache |
//! | [`MessageStore`] | history with status and media, message secrets, poll votes, recent plaintexts for retries |
//! | [`GroupStore`] | group metadata cache |
//! | [`SettingsStore`] | small key → bytes settings |
//! | [`TransactionalStore`] | [`Changes`] applied all or nothing |
//!
//! [`Store`] is all of them, implemented for every type that implements the parts, and is what the
//! Client holds as `Arc<dyn Store>`. Every trait is async, takes `&self`, is `Send + Sync` and
//! object-safe; every method fails only with [`StoreError`]. One store is one device: a backend that
//! keeps many devices in one database (`wasndr-store`'s SQLite and PostgreSQL containers) hands out one
//! `Store` per device, and nothing of one device is visible through another's.
//!
//! Records cross the trait boundary as typed values; a backend persists Signal records with their
//! `to_bytes`/`from_bytes` (a versioned layout, `wa.signal.record`).
//!
//! Atomicity: the single-write methods write one thing each. What must land together with protocol
//! progress (decrypt → save ratchet → save message → ack) goes through [`TransactionalStore::apply`];
//! see [`changes`] for the contract.

pub mod changes;
mod contact;
mod device;
mod error;
mod group;
mod memory;
mod message;
mod settings;
mod signal;
mod validate;

pub use changes::{Changes, TransactionalStore};
pub use contact::{Contact, ContactStore, DeviceList, LidMapping, ListedDevice};
pub use device::{Device, DeviceStore};
pub use error::{BackendError, StoreError};
pub use group::{AddressingMode, GroupInfo, GroupParticipant, GroupStore, ParticipantRole};
pub use memory::MemoryStore;
pub use message::{
    AttachmentQuery, HistoryQuery, MediaInfo, MessageSecret, MessageStatus, MessageStore, Order, Page,
    PollVote, RecentMessage, StatusUpdate, StoredMessage, search_key,
};
pub use settings::SettingsStore;
pub use signal::{
    IdentityKeyStore, PreKeyStore, SenderKeyStore, SessionStore, SignalStore, SignedPreKeyStore,
};
pub use validate::{check_message_id, check_prekey_id, check_setting_key};

/// Everything a device stores: the Signal state and every other concern, with atomic batches.
/// Implemented for every type that implements the parts; use it as `Arc<dyn Store>`.
pub trait Store:
    SignalStore + DeviceStore + ContactStore + MessageStore + GroupStore + SettingsStore + TransactionalStore
{
}

impl<T> Store for T where
    T: SignalStore
        + DeviceStore
        + ContactStore
        + MessageStore
        + GroupStore
        + SettingsStore
        + TransactionalStore
        + ?Sized
{
}
