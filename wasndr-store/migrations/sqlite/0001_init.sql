-- wasndr-store schema 1 (SQLite). Every table but wa_devices is keyed by the device it belongs to and
-- goes with it (ON DELETE CASCADE): one database holds many devices. Tables are prefixed `wa_` so the
-- same file can hold the gateway's tables too.

CREATE TABLE wa_devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    next_prekey_id INTEGER,
    -- The Device; all NULL until one is saved (and again after logout).
    noise_private BLOB,
    identity_private BLOB,
    registration_id INTEGER,
    adv_secret_key BLOB,
    signed_prekey_id INTEGER,
    jid TEXT,
    lid TEXT,
    push_name TEXT,
    platform TEXT,
    business_name TEXT,
    account BLOB,
    key_index_list BLOB,
    server_time_offset INTEGER,
    created_at INTEGER
);

CREATE TABLE wa_identities (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    device_no INTEGER NOT NULL,
    identity BLOB NOT NULL,
    PRIMARY KEY (device_id, name, device_no)
);

CREATE TABLE wa_sessions (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    device_no INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (device_id, name, device_no)
);

CREATE TABLE wa_prekeys (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (device_id, id)
);

CREATE TABLE wa_signed_prekeys (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (device_id, id)
);

CREATE TABLE wa_sender_keys (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    sender_device INTEGER NOT NULL,
    record BLOB NOT NULL,
    PRIMARY KEY (device_id, group_id, sender_name, sender_device)
);

CREATE TABLE wa_contacts (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    push_name TEXT,
    full_name TEXT,
    first_name TEXT,
    business_name TEXT,
    PRIMARY KEY (device_id, jid)
);

CREATE TABLE wa_lid_map (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    lid TEXT NOT NULL,
    pn TEXT NOT NULL,
    PRIMARY KEY (device_id, lid),
    UNIQUE (device_id, pn)
);

CREATE TABLE wa_device_lists (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    user_jid TEXT NOT NULL,
    devices TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, user_jid)
);

CREATE TABLE wa_groups (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT,
    owner TEXT,
    created_at INTEGER,
    addressing_mode TEXT NOT NULL,
    announce INTEGER NOT NULL,
    locked INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, jid)
);

CREATE TABLE wa_group_participants (
    device_id INTEGER NOT NULL,
    group_jid TEXT NOT NULL,
    position INTEGER NOT NULL,
    jid TEXT NOT NULL,
    phone_number TEXT,
    lid TEXT,
    role TEXT NOT NULL,
    PRIMARY KEY (device_id, group_jid, position),
    FOREIGN KEY (device_id, group_jid) REFERENCES wa_groups(device_id, jid) ON DELETE CASCADE
);

CREATE TABLE wa_messages (
    seq INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    id TEXT NOT NULL,
    sender TEXT NOT NULL,
    from_me INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    status INTEGER NOT NULL,
    message_type TEXT NOT NULL,
    text TEXT,
    -- search_key(text): what history search compares (Unicode lower case, computed in Rust).
    text_key TEXT,
    raw BLOB NOT NULL,
    media_type TEXT,
    mimetype TEXT,
    file_name TEXT,
    file_length INTEGER,
    file_sha256 BLOB,
    file_enc_sha256 BLOB,
    media_key BLOB,
    direct_path TEXT,
    url TEXT,
    UNIQUE (device_id, chat, id)
);
CREATE INDEX wa_messages_by_time ON wa_messages (device_id, timestamp, seq);
CREATE INDEX wa_messages_by_chat ON wa_messages (device_id, chat, timestamp, seq);
CREATE INDEX wa_messages_media ON wa_messages (device_id, timestamp, seq) WHERE media_type IS NOT NULL;

CREATE TABLE wa_message_secrets (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    sender TEXT NOT NULL,
    id TEXT NOT NULL,
    secret BLOB NOT NULL,
    PRIMARY KEY (device_id, chat, sender, id)
);

CREATE TABLE wa_recent_messages (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    id TEXT NOT NULL,
    plaintext BLOB NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, chat, id)
);
CREATE INDEX wa_recent_messages_by_time ON wa_recent_messages (device_id, sent_at);

CREATE TABLE wa_poll_votes (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    poll_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    selected BLOB NOT NULL,
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (device_id, chat, poll_id, voter)
);

CREATE TABLE wa_settings (
    device_id INTEGER NOT NULL REFERENCES wa_devices(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (device_id, key)
);
