-- The time each piece of synced state describes. A page of history is older than
-- what live events said since, so newer wins (see `store::fresh`): NULL means
-- "unknown", which anything may replace.
ALTER TABLE groups ADD COLUMN info_at INTEGER;      -- subject, description, announce, locked
ALTER TABLE groups ADD COLUMN members_at INTEGER;   -- the participant list, and left_at
ALTER TABLE chats ADD COLUMN name_at INTEGER;
ALTER TABLE chats ADD COLUMN archived_at INTEGER;
ALTER TABLE chats ADD COLUMN pinned_set_at INTEGER; -- when the pin state was set (pinned_at is the pin's time)
ALTER TABLE chats ADD COLUMN muted_at INTEGER;
ALTER TABLE chats ADD COLUMN unread_at INTEGER;     -- unread count and mark
-- Whether the primary phone holds messages older than the oldest one here
-- (`fetch_older_messages` gets them): 1, 0, or NULL for unknown.
ALTER TABLE chats ADD COLUMN older_on_phone INTEGER;
ALTER TABLE contacts ADD COLUMN saved_name_at INTEGER;
ALTER TABLE contacts ADD COLUMN push_name_at INTEGER;
-- When the person's security code last changed (one change is reported once, though
-- WhatsApp's notification and the first message under the new keys both tell it).
ALTER TABLE contacts ADD COLUMN identity_changed_at INTEGER;

-- Items from WhatsApp the store refused (a constraint, malformed data): recorded here
-- and skipped, so the rest of their batch is stored and acknowledged, and one bad
-- item never holds up an account. `item` is what it concerns (a WhatsApp message ID,
-- a JID), never its content.
CREATE TABLE ingest_failures (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    item       TEXT NOT NULL,
    error      TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX ingest_failures_by_account ON ingest_failures (account_id, id);

-- The person logged the account out, but WhatsApp has not confirmed the unlink yet:
-- the session keys stay, and the unlink is sent again on the next connect.
ALTER TABLE accounts ADD COLUMN unlink_pending INTEGER NOT NULL DEFAULT 0;
