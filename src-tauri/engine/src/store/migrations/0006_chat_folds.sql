-- Message IDs now begin with their chat's ID (`MessageId::derive_in`), so a
-- conversation's messages sit together in the ID index. When a person's LID chat folds
-- into their phone-number chat, its messages move but keep their IDs; this table
-- remembers the fold so a later edit, reaction or receipt still finds them.
CREATE TABLE chat_folds (
    folded_id TEXT PRIMARY KEY,
    kept_id   TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE
);
CREATE INDEX chat_folds_by_kept ON chat_folds (kept_id);
