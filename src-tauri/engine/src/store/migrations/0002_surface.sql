-- The whole tool surface: full-text search, media, permissions, idempotency, audit.

-- Full-text search over message text and captions: case- and accent-insensitive
-- (unicode61 folds case; remove_diacritics 2 makes "orcamento" find "orçamento").
-- External content: the text lives once, in `messages`.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.text IS NOT NULL BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.seq, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.text IS NOT NULL BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.seq, old.text WHERE old.text IS NOT NULL;
    INSERT INTO messages_fts (rowid, text) SELECT new.seq, new.text WHERE new.text IS NOT NULL;
END;

-- Media blobs live inside the encrypted store, in 1 MiB chunks (streamed in and out).
CREATE TABLE media (
    id          TEXT PRIMARY KEY,      -- med_…
    account_id  TEXT REFERENCES accounts(id) ON DELETE CASCADE,  -- received/sent media
    key_id      TEXT,                  -- the key that uploaded it
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT,
    file_name   TEXT,
    width       INTEGER,
    height      INTEGER,
    duration_ms INTEGER,
    complete    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE TABLE media_chunks (
    media_id TEXT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    idx      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (media_id, idx)
);

-- Per-tool permissions: scope '*' is global, otherwise an API key ID.
CREATE TABLE tool_permissions (
    scope   TEXT NOT NULL,
    tool    TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    PRIMARY KEY (scope, tool)
);

-- A key limited to some chats sees only those (NULL: every chat).
ALTER TABLE api_keys ADD COLUMN chats TEXT;

-- Idempotency keys: the same key from the same API key within 24 hours returns the
-- first result.
CREATE TABLE idempotency (
    key_id      TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    tool        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,         -- hash of the tool and its other arguments
    result      TEXT,                  -- JSON, once done
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX idempotency_by_time ON idempotency (created_at);

-- Every tool call, for the window's Activity page.
CREATE TABLE audit (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    key_id      TEXT,
    key_name    TEXT,
    tool        TEXT NOT NULL,
    args        TEXT NOT NULL,         -- JSON, message bodies redacted
    outcome     TEXT NOT NULL,         -- 'ok' or an error code
    duration_ms INTEGER NOT NULL
);
CREATE INDEX audit_by_time ON audit (at);

CREATE INDEX messages_by_sender ON messages (sender_contact_id, ts);
