-- A live account's protocol state (the storage of the WhatsApp library, wacore's
-- `Backend`): its device keys, Signal sessions and keys, app-state sync keys and
-- versions, LID <-> phone-number mappings, device lists, and short-lived protocol
-- records. All of it is secret, all of it belongs to one account and goes with it.
-- Addresses, JIDs and names are the library's own strings.

CREATE TABLE wa_device (
    account_id TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    data       TEXT NOT NULL            -- the library's Device, as JSON
);

CREATE TABLE wa_identities (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    key        BLOB NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;

CREATE TABLE wa_sessions (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    record     BLOB NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;

CREATE TABLE wa_prekeys (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    record     BLOB NOT NULL,
    uploaded   INTEGER NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE wa_signed_prekeys (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    id         INTEGER NOT NULL,
    record     BLOB NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE wa_sender_keys (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    record     BLOB NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;

CREATE TABLE wa_app_state_keys (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    key_id     BLOB NOT NULL,
    data       TEXT NOT NULL,           -- AppStateSyncKey, as JSON
    set_seq    INTEGER NOT NULL,        -- order of setting: the latest key is the last set
    PRIMARY KEY (account_id, key_id)
) WITHOUT ROWID;

CREATE TABLE wa_app_state_versions (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL,           -- HashState, as JSON
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

CREATE TABLE wa_app_state_macs (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    index_mac  BLOB NOT NULL,
    version    INTEGER NOT NULL,
    value_mac  BLOB NOT NULL,
    PRIMARY KEY (account_id, name, index_mac)
) WITHOUT ROWID;

CREATE TABLE wa_sender_key_devices (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_jid  TEXT NOT NULL,
    device_jid TEXT NOT NULL,
    has_key    INTEGER NOT NULL,
    PRIMARY KEY (account_id, group_jid, device_jid)
) WITHOUT ROWID;
CREATE INDEX wa_sender_key_devices_by_device ON wa_sender_key_devices (account_id, device_jid);

CREATE TABLE wa_lid_pn (
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    lid             TEXT NOT NULL,
    phone_number    TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    learning_source TEXT NOT NULL,
    put_seq         INTEGER NOT NULL,   -- a number's LID is the one put last
    PRIMARY KEY (account_id, lid)
) WITHOUT ROWID;
CREATE INDEX wa_lid_pn_by_phone ON wa_lid_pn (account_id, phone_number, put_seq);

CREATE TABLE wa_base_keys (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL,
    message_id TEXT NOT NULL,
    base_key   BLOB NOT NULL,
    PRIMARY KEY (account_id, address, message_id)
) WITHOUT ROWID;

CREATE TABLE wa_device_lists (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user       TEXT NOT NULL,
    record     TEXT NOT NULL,           -- DeviceListRecord, as JSON
    PRIMARY KEY (account_id, user)
) WITHOUT ROWID;

CREATE TABLE wa_group_metadata (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    group_jid  TEXT NOT NULL,
    blob       BLOB NOT NULL,
    PRIMARY KEY (account_id, group_jid)
) WITHOUT ROWID;

CREATE TABLE wa_tc_tokens (
    account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid              TEXT NOT NULL,
    token            BLOB NOT NULL,
    token_timestamp  INTEGER NOT NULL,
    sender_timestamp INTEGER,
    PRIMARY KEY (account_id, jid)
) WITHOUT ROWID;

CREATE TABLE wa_sent_messages (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chat_jid   TEXT NOT NULL,
    message_id TEXT NOT NULL,
    payload    BLOB NOT NULL,
    created_at INTEGER NOT NULL,        -- seconds
    PRIMARY KEY (account_id, chat_jid, message_id)
) WITHOUT ROWID;

CREATE TABLE wa_pending_inbound (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chat        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    id          TEXT NOT NULL,
    message     BLOB NOT NULL,
    inserted_at INTEGER NOT NULL,       -- seconds
    PRIMARY KEY (account_id, chat, sender, id)
) WITHOUT ROWID;

CREATE TABLE wa_msg_secrets (
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chat       TEXT NOT NULL,
    sender     TEXT NOT NULL,
    msg_id     TEXT NOT NULL,
    secret     BLOB NOT NULL,
    expires_at INTEGER NOT NULL,        -- 0: never
    message_ts INTEGER NOT NULL,
    PRIMARY KEY (account_id, chat, sender, msg_id)
) WITHOUT ROWID;
