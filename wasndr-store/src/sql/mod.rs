//! What the SQL backends share: column codecs, the migration list type, and [`sql_store!`], which
//! writes the per-device store and the container for one sqlx driver, over the backend's
//! [`BatchWriter`]. SQLite and PostgreSQL accept the
//! same statements (`$N` placeholders, `ON CONFLICT … DO UPDATE`, `RETURNING`, partial indexes); only
//! the connection set-up, the migrations, the substring function and the write-transaction statement
//! differ, and those are the macro's parameters.

pub(crate) mod codec;
mod history;
pub(crate) mod writes;

pub(crate) use history::Filter;

/// Runs planned writes for one backend, each call in one transaction.
#[async_trait::async_trait]
pub(crate) trait BatchWriter: Clone + std::fmt::Debug + Send + Sync + Sized + 'static {
    /// The pool's database.
    type Pool;

    /// The writer for the database behind `pool` (after its migrations ran).
    async fn open(pool: &Self::Pool) -> Result<Self, wasndr_core::store::StoreError>;

    /// Runs `writes` in one transaction, all or nothing; the rows the last one touched.
    async fn run(&self, writes: Vec<writes::Write>) -> Result<u64, wasndr_core::store::StoreError>;
}

/// One numbered migration: its SQL (several statements), run once in a transaction.
#[derive(Debug)]
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) sql: &'static str,
}

/// The columns of a [`wasndr_core::store::StoredMessage`], in the order
/// [`codec::MessageColumns`] reads them.
macro_rules! message_columns {
    () => {
        "chat, id, sender, from_me, timestamp, status, message_type, text, raw, media_type, mimetype, \
         file_name, file_length, file_sha256, file_enc_sha256, media_key, direct_path, url"
    };
}
pub(crate) use message_columns;

/// [`message_columns!`] as a constant, for queries built at run time.
pub(crate) const MESSAGE_COLUMNS: &str = message_columns!();

/// The columns of a [`wasndr_core::store::Device`] in `wa_devices`.
macro_rules! device_columns {
    () => {
        "noise_private, identity_private, registration_id, adv_secret_key, signed_prekey_id, jid, lid, \
         push_name, platform, business_name, account, key_index_list, server_time_offset, created_at"
    };
}
pub(crate) use device_columns;

pub(crate) mod store;
pub(crate) use store::sql_store;
