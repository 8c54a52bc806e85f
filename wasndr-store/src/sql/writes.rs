//! Every write the SQL backends make, as data: a statement and the values bound to it, planned (and
//! checked) before anything reaches the database, so a batch with a bad value is refused whole.
//!
//! One plan, two ways to run it: sqlx runs the statements one by one on a connection (PostgreSQL, and
//! SQLite's single writes), and the SQLite batch writer (`crate::sqlite::writer`) runs a whole batch on
//! its own thread in one hand-off. The statements use `$N` placeholders numbered in order of first use,
//! which both PostgreSQL and SQLite read positionally.

use wasndr_core::crypto::PublicKey;
use wasndr_core::jid::Jid;
use wasndr_core::signal::group::SenderKeyRecord;
use wasndr_core::signal::session::SessionRecord;
use wasndr_core::signal::{PreKeyRecord, ProtocolAddress, SenderKeyName, SignedPreKeyRecord, next_prekey_id};
use wasndr_core::store::{
    Changes, Contact, Device, DeviceList, GroupInfo, LidMapping, MessageSecret, PollVote, RecentMessage,
    StatusUpdate, StoreError, StoredMessage, check_message_id, check_prekey_id, check_setting_key,
    search_key,
};

use super::codec::{encode_devices, encode_selected, opt_text, to_i64};

/// A bound value. NULLs keep their type: PostgreSQL needs it for the parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
    Bool(bool),
}

impl Param {
    pub(crate) fn int(value: impl Into<i64>) -> Self {
        Param::Int(Some(value.into()))
    }

    pub(crate) fn text(value: impl Into<String>) -> Self {
        Param::Text(Some(value.into()))
    }

    fn blob(value: impl Into<Vec<u8>>) -> Self {
        Param::Blob(Some(value.into()))
    }

    fn opt_text(value: Option<&str>) -> Self {
        Param::Text(value.map(str::to_owned))
    }

    fn opt_blob(value: Option<&[u8]>) -> Self {
        Param::Blob(value.map(<[u8]>::to_vec))
    }
}

/// One statement with its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Write {
    pub(crate) sql: &'static str,
    pub(crate) params: Vec<Param>,
    /// When set, the statement must touch a row, or the write fails with this
    /// [`StoreError::Invalid`] reason (an update of a row that has to exist).
    pub(crate) required: Option<&'static str>,
}

impl Write {
    fn new(sql: &'static str, params: Vec<Param>) -> Self {
        debug_assert!(
            numbered_in_order(sql, params.len()),
            "placeholders out of order: {sql}"
        );
        Self {
            sql,
            params,
            required: None,
        }
    }

    /// The outcome of a statement that touched `rows` rows.
    pub(crate) fn check(&self, rows: u64) -> Result<u64, StoreError> {
        match self.required {
            Some(reason) if rows == 0 => Err(StoreError::Invalid(reason)),
            _ => Ok(rows),
        }
    }
}

fn address_params(device: i64, address: &ProtocolAddress) -> [Param; 3] {
    [
        Param::int(device),
        Param::text(address.name.as_str()),
        Param::int(address.device_id),
    ]
}

fn sender_key_params(device: i64, name: &SenderKeyName) -> Vec<Param> {
    vec![
        Param::int(device),
        Param::text(name.group_id.as_str()),
        Param::text(name.sender.name.as_str()),
        Param::int(name.sender.device_id),
    ]
}

pub(crate) fn device(device: i64, d: &Device) -> Write {
    Write {
        required: Some("no such device"),
        ..Write::new(
            "UPDATE wa_devices SET noise_private = $1, identity_private = $2, registration_id = $3, \
             adv_secret_key = $4, signed_prekey_id = $5, jid = $6, lid = $7, push_name = $8, \
             platform = $9, business_name = $10, account = $11, key_index_list = $12, \
             server_time_offset = $13, created_at = $14 WHERE id = $15",
            vec![
                Param::blob(d.noise_key.private.to_bytes()),
                Param::blob(d.identity.private().to_bytes()),
                Param::int(d.registration_id),
                Param::blob(d.adv_secret_key),
                Param::int(d.signed_prekey_id),
                Param::Text(opt_text(&d.jid)),
                Param::Text(opt_text(&d.lid)),
                Param::opt_text(d.push_name.as_deref()),
                Param::opt_text(d.platform.as_deref()),
                Param::opt_text(d.business_name.as_deref()),
                Param::opt_blob(d.account.as_deref()),
                Param::opt_blob(d.key_index_list.as_deref()),
                Param::int(d.server_time_offset),
                Param::int(to_i64(d.created_at)),
                Param::int(device),
            ],
        )
    }
}

pub(crate) fn identity(device: i64, address: &ProtocolAddress, identity: &PublicKey) -> Write {
    let mut params = address_params(device, address).to_vec();
    params.push(Param::blob(identity.as_bytes().as_slice()));
    Write::new(
        "INSERT INTO wa_identities (device_id, name, device_no, identity) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id, name, device_no) DO UPDATE SET identity = excluded.identity",
        params,
    )
}

pub(crate) fn session(device: i64, address: &ProtocolAddress, record: &SessionRecord) -> Write {
    let mut params = address_params(device, address).to_vec();
    params.push(Param::blob(record.to_bytes()));
    Write::new(
        "INSERT INTO wa_sessions (device_id, name, device_no, record) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id, name, device_no) DO UPDATE SET record = excluded.record",
        params,
    )
}

pub(crate) fn drop_session(device: i64, address: &ProtocolAddress) -> Write {
    Write::new(
        "DELETE FROM wa_sessions WHERE device_id = $1 AND name = $2 AND device_no = $3",
        address_params(device, address).to_vec(),
    )
}

/// The prekeys, then the device's next prekey id past the last of them.
pub(crate) fn prekeys(out: &mut Vec<Write>, device: i64, prekeys: &[PreKeyRecord]) -> Result<(), StoreError> {
    for prekey in prekeys {
        check_prekey_id(prekey.id)?;
        out.push(Write::new(
            "INSERT INTO wa_prekeys (device_id, id, record) VALUES ($1, $2, $3) \
             ON CONFLICT (device_id, id) DO UPDATE SET record = excluded.record",
            vec![
                Param::int(device),
                Param::int(prekey.id),
                Param::blob(prekey.to_bytes()),
            ],
        ));
    }
    if let Some(last) = prekeys.last() {
        out.push(Write::new(
            "UPDATE wa_devices SET next_prekey_id = $1 WHERE id = $2",
            vec![Param::int(next_prekey_id(last.id)), Param::int(device)],
        ));
    }
    Ok(())
}

pub(crate) fn drop_prekey(device: i64, id: u32) -> Write {
    Write::new(
        "DELETE FROM wa_prekeys WHERE device_id = $1 AND id = $2",
        vec![Param::int(device), Param::int(id)],
    )
}

pub(crate) fn signed_prekey(device: i64, record: &SignedPreKeyRecord) -> Write {
    Write::new(
        "INSERT INTO wa_signed_prekeys (device_id, id, timestamp, record) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id, id) DO UPDATE SET timestamp = excluded.timestamp, record = excluded.record",
        vec![
            Param::int(device),
            Param::int(record.id),
            Param::int(to_i64(record.timestamp)),
            Param::blob(record.to_bytes()),
        ],
    )
}

pub(crate) fn sender_key(device: i64, name: &SenderKeyName, record: &SenderKeyRecord) -> Write {
    let mut params = sender_key_params(device, name);
    params.push(Param::blob(record.to_bytes()));
    Write::new(
        "INSERT INTO wa_sender_keys (device_id, group_id, sender_name, sender_device, record) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (device_id, group_id, sender_name, sender_device) \
         DO UPDATE SET record = excluded.record",
        params,
    )
}

pub(crate) fn drop_sender_key(device: i64, name: &SenderKeyName) -> Write {
    Write::new(
        "DELETE FROM wa_sender_keys WHERE device_id = $1 AND group_id = $2 AND sender_name = $3 \
         AND sender_device = $4",
        sender_key_params(device, name),
    )
}

/// Merges `c` into the stored contact: names it leaves unset keep their stored value.
pub(crate) fn contact(device: i64, c: &Contact) -> Write {
    Write::new(
        "INSERT INTO wa_contacts (device_id, jid, push_name, full_name, first_name, business_name) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, jid) DO UPDATE SET \
         push_name = COALESCE(excluded.push_name, wa_contacts.push_name), \
         full_name = COALESCE(excluded.full_name, wa_contacts.full_name), \
         first_name = COALESCE(excluded.first_name, wa_contacts.first_name), \
         business_name = COALESCE(excluded.business_name, wa_contacts.business_name)",
        vec![
            Param::int(device),
            Param::text(c.jid.to_non_ad().to_string()),
            Param::opt_text(c.push_name.as_deref()),
            Param::opt_text(c.full_name.as_deref()),
            Param::opt_text(c.first_name.as_deref()),
            Param::opt_text(c.business_name.as_deref()),
        ],
    )
}

/// A LID ↔ phone number pair replaces whatever either side was paired with before.
pub(crate) fn lid_mapping(out: &mut Vec<Write>, device: i64, mapping: &LidMapping) {
    let lid = mapping.lid.to_non_ad().to_string();
    let pn = mapping.pn.to_non_ad().to_string();
    out.push(Write::new(
        "DELETE FROM wa_lid_map WHERE device_id = $1 AND (lid = $2 OR pn = $3)",
        vec![
            Param::int(device),
            Param::text(lid.as_str()),
            Param::text(pn.as_str()),
        ],
    ));
    out.push(Write::new(
        "INSERT INTO wa_lid_map (device_id, lid, pn) VALUES ($1, $2, $3)",
        vec![Param::int(device), Param::text(lid), Param::text(pn)],
    ));
}

pub(crate) fn device_list(device: i64, list: &DeviceList) -> Write {
    Write::new(
        "INSERT INTO wa_device_lists (device_id, user_jid, devices, fetched_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (device_id, user_jid) DO UPDATE SET \
         devices = excluded.devices, fetched_at = excluded.fetched_at",
        vec![
            Param::int(device),
            Param::text(list.user.to_non_ad().to_string()),
            Param::text(encode_devices(&list.devices)),
            Param::int(to_i64(list.fetched_at)),
        ],
    )
}

pub(crate) fn drop_device_list(device: i64, user: &Jid) -> Write {
    Write::new(
        "DELETE FROM wa_device_lists WHERE device_id = $1 AND user_jid = $2",
        vec![Param::int(device), Param::text(user.to_non_ad().to_string())],
    )
}

/// The group's row, and its participant list replaced in order.
pub(crate) fn group(out: &mut Vec<Write>, device: i64, g: &GroupInfo) {
    let group_jid = g.jid.to_string();
    out.push(Write::new(
        "INSERT INTO wa_groups (device_id, jid, subject, description, owner, created_at, \
         addressing_mode, announce, locked, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (device_id, jid) DO UPDATE SET subject = excluded.subject, \
         description = excluded.description, owner = excluded.owner, created_at = excluded.created_at, \
         addressing_mode = excluded.addressing_mode, announce = excluded.announce, \
         locked = excluded.locked, updated_at = excluded.updated_at",
        vec![
            Param::int(device),
            Param::text(group_jid.as_str()),
            Param::text(g.subject.as_str()),
            Param::opt_text(g.description.as_deref()),
            Param::Text(opt_text(&g.owner)),
            Param::Int(g.created_at.map(to_i64)),
            Param::text(g.addressing_mode.as_str()),
            Param::Bool(g.announce),
            Param::Bool(g.locked),
            Param::int(to_i64(g.updated_at)),
        ],
    ));
    out.push(Write::new(
        "DELETE FROM wa_group_participants WHERE device_id = $1 AND group_jid = $2",
        vec![Param::int(device), Param::text(group_jid.as_str())],
    ));
    for (position, p) in g.participants.iter().enumerate() {
        out.push(Write::new(
            "INSERT INTO wa_group_participants (device_id, group_jid, position, jid, phone_number, \
             lid, role) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Param::int(device),
                Param::text(group_jid.as_str()),
                Param::int(i64::try_from(position).unwrap_or(i64::MAX)),
                Param::text(p.jid.to_string()),
                Param::Text(opt_text(&p.phone_number)),
                Param::Text(opt_text(&p.lid)),
                Param::text(p.role.as_str()),
            ],
        ));
    }
}

/// Inserts a message unless one with its chat and id is stored (touches no row then).
pub(crate) fn message(device: i64, m: &StoredMessage) -> Result<Write, StoreError> {
    m.validate()?;
    let media = m.media.as_ref();
    Ok(Write::new(
        concat!(
            "INSERT INTO wa_messages (device_id, ",
            super::message_columns!(),
            ", text_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20) ON CONFLICT (device_id, chat, id) DO NOTHING"
        ),
        vec![
            Param::int(device),
            Param::text(m.chat.to_string()),
            Param::text(m.id.as_str()),
            Param::text(m.sender.to_string()),
            Param::Bool(m.from_me),
            Param::int(to_i64(m.timestamp)),
            Param::int(m.status.rank()),
            Param::text(m.message_type.as_str()),
            Param::opt_text(m.text.as_deref()),
            Param::blob(m.raw.as_slice()),
            Param::opt_text(media.map(|x| x.media_type.as_str())),
            Param::opt_text(media.and_then(|x| x.mimetype.as_deref())),
            Param::opt_text(media.and_then(|x| x.file_name.as_deref())),
            Param::Int(media.and_then(|x| x.file_length).map(to_i64)),
            Param::opt_blob(media.and_then(|x| x.file_sha256.as_deref())),
            Param::opt_blob(media.and_then(|x| x.file_enc_sha256.as_deref())),
            Param::opt_blob(media.and_then(|x| x.media_key.as_deref())),
            Param::opt_text(media.and_then(|x| x.direct_path.as_deref())),
            Param::opt_text(media.and_then(|x| x.url.as_deref())),
            Param::Text(m.text.as_deref().map(search_key)),
        ],
    ))
}

/// Moves a stored message's status forward (touches no row if it is missing or already further).
pub(crate) fn status(device: i64, u: &StatusUpdate) -> Result<Write, StoreError> {
    check_message_id(&u.id)?;
    let rank = i64::from(u.status.rank());
    Ok(Write::new(
        "UPDATE wa_messages SET status = $1 WHERE device_id = $2 AND chat = $3 AND id = $4 AND status < $5",
        vec![
            Param::int(rank),
            Param::int(device),
            Param::text(u.chat.to_string()),
            Param::text(u.id.as_str()),
            Param::int(rank),
        ],
    ))
}

pub(crate) fn secret(device: i64, s: &MessageSecret) -> Result<Write, StoreError> {
    check_message_id(&s.id)?;
    Ok(Write::new(
        "INSERT INTO wa_message_secrets (device_id, chat, sender, id, secret) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (device_id, chat, sender, id) DO UPDATE SET secret = excluded.secret",
        vec![
            Param::int(device),
            Param::text(s.chat.to_string()),
            Param::text(s.sender.to_string()),
            Param::text(s.id.as_str()),
            Param::blob(s.secret.as_slice()),
        ],
    ))
}

pub(crate) fn recent(device: i64, m: &RecentMessage) -> Result<Write, StoreError> {
    check_message_id(&m.id)?;
    Ok(Write::new(
        "INSERT INTO wa_recent_messages (device_id, chat, id, plaintext, sent_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (device_id, chat, id) DO UPDATE SET plaintext = excluded.plaintext, \
         sent_at = excluded.sent_at",
        vec![
            Param::int(device),
            Param::text(m.chat.to_string()),
            Param::text(m.id.as_str()),
            Param::blob(m.plaintext.as_slice()),
            Param::int(to_i64(m.sent_at)),
        ],
    ))
}

pub(crate) fn vote(device: i64, v: &PollVote) -> Result<Write, StoreError> {
    check_message_id(&v.poll_id)?;
    Ok(Write::new(
        "INSERT INTO wa_poll_votes (device_id, chat, poll_id, voter, selected, timestamp) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, chat, poll_id, voter) DO UPDATE SET \
         selected = excluded.selected, timestamp = excluded.timestamp",
        vec![
            Param::int(device),
            Param::text(v.chat.to_string()),
            Param::text(v.poll_id.as_str()),
            Param::text(v.voter.to_string()),
            Param::blob(encode_selected(&v.selected)),
            Param::int(to_i64(v.timestamp)),
        ],
    ))
}

pub(crate) fn setting(device: i64, key: &str, value: &[u8]) -> Result<Write, StoreError> {
    check_setting_key(key)?;
    Ok(Write::new(
        "INSERT INTO wa_settings (device_id, key, value) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id, key) DO UPDATE SET value = excluded.value",
        vec![Param::int(device), Param::text(key), Param::blob(value)],
    ))
}

/// Every write of `changes`, in the order [`Changes`] documents, appended to `out`. A bad value fails
/// the plan before any of it runs.
pub(crate) fn changes(out: &mut Vec<Write>, device: i64, changes: &Changes) -> Result<(), StoreError> {
    if let Some(d) = &changes.device {
        out.push(self::device(device, d));
    }
    for (address, key) in &changes.identities {
        out.push(identity(device, address, key));
    }
    for address in &changes.deleted_sessions {
        out.push(drop_session(device, address));
    }
    for (address, record) in &changes.sessions {
        out.push(session(device, address, record));
    }
    prekeys(out, device, &changes.prekeys)?;
    for id in &changes.removed_prekeys {
        out.push(drop_prekey(device, *id));
    }
    for record in &changes.signed_prekeys {
        out.push(signed_prekey(device, record));
    }
    for name in &changes.deleted_sender_keys {
        out.push(drop_sender_key(device, name));
    }
    for (name, record) in &changes.sender_keys {
        out.push(sender_key(device, name, record));
    }
    for c in &changes.contacts {
        out.push(contact(device, c));
    }
    for mapping in &changes.lid_mappings {
        lid_mapping(out, device, mapping);
    }
    for user in &changes.deleted_device_lists {
        out.push(drop_device_list(device, user));
    }
    for list in &changes.device_lists {
        out.push(device_list(device, list));
    }
    for g in &changes.groups {
        group(out, device, g);
    }
    for m in &changes.messages {
        out.push(message(device, m)?);
    }
    for update in &changes.status_updates {
        out.push(status(device, update)?);
    }
    for s in &changes.message_secrets {
        out.push(secret(device, s)?);
    }
    for m in &changes.recent_messages {
        out.push(recent(device, m)?);
    }
    for v in &changes.poll_votes {
        out.push(vote(device, v)?);
    }
    for (key, value) in &changes.settings {
        out.push(setting(device, key, value)?);
    }
    Ok(())
}

/// Whether `sql`'s placeholders are `$1..$count`, each first used after the one before it: what lets
/// a positional binder (SQLite's) and PostgreSQL's numbered one read the same values.
fn numbered_in_order(sql: &str, count: usize) -> bool {
    let mut seen = 0usize;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let Ok(n) = rest[..digits].parse::<usize>() else {
            return false;
        };
        if n == seen + 1 {
            seen = n;
        } else if n == 0 || n > seen {
            return false;
        }
        rest = &rest[digits..];
    }
    seen == count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_numbering_is_checked() {
        assert!(numbered_in_order("SET a = $1 WHERE b = $2 AND c < $1", 2));
        assert!(!numbered_in_order("SET a = $2 WHERE b = $1", 2));
        assert!(!numbered_in_order("SET a = $1 WHERE b = $3", 3));
        assert!(!numbered_in_order("SET a = $1", 2));
        assert!(!numbered_in_order("SET a = $x", 0));
    }

    #[test]
    fn every_planned_statement_numbers_its_placeholders_in_order() {
        let chat = Jid::pn("15550001111");
        let mut out = Vec::new();
        lid_mapping(
            &mut out,
            1,
            &LidMapping {
                lid: Jid::parse("123@lid").unwrap(),
                pn: chat.clone(),
            },
        );
        out.push(drop_session(1, &ProtocolAddress::new("15550001111", 2)));
        out.push(drop_prekey(1, 5));
        out.push(drop_device_list(1, &chat));
        out.push(contact(1, &Contact::new(chat.clone())));
        out.push(
            status(
                1,
                &StatusUpdate {
                    chat: chat.clone(),
                    id: "3EB0AA".into(),
                    status: wasndr_core::store::MessageStatus::Read,
                },
            )
            .unwrap(),
        );
        out.push(setting(1, "k", b"v").unwrap());
        out.push(
            recent(
                1,
                &RecentMessage {
                    chat: chat.clone(),
                    id: "3EB0AB".into(),
                    plaintext: b"p".to_vec(),
                    sent_at: 1,
                },
            )
            .unwrap(),
        );
        for write in &out {
            assert!(numbered_in_order(write.sql, write.params.len()), "{}", write.sql);
        }
    }
}
