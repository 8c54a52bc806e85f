//! The end-to-end message plaintext: what goes into a Signal ciphertext and what comes out of one
//! (messaging guide C, D.1, D.6, D.7).
//!
//! - building: [`generate_message_id`], [`media_message`], [`poll_creation`], [`encrypt_vote`], [`reaction`],
//!   [`device_sent`], [`sender_key_distribution`], [`pad`];
//! - reading: [`plain_text`], [`attachment`], [`unwrap_content`], [`decrypt_vote`] and [`PollTally`], [`unpad`];
//! - the pure pipelines over loaded records, returning a [`crate::store::Changes`] to apply before
//!   anything goes out: [`plan_send`], [`receive`] (with [`needed_records`]), [`plan_retry`];
//! - classifying for the stanza: [`stanza_type`], [`enc_media_type`], [`edit_attribute`],
//!   [`hides_decrypt_failure`], [`poll_type`], [`participant_hash`].

mod attachment;
mod classify;
mod content;
mod id;
mod padding;
mod pairwise;
mod phash;
mod poll;
mod reaction;
mod receive;
mod records;
mod retry;
mod secret;
mod send;
mod text;
mod wrappers;

pub use attachment::{Attachment, MediaDetails, UploadedMedia, attachment, media_message};
pub use classify::{edit_attribute, enc_media_type, hides_decrypt_failure, poll_type, stanza_type};
pub use content::{unwrap_content, unwrap_display};
pub use id::{MESSAGE_ID_PREFIX, generate_message_id};
pub use padding::{MAX_PAD_LEN, pad, pad_len, unpad};
pub use phash::participant_hash;
pub use poll::{
    OptionResult, PollTally, VoteContext, decrypt_vote, encrypt_vote, option_hash, poll_creation, poll_of,
    poll_vote,
};
pub use reaction::{message_key, reaction};
pub use receive::{
    DecryptedMessage, MAX_RETRY_RECEIPTS, ReceiveContext, ReceiveOutcome, Received, decryption_sender,
    needed_records, receive,
};
pub use records::{OwnDevice, RecordKeys, Records, protocol_address};
pub use retry::{RetryRequest, plan_retry, retry_needs_bundle};
pub use secret::{MESSAGE_SECRET_LEN, SecretKey, SecretUse};
pub use send::{GroupSend, PlannedSend, SendRequest, plan_send};
pub use text::plain_text;
pub use wrappers::{device_sent, open_device_sent, sender_key_distribution};
