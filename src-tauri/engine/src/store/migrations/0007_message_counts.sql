-- Each account's message count, kept by the per-transaction catch-up that also
-- indexes new messages for search (`fts_indexed.seq` is how far both reach, see
-- `store::catch_up`). `get_account` counted them, walking the whole per-account index
-- (25 MB at a million messages) and filling a reader's page cache with it.
ALTER TABLE accounts ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET message_count = (
    SELECT count(*) FROM messages m
    WHERE m.account_id = accounts.id AND m.seq <= (SELECT seq FROM fts_indexed)
);
-- Counted messages uncount themselves, however they go (a chat or an account deleted).
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
WHEN old.seq <= (SELECT seq FROM fts_indexed) BEGIN
    UPDATE accounts SET message_count = message_count - 1 WHERE id = old.account_id;
END;
