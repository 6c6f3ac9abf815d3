-- Messages were indexed by (account, time); nothing reads them in that order (lists go
-- by chat, searches by the search index), and a phone's history sync, which comes
-- conversation by conversation, inserted all over that index: one more page rewritten
-- per message at a million. Keyed by the account alone, the index only grows at its
-- end (seq order) and still serves the per-account counts and deletes.
DROP INDEX messages_by_account_time;
CREATE INDEX messages_by_account ON messages (account_id);
