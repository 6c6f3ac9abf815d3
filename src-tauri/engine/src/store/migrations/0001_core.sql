-- Core schema: accounts, people, chats, messages, API keys, the event log.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL              -- JSON
);

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,  -- acc_…
    kind          TEXT NOT NULL CHECK (kind IN ('live', 'sandbox')),
    label         TEXT,
    status        TEXT NOT NULL CHECK (status IN ('pairing', 'connected', 'disconnected', 'expired', 'logged_out')),
    status_detail TEXT,
    jid           TEXT,              -- own phone-number JID once paired
    lid           TEXT,
    phone         TEXT,              -- E.164
    push_name     TEXT,
    about         TEXT,
    picture_id    TEXT,              -- med_… of the profile picture
    created_at    INTEGER NOT NULL,
    paired_at     INTEGER,
    connected_at  INTEGER,
    updated_at    INTEGER NOT NULL
);

-- One person per row: phone-number JID and LID unified.
CREATE TABLE contacts (
    id            TEXT PRIMARY KEY,  -- ct_…
    account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    pn_jid        TEXT,
    lid_jid       TEXT,
    phone         TEXT,
    saved_name    TEXT,              -- from the address book
    push_name     TEXT,              -- the name they set
    business_name TEXT,
    is_business   INTEGER NOT NULL DEFAULT 0,
    about         TEXT,
    about_set_at  INTEGER,
    picture_id    TEXT,
    on_whatsapp   INTEGER,           -- NULL: not checked
    updated_at    INTEGER NOT NULL,
    UNIQUE (account_id, pn_jid),
    UNIQUE (account_id, lid_jid)
);

CREATE TABLE chats (
    id              TEXT PRIMARY KEY,   -- chat_…
    account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    jid             TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'broadcast', 'newsletter')),
    contact_id      TEXT REFERENCES contacts(id) ON DELETE SET NULL,
    name            TEXT,               -- group subject, broadcast name
    archived        INTEGER NOT NULL DEFAULT 0,
    pinned_at       INTEGER,
    muted_until     INTEGER,            -- -1: muted for ever
    marked_unread   INTEGER NOT NULL DEFAULT 0,
    unread_count    INTEGER NOT NULL DEFAULT 0,
    labels          TEXT,               -- JSON array of label names
    last_message_at INTEGER,
    created_at      INTEGER NOT NULL,
    UNIQUE (account_id, jid)
);
CREATE INDEX chats_by_activity ON chats (account_id, last_message_at DESC, id);

CREATE TABLE groups (
    chat_id     TEXT PRIMARY KEY REFERENCES chats(id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL,
    description TEXT,
    picture_id  TEXT,
    owner_jid   TEXT,
    created_at  INTEGER,
    announce    INTEGER NOT NULL DEFAULT 0,  -- only admins send
    locked      INTEGER NOT NULL DEFAULT 0,  -- only admins edit info
    invite_code TEXT,
    left_at     INTEGER,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE group_participants (
    chat_id    TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    jid        TEXT NOT NULL,
    contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
    role       TEXT NOT NULL CHECK (role IN ('member', 'admin', 'superadmin')),
    added_at   INTEGER,
    PRIMARY KEY (chat_id, jid)
);

CREATE TABLE messages (
    seq               INTEGER PRIMARY KEY,  -- insertion order: the tie-breaker of every keyset
    id                TEXT NOT NULL UNIQUE, -- msg_…
    account_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    chat_id           TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    wa_id             TEXT NOT NULL,        -- WhatsApp's own message ID
    from_me           INTEGER NOT NULL,
    sender_jid        TEXT,
    sender_contact_id TEXT,
    push_name         TEXT,
    ts                INTEGER NOT NULL,
    type              TEXT NOT NULL,
    text              TEXT,                 -- body or caption
    media_id          TEXT,
    data              TEXT,                 -- JSON: what is specific to the type
    reply_to_wa_id    TEXT,
    reply_to_id       TEXT,
    forwarded         INTEGER NOT NULL DEFAULT 0,
    status            TEXT,                 -- own messages: pending|sent|delivered|read|played|failed
    starred           INTEGER NOT NULL DEFAULT 0,
    edited_at         INTEGER,
    revoked_at        INTEGER,
    deleted_for_me    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_by_chat_time ON messages (chat_id, ts, seq);
CREATE INDEX messages_by_account_time ON messages (account_id, ts, seq);

CREATE TABLE reactions (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    sender_jid TEXT NOT NULL,              -- own reactions under the account's JID
    from_me    INTEGER NOT NULL,
    emoji      TEXT NOT NULL,
    ts         INTEGER NOT NULL,
    PRIMARY KEY (message_id, sender_jid)
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,         -- key_…
    name         TEXT NOT NULL,
    mode         TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    hash         BLOB NOT NULL UNIQUE,     -- SHA-256 of the secret
    hint         TEXT NOT NULL,            -- prefix and last characters, to recognise it
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

-- The durable event log (`get_events`, the window's Activity page, resumption).
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: cursors stay valid
    type        TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    chat_id     TEXT,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    data        TEXT NOT NULL                        -- JSON
);
CREATE INDEX events_by_account ON events (account_id, seq);
CREATE INDEX events_by_time ON events (received_at);

-- The sandbox network's own state (its "servers"), so the simulated world survives restarts.
CREATE TABLE sandbox_world (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL                              -- JSON
);
