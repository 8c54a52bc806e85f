//! Builders and parsers of every stanza messaging uses, as typed values ↔ binary nodes (messaging
//! guide D–H). Pure: builders return [`crate::binary::Node`]s (IQs as [`Iq`], to which the caller adds
//! its request id), parsers read received nodes in either form ([`NodeView`]: a borrowed
//! [`crate::binary::NodeRef`] or an owned `&Node`) and fail with [`crate::Error::MalformedStanza`] or
//! [`crate::Error::UnexpectedStanza`], never a panic.
//!
//! Builders write attributes in alphabetical order: the wire ignores order, and this is the order of
//! the golden codec vectors, so built stanzas can be compared byte for byte.

mod ack;
mod group;
mod iq;
mod media_conn;
mod message;
mod notification;
mod prekeys;
mod presence;
mod problem;
mod read;
mod receipt;
mod usync;

pub use ack::{Ack, NackCode, ServerAck};
pub use group::{
    GroupDescription, GroupMetadata, ParticipantAction, ParticipantResult, change_participants, create_group,
    group_info_query, invite_code_query, invite_link, leave_groups, parse_group_reply, parse_invite_code,
    parse_participant_changes, parse_participating, participating_query, revoke_invite, set_description,
    set_subject,
};
pub use iq::{Iq, IqType, iq_result};
pub use media_conn::{MediaConn, MediaHost, media_conn_query, parse_media_conn};
pub use message::{Alternates, Enc, EncType, IncomingEnc, IncomingMessage, OutgoingMessage};
pub use notification::{
    ChangedParticipant, DeviceChange, DeviceChangeKind, DevicesNotification, EncryptNotification,
    GroupChange, GroupNotification, MembershipChange,
};
pub use prekeys::{
    BundleError, FetchedBundle, bundle_query, parse_bundles, parse_prekey_count, prekey_count_query,
    upload_prekeys,
};
pub use presence::{
    ChatState, IncomingChatState, IncomingPresence, LastSeen, chat_state, own_presence, subscribe_presence,
};
pub use problem::StanzaProblem;
pub use read::{NodeView, Payload};
pub use receipt::{
    DeliveryType, IncomingReceipt, ReadType, RetryInfo, RetryKeys, RetryReceipt, delivery_receipt,
    read_receipt,
};
pub use usync::{
    ContactLookup, DeviceEntry, UserDevices, contact_query, device_query, parse_contact_reply,
    parse_device_reply,
};
