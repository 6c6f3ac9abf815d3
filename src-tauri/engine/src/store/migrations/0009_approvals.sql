-- "Ask me first": a tool's third state, between on and off. An asked call waits for a
-- person's answer (the window, the agent's own client, or the command line).
ALTER TABLE tool_permissions ADD COLUMN ask INTEGER NOT NULL DEFAULT 0;

-- Calls waiting for (or answered by) a person. Any process may answer one (the
-- window's, or `whatsapp-use approvals approve` in a terminal): the first answer
-- wins (`status` leaves 'pending' once). `summary` is what the person was shown.
CREATE TABLE approvals (
    id          TEXT PRIMARY KEY,      -- apr_…
    key_id      TEXT NOT NULL,
    tool        TEXT NOT NULL,
    account_id  TEXT,
    chat_id     TEXT,
    summary     TEXT NOT NULL,         -- JSON
    slot        TEXT,                  -- the call's idempotency key: a retry joins
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'timed_out')),
    channel     TEXT,                  -- who answered: window, client, cli
    reason      TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    decided_at  INTEGER
);
CREATE INDEX approvals_pending ON approvals (status, created_at);

-- "Always allow this key in this chat": a call on `ask` to such a chat runs at once.
CREATE TABLE approval_allowances (
    key_id     TEXT NOT NULL,
    chat_id    TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, chat_id)
);
