//! [`sql_store!`]: the per-device store and its container over one sqlx driver.
//!
//! Every write is a function over a connection (`put_*`), so a single-write trait method runs it on a
//! pooled connection and [`TransactionalStore::apply`](wasndr_core::store::TransactionalStore::apply)
//! runs all of a batch's on one transaction. Values are checked as they are written: a batch with a bad
//! entry fails after its earlier entries reached the database, and the rollback undoes them.

macro_rules! sql_store {
    (
        store: $store:ident,
        container: $container:ident,
        db: $db:ty,
        pool: $pool:ty,
        conn: $conn:ty,
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
            next_prekey_id,
        };
        use wasndr_core::store::{
            AttachmentQuery, Changes, Contact, ContactStore, Device, DeviceList, DeviceStore, GroupInfo,
            GroupStore, HistoryQuery, IdentityKeyStore, LidMapping, MessageSecret, MessageStore, Page,
            PollVote, PreKeyStore, RecentMessage, SenderKeyStore, SessionStore, SettingsStore,
            SignedPreKeyStore, StatusUpdate, Store, StoreError, StoredMessage, TransactionalStore,
            check_message_id, check_prekey_id, check_setting_key, search_key,
        };

        use crate::container::{DeviceId, DeviceInfo, StoreContainer};
        use crate::sql::codec::{
            DeviceColumns, MessageColumns, ParticipantColumns, backend, decode_devices, decode_selected,
            encode_devices, encode_selected, jid, opt_jid, opt_text, public_key, record_error, to_i64,
            to_u32, to_u64,
        };
        use crate::sql::{Filter, Value, device_columns, message_columns};

        type Query<'q> = sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

        fn bind_all(mut query: Query<'_>, values: Vec<Value>) -> Query<'_> {
            for value in values {
                query = match value {
                    Value::Int(v) => query.bind(v),
                    Value::Text(v) => query.bind(v),
                };
            }
            query
        }

        #[doc = $store_doc]
        #[derive(Debug, Clone)]
        pub struct $store {
            pool: $pool,
            device: i64,
        }

        impl $store {
            /// The id of the device this store belongs to.
            pub fn device_id(&self) -> DeviceId {
                DeviceId(self.device)
            }

            async fn conn(&self) -> Result<sqlx::pool::PoolConnection<$db>, StoreError> {
                self.pool.acquire().await.map_err(backend)
            }

            async fn begin(&self) -> Result<sqlx::Transaction<'static, $db>, StoreError> {
                self.pool.begin_with($begin).await.map_err(backend)
            }

            async fn put_device(conn: &mut $conn, device: i64, d: &Device) -> Result<(), StoreError> {
                let done = sqlx::query(
                    "UPDATE wa_devices SET noise_private = $1, identity_private = $2, registration_id = $3, \
                     adv_secret_key = $4, signed_prekey_id = $5, jid = $6, lid = $7, push_name = $8, \
                     platform = $9, business_name = $10, account = $11, key_index_list = $12, \
                     server_time_offset = $13, created_at = $14 WHERE id = $15",
                )
                .bind(d.noise_key.private.to_bytes().to_vec())
                .bind(d.identity.private().to_bytes().to_vec())
                .bind(i64::from(d.registration_id))
                .bind(d.adv_secret_key.to_vec())
                .bind(i64::from(d.signed_prekey_id))
                .bind(opt_text(&d.jid))
                .bind(opt_text(&d.lid))
                .bind(d.push_name.as_deref())
                .bind(d.platform.as_deref())
                .bind(d.business_name.as_deref())
                .bind(d.account.as_deref())
                .bind(d.key_index_list.as_deref())
                .bind(d.server_time_offset)
                .bind(to_i64(d.created_at))
                .bind(device)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Invalid("no such device"));
                }
                Ok(())
            }

            async fn put_identity(
                conn: &mut $conn,
                device: i64,
                address: &ProtocolAddress,
                identity: &PublicKey,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO wa_identities (device_id, name, device_no, identity) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (device_id, name, device_no) DO UPDATE SET identity = excluded.identity",
                )
                .bind(device)
                .bind(address.name.as_str())
                .bind(i64::from(address.device_id))
                .bind(identity.as_bytes().to_vec())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_session(
                conn: &mut $conn,
                device: i64,
                address: &ProtocolAddress,
                record: &SessionRecord,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO wa_sessions (device_id, name, device_no, record) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (device_id, name, device_no) DO UPDATE SET record = excluded.record",
                )
                .bind(device)
                .bind(address.name.as_str())
                .bind(i64::from(address.device_id))
                .bind(record.to_bytes())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn drop_session(
                conn: &mut $conn,
                device: i64,
                address: &ProtocolAddress,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_sessions WHERE device_id = $1 AND name = $2 AND device_no = $3")
                    .bind(device)
                    .bind(address.name.as_str())
                    .bind(i64::from(address.device_id))
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn put_prekeys(
                conn: &mut $conn,
                device: i64,
                prekeys: &[PreKeyRecord],
            ) -> Result<(), StoreError> {
                for prekey in prekeys {
                    check_prekey_id(prekey.id)?;
                    sqlx::query(
                        "INSERT INTO wa_prekeys (device_id, id, record) VALUES ($1, $2, $3) \
                         ON CONFLICT (device_id, id) DO UPDATE SET record = excluded.record",
                    )
                    .bind(device)
                    .bind(i64::from(prekey.id))
                    .bind(prekey.to_bytes())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                }
                if let Some(last) = prekeys.last() {
                    sqlx::query("UPDATE wa_devices SET next_prekey_id = $1 WHERE id = $2")
                        .bind(i64::from(next_prekey_id(last.id)))
                        .bind(device)
                        .execute(&mut *conn)
                        .await
                        .map_err(backend)?;
                }
                Ok(())
            }

            async fn drop_prekey(conn: &mut $conn, device: i64, id: u32) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_prekeys WHERE device_id = $1 AND id = $2")
                    .bind(device)
                    .bind(i64::from(id))
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn put_signed_prekey(
                conn: &mut $conn,
                device: i64,
                record: &SignedPreKeyRecord,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO wa_signed_prekeys (device_id, id, timestamp, record) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (device_id, id) DO UPDATE SET timestamp = excluded.timestamp, \
                     record = excluded.record",
                )
                .bind(device)
                .bind(i64::from(record.id))
                .bind(to_i64(record.timestamp))
                .bind(record.to_bytes())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_sender_key(
                conn: &mut $conn,
                device: i64,
                name: &SenderKeyName,
                record: &SenderKeyRecord,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO wa_sender_keys (device_id, group_id, sender_name, sender_device, record) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, group_id, sender_name, sender_device) \
                     DO UPDATE SET record = excluded.record",
                )
                .bind(device)
                .bind(name.group_id.as_str())
                .bind(name.sender.name.as_str())
                .bind(i64::from(name.sender.device_id))
                .bind(record.to_bytes())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn drop_sender_key(
                conn: &mut $conn,
                device: i64,
                name: &SenderKeyName,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "DELETE FROM wa_sender_keys WHERE device_id = $1 AND group_id = $2 AND sender_name = $3 \
                     AND sender_device = $4",
                )
                .bind(device)
                .bind(name.group_id.as_str())
                .bind(name.sender.name.as_str())
                .bind(i64::from(name.sender.device_id))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_contact(conn: &mut $conn, device: i64, c: &Contact) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO wa_contacts (device_id, jid, push_name, full_name, first_name, business_name) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, jid) DO UPDATE SET \
                     push_name = COALESCE(excluded.push_name, wa_contacts.push_name), \
                     full_name = COALESCE(excluded.full_name, wa_contacts.full_name), \
                     first_name = COALESCE(excluded.first_name, wa_contacts.first_name), \
                     business_name = COALESCE(excluded.business_name, wa_contacts.business_name)",
                )
                .bind(device)
                .bind(c.jid.to_non_ad().to_string())
                .bind(c.push_name.as_deref())
                .bind(c.full_name.as_deref())
                .bind(c.first_name.as_deref())
                .bind(c.business_name.as_deref())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_lid_mapping(
                conn: &mut $conn,
                device: i64,
                mapping: &LidMapping,
            ) -> Result<(), StoreError> {
                let lid = mapping.lid.to_non_ad().to_string();
                let pn = mapping.pn.to_non_ad().to_string();
                sqlx::query("DELETE FROM wa_lid_map WHERE device_id = $1 AND (lid = $2 OR pn = $3)")
                    .bind(device)
                    .bind(lid.as_str())
                    .bind(pn.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                sqlx::query("INSERT INTO wa_lid_map (device_id, lid, pn) VALUES ($1, $2, $3)")
                    .bind(device)
                    .bind(lid)
                    .bind(pn)
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn put_device_list(
                conn: &mut $conn,
                device: i64,
                list: &DeviceList,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO wa_device_lists (device_id, user_jid, devices, fetched_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (device_id, user_jid) DO UPDATE SET \
                     devices = excluded.devices, fetched_at = excluded.fetched_at",
                )
                .bind(device)
                .bind(list.user.to_non_ad().to_string())
                .bind(encode_devices(&list.devices))
                .bind(to_i64(list.fetched_at))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn drop_device_list(conn: &mut $conn, device: i64, user: &Jid) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM wa_device_lists WHERE device_id = $1 AND user_jid = $2")
                    .bind(device)
                    .bind(user.to_non_ad().to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn put_group(conn: &mut $conn, device: i64, g: &GroupInfo) -> Result<(), StoreError> {
                let group_jid = g.jid.to_string();
                sqlx::query(
                    "INSERT INTO wa_groups (device_id, jid, subject, description, owner, created_at, \
                     addressing_mode, announce, locked, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (device_id, jid) DO UPDATE SET subject = excluded.subject, \
                     description = excluded.description, owner = excluded.owner, created_at = excluded.created_at, \
                     addressing_mode = excluded.addressing_mode, announce = excluded.announce, \
                     locked = excluded.locked, updated_at = excluded.updated_at",
                )
                .bind(device)
                .bind(group_jid.as_str())
                .bind(g.subject.as_str())
                .bind(g.description.as_deref())
                .bind(opt_text(&g.owner))
                .bind(g.created_at.map(to_i64))
                .bind(g.addressing_mode.as_str())
                .bind(g.announce)
                .bind(g.locked)
                .bind(to_i64(g.updated_at))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                sqlx::query("DELETE FROM wa_group_participants WHERE device_id = $1 AND group_jid = $2")
                    .bind(device)
                    .bind(group_jid.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                for (position, p) in g.participants.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO wa_group_participants (device_id, group_jid, position, jid, phone_number, \
                         lid, role) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(device)
                    .bind(group_jid.as_str())
                    .bind(i64::try_from(position).unwrap_or(i64::MAX))
                    .bind(p.jid.to_string())
                    .bind(opt_text(&p.phone_number))
                    .bind(opt_text(&p.lid))
                    .bind(p.role.as_str())
                    .execute(&mut *conn)
                    .await
                    .map_err(backend)?;
                }
                Ok(())
            }

            async fn put_message(conn: &mut $conn, device: i64, m: &StoredMessage) -> Result<bool, StoreError> {
                m.validate()?;
                let media = m.media.as_ref();
                let done = sqlx::query(concat!(
                    "INSERT INTO wa_messages (device_id, ",
                    message_columns!(),
                    ", text_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $19, $20) ON CONFLICT (device_id, chat, id) DO NOTHING"
                ))
                .bind(device)
                .bind(m.chat.to_string())
                .bind(m.id.as_str())
                .bind(m.sender.to_string())
                .bind(m.from_me)
                .bind(to_i64(m.timestamp))
                .bind(i64::from(m.status.rank()))
                .bind(m.message_type.as_str())
                .bind(m.text.as_deref())
                .bind(m.raw.as_slice())
                .bind(media.map(|x| x.media_type.as_str()))
                .bind(media.and_then(|x| x.mimetype.as_deref()))
                .bind(media.and_then(|x| x.file_name.as_deref()))
                .bind(media.and_then(|x| x.file_length).map(to_i64))
                .bind(media.and_then(|x| x.file_sha256.as_deref()))
                .bind(media.and_then(|x| x.file_enc_sha256.as_deref()))
                .bind(media.and_then(|x| x.media_key.as_deref()))
                .bind(media.and_then(|x| x.direct_path.as_deref()))
                .bind(media.and_then(|x| x.url.as_deref()))
                .bind(m.text.as_deref().map(search_key))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_status(conn: &mut $conn, device: i64, u: &StatusUpdate) -> Result<bool, StoreError> {
                check_message_id(&u.id)?;
                let rank = i64::from(u.status.rank());
                let done = sqlx::query(
                    "UPDATE wa_messages SET status = $1 WHERE device_id = $2 AND chat = $3 AND id = $4 \
                     AND status < $5",
                )
                .bind(rank)
                .bind(device)
                .bind(u.chat.to_string())
                .bind(u.id.as_str())
                .bind(rank)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_secret(conn: &mut $conn, device: i64, s: &MessageSecret) -> Result<(), StoreError> {
                check_message_id(&s.id)?;
                sqlx::query(
                    "INSERT INTO wa_message_secrets (device_id, chat, sender, id, secret) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (device_id, chat, sender, id) DO UPDATE SET secret = excluded.secret",
                )
                .bind(device)
                .bind(s.chat.to_string())
                .bind(s.sender.to_string())
                .bind(s.id.as_str())
                .bind(s.secret.as_slice())
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_recent(conn: &mut $conn, device: i64, m: &RecentMessage) -> Result<(), StoreError> {
                check_message_id(&m.id)?;
                sqlx::query(
                    "INSERT INTO wa_recent_messages (device_id, chat, id, plaintext, sent_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (device_id, chat, id) DO UPDATE SET plaintext = excluded.plaintext, \
                     sent_at = excluded.sent_at",
                )
                .bind(device)
                .bind(m.chat.to_string())
                .bind(m.id.as_str())
                .bind(m.plaintext.as_slice())
                .bind(to_i64(m.sent_at))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_vote(conn: &mut $conn, device: i64, v: &PollVote) -> Result<(), StoreError> {
                check_message_id(&v.poll_id)?;
                sqlx::query(
                    "INSERT INTO wa_poll_votes (device_id, chat, poll_id, voter, selected, timestamp) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, chat, poll_id, voter) DO UPDATE SET \
                     selected = excluded.selected, timestamp = excluded.timestamp",
                )
                .bind(device)
                .bind(v.chat.to_string())
                .bind(v.poll_id.as_str())
                .bind(v.voter.to_string())
                .bind(encode_selected(&v.selected))
                .bind(to_i64(v.timestamp))
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn put_setting(conn: &mut $conn, device: i64, key: &str, value: &[u8]) -> Result<(), StoreError> {
                check_setting_key(key)?;
                sqlx::query(
                    "INSERT INTO wa_settings (device_id, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (device_id, key) DO UPDATE SET value = excluded.value",
                )
                .bind(device)
                .bind(key)
                .bind(value)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
                Ok(())
            }

            /// Every write of `changes`, in the documented order, on one transaction's connection.
            async fn write_changes(conn: &mut $conn, device: i64, changes: &Changes) -> Result<(), StoreError> {
                if let Some(d) = &changes.device {
                    Self::put_device(conn, device, d).await?;
                }
                for (address, identity) in &changes.identities {
                    Self::put_identity(conn, device, address, identity).await?;
                }
                for address in &changes.deleted_sessions {
                    Self::drop_session(conn, device, address).await?;
                }
                for (address, record) in &changes.sessions {
                    Self::put_session(conn, device, address, record).await?;
                }
                Self::put_prekeys(conn, device, &changes.prekeys).await?;
                for id in &changes.removed_prekeys {
                    Self::drop_prekey(conn, device, *id).await?;
                }
                for record in &changes.signed_prekeys {
                    Self::put_signed_prekey(conn, device, record).await?;
                }
                for name in &changes.deleted_sender_keys {
                    Self::drop_sender_key(conn, device, name).await?;
                }
                for (name, record) in &changes.sender_keys {
                    Self::put_sender_key(conn, device, name, record).await?;
                }
                for contact in &changes.contacts {
                    Self::put_contact(conn, device, contact).await?;
                }
                for mapping in &changes.lid_mappings {
                    Self::put_lid_mapping(conn, device, mapping).await?;
                }
                for user in &changes.deleted_device_lists {
                    Self::drop_device_list(conn, device, user).await?;
                }
                for list in &changes.device_lists {
                    Self::put_device_list(conn, device, list).await?;
                }
                for group in &changes.groups {
                    Self::put_group(conn, device, group).await?;
                }
                for message in &changes.messages {
                    Self::put_message(conn, device, message).await?;
                }
                for update in &changes.status_updates {
                    Self::put_status(conn, device, update).await?;
                }
                for secret in &changes.message_secrets {
                    Self::put_secret(conn, device, secret).await?;
                }
                for message in &changes.recent_messages {
                    Self::put_recent(conn, device, message).await?;
                }
                for vote in &changes.poll_votes {
                    Self::put_vote(conn, device, vote).await?;
                }
                for (key, value) in &changes.settings {
                    Self::put_setting(conn, device, key, value).await?;
                }
                Ok(())
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
                if changes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin().await?;
                // On an error the transaction is dropped uncommitted, which rolls it back.
                Self::write_changes(&mut tx, self.device, changes).await?;
                tx.commit().await.map_err(backend)
            }

            async fn apply_all(&self, batches: &[Changes]) -> Result<(), StoreError> {
                if batches.iter().all(Changes::is_empty) {
                    return Ok(());
                }
                let mut tx = self.begin().await?;
                // One transaction, one commit for every batch; an error drops it uncommitted.
                for changes in batches {
                    Self::write_changes(&mut tx, self.device, changes).await?;
                }
                tx.commit().await.map_err(backend)
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
                Self::put_device(&mut *self.conn().await?, self.device, device).await
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
                Self::put_identity(&mut *self.conn().await?, self.device, address, identity).await
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
                Self::put_session(&mut *self.conn().await?, self.device, address, record).await
            }

            async fn delete_session(&self, address: &ProtocolAddress) -> Result<(), StoreError> {
                Self::drop_session(&mut *self.conn().await?, self.device, address).await
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
                let mut tx = self.begin().await?;
                Self::put_prekeys(&mut tx, self.device, prekeys).await?;
                tx.commit().await.map_err(backend)
            }

            async fn remove_prekey(&self, id: u32) -> Result<(), StoreError> {
                Self::drop_prekey(&mut *self.conn().await?, self.device, id).await
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
                Self::put_signed_prekey(&mut *self.conn().await?, self.device, record).await
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
                Self::put_sender_key(&mut *self.conn().await?, self.device, name, record).await
            }

            async fn delete_sender_key(&self, name: &SenderKeyName) -> Result<(), StoreError> {
                Self::drop_sender_key(&mut *self.conn().await?, self.device, name).await
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
                Self::put_contact(&mut *self.conn().await?, self.device, update).await
            }

            async fn save_lid_mapping(&self, mapping: &LidMapping) -> Result<(), StoreError> {
                let mut tx = self.begin().await?;
                Self::put_lid_mapping(&mut tx, self.device, mapping).await?;
                tx.commit().await.map_err(backend)
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
                Self::put_device_list(&mut *self.conn().await?, self.device, list).await
            }

            async fn delete_device_list(&self, user: &Jid) -> Result<(), StoreError> {
                Self::drop_device_list(&mut *self.conn().await?, self.device, user).await
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
                Self::put_message(&mut *self.conn().await?, self.device, message).await
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
                Self::put_status(&mut *self.conn().await?, self.device, update).await
            }

            async fn messages(&self, query: &HistoryQuery) -> Result<Page<StoredMessage>, StoreError> {
                self.page(Filter::history(self.device, query, $contains), query.limit, query.offset)
                    .await
            }

            async fn attachments(&self, query: &AttachmentQuery) -> Result<Page<StoredMessage>, StoreError> {
                self.page(Filter::attachments(self.device, query), query.limit, query.offset).await
            }

            async fn save_message_secret(&self, secret: &MessageSecret) -> Result<(), StoreError> {
                Self::put_secret(&mut *self.conn().await?, self.device, secret).await
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
                Self::put_recent(&mut *self.conn().await?, self.device, message).await
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
                Self::put_vote(&mut *self.conn().await?, self.device, vote).await
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
                let mut tx = self.begin().await?;
                Self::put_group(&mut tx, self.device, group).await?;
                tx.commit().await.map_err(backend)
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
                Self::put_setting(&mut *self.conn().await?, self.device, key, value).await
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
        }

        impl $container {
            /// Wraps a pool the caller configured, and brings its schema up to date.
            pub async fn from_pool(pool: $pool) -> Result<Self, StoreError> {
                let container = Self { pool };
                container.migrate().await?;
                Ok(container)
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
                Ok($store { pool: self.pool.clone(), device: id.0 })
            }

            /// Runs the migrations this database has not seen yet, each in its own transaction.
            /// Refuses a database whose schema is newer than this build.
            async fn migrate(&self) -> Result<(), StoreError> {
                let migrations: &[crate::sql::Migration] = $migrations;
                let newest = migrations.last().map_or(0, |m| m.version);
                let mut tx = self.pool.begin_with($begin).await.map_err(backend)?;
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
