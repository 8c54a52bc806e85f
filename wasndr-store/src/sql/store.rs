//! [`sql_store!`]: the per-device store and its container over one sqlx driver.
//!
//! Reads run on the sqlx pool. Writes are planned as data first ([`crate::sql::writes`]: every value
//! checked before anything runs, so a bad value refuses its whole batch) and then handed to the
//! backend's [`BatchWriter`](crate::sql::BatchWriter), which runs them in one transaction: PostgreSQL's
//! runs them through sqlx on a pooled connection, SQLite's on its own writer thread in one hand-off.

macro_rules! sql_store {
    (
        store: $store:ident,
        container: $container:ident,
        db: $db:ty,
        pool: $pool:ty,
        writer: $writer:ty,
        begin_write: $begin:expr,
        migration_lock: $lock:expr,
        contains: $contains:literal,
        migrations: $migrations:expr,
        store_doc: $store_doc:literal,
        container_doc: $container_doc:literal $(,)?
    ) => {
        use std::collections::HashMap;
        use std::sync::Arc;

        use async_trait::async_trait;
        use sqlx::Row as _;
        use wasndr_core::crypto::PublicKey;
        use wasndr_core::jid::Jid;
        use wasndr_core::signal::group::SenderKeyRecord;
        use wasndr_core::signal::session::SessionRecord;
        use wasndr_core::signal::{
            IdentityKeyPair, PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord,
        };
        use wasndr_core::store::{
            AttachmentQuery, Changes, Contact, ContactStore, Device, DeviceList, DeviceStore, GroupInfo,
            GroupStore, HistoryQuery, IdentityKeyStore, LidMapping, MessageSecret, MessageStore, Page,
            PollVote, PreKeyStore, RecentMessage, SenderKeyStore, SessionStore, SettingsStore,
            SignedPreKeyStore, StatusUpdate, Store, StoreError, StoredMessage, TransactionalStore,
        };

        use crate::container::{DeviceId, DeviceInfo, StoreContainer};
        use crate::sql::codec::{
            DeviceColumns, MessageColumns, ParticipantColumns, backend, decode_devices, decode_selected,
            jid, opt_jid, public_key, record_error, to_i64, to_u32, to_u64,
        };
        use crate::sql::writes::{self, Param, Write};
        use crate::sql::{BatchWriter, Filter, device_columns, message_columns};

        type Query<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

        /// `query` with `values` bound in order.
        fn bind_all(mut query: Query<'_>, values: Vec<Param>) -> Query<'_> {
            for value in values {
                query = match value {
                    Param::Int(v) => query.bind(v),
                    Param::Text(v) => query.bind(v),
                    Param::Blob(v) => query.bind(v),
                    Param::Bool(v) => query.bind(v),
                };
            }
            query
        }

        #[doc = $store_doc]
        #[derive(Debug, Clone)]
        pub struct $store {
            pool: $pool,
            writer: $writer,
            device: i64,
        }

        impl $store {
            /// The id of the device this store belongs to.
            pub fn device_id(&self) -> DeviceId {
                DeviceId(self.device)
            }

            async fn begin(&self) -> Result<sqlx::Transaction<'static, $db>, StoreError> {
                self.pool.begin_with($begin).await.map_err(backend)
            }

            /// Runs `writes` in one transaction through the backend's writer: the rows the last one
            /// touched.
            async fn write(&self, writes: Vec<Write>) -> Result<u64, StoreError> {
                self.writer.run(writes).await
            }

            /// Runs one write.
            async fn write_one(&self, write: Write) -> Result<u64, StoreError> {
                self.write(vec![write]).await
            }

            fn message_from_row(row: &<$db as sqlx::Database>::Row) -> Result<StoredMessage, StoreError> {
                let columns = MessageColumns {
                    chat: row.try_get("chat").map_err(backend)?,
                    id: row.try_get("id").map_err(backend)?,
                    sender: row.try_get("sender").map_err(backend)?,
                    from_me: row.try_get("from_me").map_err(backend)?,
                    timestamp: row.try_get("timestamp").map_err(backend)?,
                    status: row.try_get("status").map_err(backend)?,
                    message_type: row.try_get("message_type").map_err(backend)?,
                    text: row.try_get("text").map_err(backend)?,
                    raw: row.try_get("raw").map_err(backend)?,
                    media_type: row.try_get("media_type").map_err(backend)?,
                    mimetype: row.try_get("mimetype").map_err(backend)?,
                    file_name: row.try_get("file_name").map_err(backend)?,
                    file_length: row.try_get("file_length").map_err(backend)?,
                    file_sha256: row.try_get("file_sha256").map_err(backend)?,
                    file_enc_sha256: row.try_get("file_enc_sha256").map_err(backend)?,
                    media_key: row.try_get("media_key").map_err(backend)?,
                    direct_path: row.try_get("direct_path").map_err(backend)?,
                    url: row.try_get("url").map_err(backend)?,
                };
                columns.into_message()
            }

            async fn page(&self, filter: Filter, limit: u32, offset: u64) -> Result<Page<StoredMessage>, StoreError> {
                // Count and page read one snapshot, so `total` describes the set the page came from.
                let mut tx = self.pool.begin().await.map_err(backend)?;
                let count_sql = format!("SELECT COUNT(*){}", filter.from_where);
                let total: i64 = bind_all(sqlx::query(sqlx::AssertSqlSafe(count_sql)), filter.values.clone())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?
                    .try_get(0)
                    .map_err(backend)?;
                let (clause, values) = filter.page(limit, offset);
                let page_sql = format!("SELECT {}{clause}", crate::sql::MESSAGE_COLUMNS);
                let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(page_sql)), values)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)?;
                let items = rows.iter().map(Self::message_from_row).collect::<Result<_, _>>()?;
                Ok(Page { items, total: to_u64(total) })
            }

            fn group_from_row(
                row: &<$db as sqlx::Database>::Row,
                participants: Vec<wasndr_core::store::GroupParticipant>,
            ) -> Result<GroupInfo, StoreError> {
                let mode: String = row.try_get("addressing_mode").map_err(backend)?;
                Ok(GroupInfo {
                    jid: jid(&row.try_get::<String, _>("jid").map_err(backend)?)?,
                    subject: row.try_get("subject").map_err(backend)?,
                    description: row.try_get("description").map_err(backend)?,
                    owner: opt_jid(row.try_get("owner").map_err(backend)?)?,
                    created_at: row.try_get::<Option<i64>, _>("created_at").map_err(backend)?.map(to_u64),
                    addressing_mode: wasndr_core::store::AddressingMode::parse(&mode)
                        .ok_or_else(|| StoreError::corrupt("addressing mode", mode))?,
                    announce: row.try_get("announce").map_err(backend)?,
                    locked: row.try_get("locked").map_err(backend)?,
                    participants,
                    updated_at: to_u64(row.try_get("updated_at").map_err(backend)?),
                })
            }

            fn participant_from_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<wasndr_core::store::GroupParticipant, StoreError> {
                ParticipantColumns {
                    jid: row.try_get("jid").map_err(backend)?,
                    phone_number: row.try_get("phone_number").map_err(backend)?,
                    lid: row.try_get("lid").map_err(backend)?,
                    role: row.try_get("role").map_err(backend)?,
                }
                .into_participant()
            }

            fn vote_from_row(row: &<$db as sqlx::Database>::Row) -> Result<PollVote, StoreError> {
                Ok(PollVote {
                    chat: jid(&row.try_get::<String, _>("chat").map_err(backend)?)?,
                    poll_id: row.try_get("poll_id").map_err(backend)?,
                    voter: jid(&row.try_get::<String, _>("voter").map_err(backend)?)?,
                    selected: decode_selected(&row.try_get::<Vec<u8>, _>("selected").map_err(backend)?)?,
                    timestamp: to_u64(row.try_get("timestamp").map_err(backend)?),
                })
            }
        }

        #[async_trait]
        impl TransactionalStore for $store {
            async fn apply(&self, changes: &Changes) -> Result<(), StoreError> {
                self.apply_all(std::slice::from_ref(changes)).await
            }

            async fn apply_all(&self, batches: &[Changes]) -> Result<(), StoreError> {
                // Planned whole before anything runs: a bad value refuses every batch, nothing written.
                let mut planned = Vec::new();
                for changes in batches {
                    writes::changes(&mut planned, self.device, changes)?;
                }
                if planned.is_empty() {
                    return Ok(());
                }
                self.write(planned).await.map(drop)
            }
        }

        #[async_trait]
        impl DeviceStore for $store {
            async fn load_device(&self) -> Result<Option<Device>, StoreError> {
                let row = sqlx::query(concat!("SELECT ", device_columns!(), " FROM wa_devices WHERE id = $1"))
                    .bind(self.device)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                let Some(row) = row else { return Ok(None) };
                DeviceColumns {
                    noise_private: row.try_get("noise_private").map_err(backend)?,
                    identity_private: row.try_get("identity_private").map_err(backend)?,
                    registration_id: row.try_get("registration_id").map_err(backend)?,
                    adv_secret_key: row.try_get("adv_secret_key").map_err(backend)?,
                    signed_prekey_id: row.try_get("signed_prekey_id").map_err(backend)?,
                    jid: row.try_get("jid").map_err(backend)?,
                    lid: row.try_get("lid").map_err(backend)?,
                    push_name: row.try_get("push_name").map_err(backend)?,
                    platform: row.try_get("platform").map_err(backend)?,
                    business_name: row.try_get("business_name").map_err(backend)?,
                    account: row.try_get("account").map_err(backend)?,
                    key_index_list: row.try_get("key_index_list").map_err(backend)?,
                    server_time_offset: row.try_get("server_time_offset").map_err(backend)?,
                    created_at: row.try_get("created_at").map_err(backend)?,
                }
                .into_device()
            }

            async fn save_device(&self, device: &Device) -> Result<(), StoreError> {
                self.write_one(writes::device(self.device, device)).await.map(drop)
            }

            async fn delete_device(&self) -> Result<(), StoreError> {
                // Deleting the row cascades to every table; the id is then taken again, empty, so this
                // store stays usable for the next pairing.
                let mut tx = self.begin().await?;
                let done = sqlx::query("DELETE FROM wa_devices WHERE id = $1")
                    .bind(self.device)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                if done.rows_affected() == 1 {
                    sqlx::query("INSERT INTO wa_devices (id) VALUES ($1)")
                        .bind(self.device)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)
            }
        }

        #[async_trait]
        impl IdentityKeyStore for $store {
            async fn identity_key_pair(&self) -> Result<IdentityKeyPair, StoreError> {
                let key: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT identity_private FROM wa_devices WHERE id = $1")
                        .bind(self.device)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?
                        .flatten();
                let key = key.ok_or(StoreError::Missing("identity key pair"))?;
                let private = wasndr_core::crypto::PrivateKey::from_slice(&key)
                    .map_err(|e| StoreError::corrupt("identity key", e.to_string()))?;
                Ok(IdentityKeyPair::from_private(private))
            }

            async fn local_registration_id(&self) -> Result<u32, StoreError> {
                let id: Option<i64> = sqlx::query_scalar("SELECT registration_id FROM wa_devices WHERE id = $1")
                    .bind(self.device)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?
                    .flatten();
                to_u32(id.ok_or(StoreError::Missing("registration id"))?, "registration id")
            }

            async fn remote_identity(&self, address: &ProtocolAddress) -> Result<Option<PublicKey>, StoreError> {
                let key: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT identity FROM wa_identities WHERE device_id = $1 AND name = $2 AND device_no = $3",
                )
                .bind(self.device)
                .bind(address.name.as_str())
                .bind(i64::from(address.device_id))
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                key.as_deref().map(public_key).transpose()
            }

            async fn save_remote_identity(
                &self,
                address: &ProtocolAddress,
                identity: &PublicKey,
            ) -> Result<(), StoreError> {
                self.write_one(writes::identity(self.device, address, identity)).await.map(drop)
            }

            async fn delete_remote_identities(&self, name: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_identities WHERE device_id = $1 AND name = $2")
                    .bind(self.device)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl SessionStore for $store {
            async fn load_session(&self, address: &ProtocolAddress) -> Result<Option<SessionRecord>, StoreError> {
                let record: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT record FROM wa_sessions WHERE device_id = $1 AND name = $2 AND device_no = $3",
                )
                .bind(self.device)
                .bind(address.name.as_str())
                .bind(i64::from(address.device_id))
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                record
                    .map(|bytes| SessionRecord::from_bytes(&bytes).map_err(record_error("session record")))
                    .transpose()
            }

            async fn store_session(
                &self,
                address: &ProtocolAddress,
                record: &SessionRecord,
            ) -> Result<(), StoreError> {
                self.write_one(writes::session(self.device, address, record)).await.map(drop)
            }

            async fn delete_session(&self, address: &ProtocolAddress) -> Result<(), StoreError> {
                self.write_one(writes::drop_session(self.device, address)).await.map(drop)
            }

            async fn delete_all_sessions(&self, name: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_sessions WHERE device_id = $1 AND name = $2")
                    .bind(self.device)
                    .bind(name)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl PreKeyStore for $store {
            async fn load_prekey(&self, id: u32) -> Result<Option<PreKeyRecord>, StoreError> {
                let record: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT record FROM wa_prekeys WHERE device_id = $1 AND id = $2")
                        .bind(self.device)
                        .bind(i64::from(id))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                record
                    .map(|bytes| PreKeyRecord::from_bytes(&bytes).map_err(record_error("prekey")))
                    .transpose()
            }

            async fn store_prekeys(&self, prekeys: &[PreKeyRecord]) -> Result<(), StoreError> {
                let mut planned = Vec::new();
                writes::prekeys(&mut planned, self.device, prekeys)?;
                if planned.is_empty() {
                    return Ok(());
                }
                self.write(planned).await.map(drop)
            }

            async fn remove_prekey(&self, id: u32) -> Result<(), StoreError> {
                self.write_one(writes::drop_prekey(self.device, id)).await.map(drop)
            }

            async fn next_prekey_id(&self) -> Result<u32, StoreError> {
                let next: Option<i64> = sqlx::query_scalar("SELECT next_prekey_id FROM wa_devices WHERE id = $1")
                    .bind(self.device)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?
                    .flatten();
                to_u32(next.unwrap_or(1), "next prekey id")
            }

            async fn prekey_count(&self) -> Result<usize, StoreError> {
                let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wa_prekeys WHERE device_id = $1")
                    .bind(self.device)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(usize::try_from(count).unwrap_or(0))
            }
        }

        #[async_trait]
        impl SignedPreKeyStore for $store {
            async fn load_signed_prekey(&self, id: u32) -> Result<Option<SignedPreKeyRecord>, StoreError> {
                let record: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT record FROM wa_signed_prekeys WHERE device_id = $1 AND id = $2")
                        .bind(self.device)
                        .bind(i64::from(id))
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                record
                    .map(|bytes| SignedPreKeyRecord::from_bytes(&bytes).map_err(record_error("signed prekey")))
                    .transpose()
            }

            async fn store_signed_prekey(&self, record: &SignedPreKeyRecord) -> Result<(), StoreError> {
                self.write_one(writes::signed_prekey(self.device, record)).await.map(drop)
            }

            async fn remove_signed_prekey(&self, id: u32) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_signed_prekeys WHERE device_id = $1 AND id = $2")
                    .bind(self.device)
                    .bind(i64::from(id))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn signed_prekeys(&self) -> Result<Vec<SignedPreKeyRecord>, StoreError> {
                let records: Vec<Vec<u8>> = sqlx::query_scalar(
                    "SELECT record FROM wa_signed_prekeys WHERE device_id = $1 ORDER BY timestamp, id",
                )
                .bind(self.device)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                records
                    .iter()
                    .map(|bytes| SignedPreKeyRecord::from_bytes(bytes).map_err(record_error("signed prekey")))
                    .collect()
            }
        }

        #[async_trait]
        impl SenderKeyStore for $store {
            async fn load_sender_key(&self, name: &SenderKeyName) -> Result<Option<SenderKeyRecord>, StoreError> {
                let record: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT record FROM wa_sender_keys WHERE device_id = $1 AND group_id = $2 \
                     AND sender_name = $3 AND sender_device = $4",
                )
                .bind(self.device)
                .bind(name.group_id.as_str())
                .bind(name.sender.name.as_str())
                .bind(i64::from(name.sender.device_id))
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                record
                    .map(|bytes| SenderKeyRecord::from_bytes(&bytes).map_err(record_error("sender key record")))
                    .transpose()
            }

            async fn store_sender_key(
                &self,
                name: &SenderKeyName,
                record: &SenderKeyRecord,
            ) -> Result<(), StoreError> {
                self.write_one(writes::sender_key(self.device, name, record)).await.map(drop)
            }

            async fn delete_sender_key(&self, name: &SenderKeyName) -> Result<(), StoreError> {
                self.write_one(writes::drop_sender_key(self.device, name)).await.map(drop)
            }
        }

        #[async_trait]
        impl ContactStore for $store {
            async fn contact(&self, jid_: &Jid) -> Result<Option<Contact>, StoreError> {
                let row = sqlx::query(
                    "SELECT jid, push_name, full_name, first_name, business_name FROM wa_contacts \
                     WHERE device_id = $1 AND jid = $2",
                )
                .bind(self.device)
                .bind(jid_.to_non_ad().to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                row.as_ref().map(contact_from_row).transpose()
            }

            async fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
                let rows = sqlx::query(
                    "SELECT jid, push_name, full_name, first_name, business_name FROM wa_contacts \
                     WHERE device_id = $1 ORDER BY jid",
                )
                .bind(self.device)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter().map(contact_from_row).collect()
            }

            async fn merge_contact(&self, update: &Contact) -> Result<(), StoreError> {
                self.write_one(writes::contact(self.device, update)).await.map(drop)
            }

            async fn save_lid_mapping(&self, mapping: &LidMapping) -> Result<(), StoreError> {
                let mut planned = Vec::with_capacity(2);
                writes::lid_mapping(&mut planned, self.device, mapping);
                self.write(planned).await.map(drop)
            }

            async fn lid_for_pn(&self, pn: &Jid) -> Result<Option<Jid>, StoreError> {
                let lid: Option<String> =
                    sqlx::query_scalar("SELECT lid FROM wa_lid_map WHERE device_id = $1 AND pn = $2")
                        .bind(self.device)
                        .bind(pn.to_non_ad().to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                opt_jid(lid)
            }

            async fn pn_for_lid(&self, lid: &Jid) -> Result<Option<Jid>, StoreError> {
                let pn: Option<String> =
                    sqlx::query_scalar("SELECT pn FROM wa_lid_map WHERE device_id = $1 AND lid = $2")
                        .bind(self.device)
                        .bind(lid.to_non_ad().to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                opt_jid(pn)
            }

            async fn device_list(&self, user: &Jid) -> Result<Option<DeviceList>, StoreError> {
                let user = user.to_non_ad();
                let row = sqlx::query(
                    "SELECT devices, fetched_at FROM wa_device_lists WHERE device_id = $1 AND user_jid = $2",
                )
                .bind(self.device)
                .bind(user.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                let Some(row) = row else { return Ok(None) };
                let devices: String = row.try_get("devices").map_err(backend)?;
                Ok(Some(DeviceList {
                    user,
                    devices: decode_devices(&devices)?,
                    fetched_at: to_u64(row.try_get("fetched_at").map_err(backend)?),
                }))
            }

            async fn save_device_list(&self, list: &DeviceList) -> Result<(), StoreError> {
                self.write_one(writes::device_list(self.device, list)).await.map(drop)
            }

            async fn delete_device_list(&self, user: &Jid) -> Result<(), StoreError> {
                self.write_one(writes::drop_device_list(self.device, user)).await.map(drop)
            }
        }

        fn contact_from_row(row: &<$db as sqlx::Database>::Row) -> Result<Contact, StoreError> {
            Ok(Contact {
                jid: jid(&row.try_get::<String, _>("jid").map_err(backend)?)?,
                push_name: row.try_get("push_name").map_err(backend)?,
                full_name: row.try_get("full_name").map_err(backend)?,
                first_name: row.try_get("first_name").map_err(backend)?,
                business_name: row.try_get("business_name").map_err(backend)?,
            })
        }

        #[async_trait]
        impl MessageStore for $store {
            async fn insert_message(&self, message: &StoredMessage) -> Result<bool, StoreError> {
                Ok(self.write_one(writes::message(self.device, message)?).await? == 1)
            }

            async fn message(&self, chat: &Jid, id: &str) -> Result<Option<StoredMessage>, StoreError> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    message_columns!(),
                    " FROM wa_messages WHERE device_id = $1 AND chat = $2 AND id = $3"
                ))
                .bind(self.device)
                .bind(chat.to_string())
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                row.as_ref().map(Self::message_from_row).transpose()
            }

            async fn update_message_status(&self, update: &StatusUpdate) -> Result<bool, StoreError> {
                Ok(self.write_one(writes::status(self.device, update)?).await? == 1)
            }

            async fn messages(&self, query: &HistoryQuery) -> Result<Page<StoredMessage>, StoreError> {
                self.page(Filter::history(self.device, query, $contains), query.limit, query.offset)
                    .await
            }

            async fn attachments(&self, query: &AttachmentQuery) -> Result<Page<StoredMessage>, StoreError> {
                self.page(Filter::attachments(self.device, query), query.limit, query.offset).await
            }

            async fn save_message_secret(&self, secret: &MessageSecret) -> Result<(), StoreError> {
                self.write_one(writes::secret(self.device, secret)?).await.map(drop)
            }

            async fn message_secret(&self, chat: &Jid, sender: &Jid, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
                sqlx::query_scalar(
                    "SELECT secret FROM wa_message_secrets WHERE device_id = $1 AND chat = $2 AND sender = $3 \
                     AND id = $4",
                )
                .bind(self.device)
                .bind(chat.to_string())
                .bind(sender.to_string())
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)
            }

            async fn save_recent_message(&self, message: &RecentMessage) -> Result<(), StoreError> {
                self.write_one(writes::recent(self.device, message)?).await.map(drop)
            }

            async fn recent_message(&self, chat: &Jid, id: &str) -> Result<Option<RecentMessage>, StoreError> {
                let row = sqlx::query(
                    "SELECT plaintext, sent_at FROM wa_recent_messages WHERE device_id = $1 AND chat = $2 AND id = $3",
                )
                .bind(self.device)
                .bind(chat.to_string())
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(RecentMessage {
                    chat: chat.clone(),
                    id: id.to_owned(),
                    plaintext: row.try_get("plaintext").map_err(backend)?,
                    sent_at: to_u64(row.try_get("sent_at").map_err(backend)?),
                }))
            }

            async fn prune_recent_messages(&self, before: u64) -> Result<u64, StoreError> {
                let done = sqlx::query("DELETE FROM wa_recent_messages WHERE device_id = $1 AND sent_at < $2")
                    .bind(self.device)
                    .bind(to_i64(before))
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected())
            }

            async fn save_poll_vote(&self, vote: &PollVote) -> Result<(), StoreError> {
                self.write_one(writes::vote(self.device, vote)?).await.map(drop)
            }

            async fn poll_votes(&self, chat: &Jid, poll_id: &str) -> Result<Vec<PollVote>, StoreError> {
                let rows = sqlx::query(
                    "SELECT chat, poll_id, voter, selected, timestamp FROM wa_poll_votes \
                     WHERE device_id = $1 AND chat = $2 AND poll_id = $3 ORDER BY voter",
                )
                .bind(self.device)
                .bind(chat.to_string())
                .bind(poll_id)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter().map(Self::vote_from_row).collect()
            }
        }

        #[async_trait]
        impl GroupStore for $store {
            async fn group(&self, jid_: &Jid) -> Result<Option<GroupInfo>, StoreError> {
                let group_jid = jid_.to_string();
                let row = sqlx::query("SELECT * FROM wa_groups WHERE device_id = $1 AND jid = $2")
                    .bind(self.device)
                    .bind(group_jid.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                let Some(row) = row else { return Ok(None) };
                let participants = sqlx::query(
                    "SELECT jid, phone_number, lid, role FROM wa_group_participants \
                     WHERE device_id = $1 AND group_jid = $2 ORDER BY position",
                )
                .bind(self.device)
                .bind(group_jid)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?
                .iter()
                .map(Self::participant_from_row)
                .collect::<Result<_, _>>()?;
                Self::group_from_row(&row, participants).map(Some)
            }

            async fn groups(&self) -> Result<Vec<GroupInfo>, StoreError> {
                let rows = sqlx::query("SELECT * FROM wa_groups WHERE device_id = $1 ORDER BY jid")
                    .bind(self.device)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                let participant_rows = sqlx::query(
                    "SELECT group_jid, jid, phone_number, lid, role FROM wa_group_participants \
                     WHERE device_id = $1 ORDER BY group_jid, position",
                )
                .bind(self.device)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                let mut participants: HashMap<String, Vec<_>> = HashMap::new();
                for row in &participant_rows {
                    let group: String = row.try_get("group_jid").map_err(backend)?;
                    participants.entry(group).or_default().push(Self::participant_from_row(row)?);
                }
                rows.iter()
                    .map(|row| {
                        let group: String = row.try_get("jid").map_err(backend)?;
                        Self::group_from_row(row, participants.remove(&group).unwrap_or_default())
                    })
                    .collect()
            }

            async fn save_group(&self, group: &GroupInfo) -> Result<(), StoreError> {
                let mut planned = Vec::with_capacity(2 + group.participants.len());
                writes::group(&mut planned, self.device, group);
                self.write(planned).await.map(drop)
            }

            async fn delete_group(&self, jid_: &Jid) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_groups WHERE device_id = $1 AND jid = $2")
                    .bind(self.device)
                    .bind(jid_.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl SettingsStore for $store {
            async fn setting(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
                sqlx::query_scalar("SELECT value FROM wa_settings WHERE device_id = $1 AND key = $2")
                    .bind(self.device)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)
            }

            async fn save_setting(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
                self.write_one(writes::setting(self.device, key, value)?).await.map(drop)
            }

            async fn delete_setting(&self, key: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_settings WHERE device_id = $1 AND key = $2")
                    .bind(self.device)
                    .bind(key)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[doc = $container_doc]
        #[derive(Debug, Clone)]
        pub struct $container {
            pool: $pool,
            writer: $writer,
        }

        impl $container {
            /// Wraps a pool the caller configured, and brings its schema up to date.
            pub async fn from_pool(pool: $pool) -> Result<Self, StoreError> {
                Self::migrate(&pool).await?;
                let writer = <$writer>::open(&pool).await?;
                Ok(Self { pool, writer })
            }

            /// The underlying pool.
            pub fn pool(&self) -> &$pool {
                &self.pool
            }

            /// The store of device `id`, typed (see [`StoreContainer::open_device`]).
            pub async fn store(&self, id: DeviceId) -> Result<$store, StoreError> {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM wa_devices WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                exists.ok_or(StoreError::Invalid("no such device"))?;
                Ok($store { pool: self.pool.clone(), writer: self.writer.clone(), device: id.0 })
            }

            /// Runs the migrations this database has not seen yet, each in its own transaction.
            /// Refuses a database whose schema is newer than this build.
            async fn migrate(pool: &$pool) -> Result<(), StoreError> {
                let migrations: &[crate::sql::Migration] = $migrations;
                let newest = migrations.last().map_or(0, |m| m.version);
                let mut tx = pool.begin_with($begin).await.map_err(backend)?;
                let lock: Option<&'static str> = $lock;
                if let Some(lock) = lock {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(lock)).execute(&mut *tx).await.map_err(backend)?;
                }
                sqlx::raw_sql(
                    "CREATE TABLE IF NOT EXISTS wasndr_store_migrations (version BIGINT PRIMARY KEY)",
                )
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM wasndr_store_migrations")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(backend)?;
                let applied = applied.unwrap_or(0);
                if applied > newest {
                    return Err(StoreError::corrupt(
                        "database schema",
                        format!("version {applied} is newer than this build's {newest}"),
                    ));
                }
                for migration in migrations.iter().filter(|m| m.version > applied) {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql))
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    sqlx::query("INSERT INTO wasndr_store_migrations (version) VALUES ($1)")
                        .bind(migration.version)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                tx.commit().await.map_err(backend)
            }
        }

        #[async_trait]
        impl StoreContainer for $container {
            async fn create_device(&self) -> Result<DeviceId, StoreError> {
                let id: i64 = sqlx::query_scalar("INSERT INTO wa_devices (next_prekey_id) VALUES (NULL) RETURNING id")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(DeviceId(id))
            }

            async fn devices(&self) -> Result<Vec<DeviceInfo>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, noise_private IS NOT NULL AS has_device, jid, lid, push_name FROM wa_devices ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok(DeviceInfo {
                            id: DeviceId(row.try_get("id").map_err(backend)?),
                            has_device: row.try_get("has_device").map_err(backend)?,
                            jid: opt_jid(row.try_get("jid").map_err(backend)?)?,
                            lid: opt_jid(row.try_get("lid").map_err(backend)?)?,
                            push_name: row.try_get("push_name").map_err(backend)?,
                        })
                    })
                    .collect()
            }

            async fn open_device(&self, id: DeviceId) -> Result<Arc<dyn Store>, StoreError> {
                Ok(Arc::new(self.store(id).await?))
            }

            async fn delete_device(&self, id: DeviceId) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_devices WHERE id = $1")
                    .bind(id.0)
                    .execute(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }
    };
}

pub(crate) use sql_store;
