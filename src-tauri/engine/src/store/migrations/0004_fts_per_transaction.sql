-- The search index is filled once per write transaction, not by a trigger per row.
-- FTS5 flushes its pending terms at every statement savepoint, so a trigger made each
-- inserted message a segment of its own and history syncs spent a third of their
-- time merging them. `fts_indexed` remembers how far the index reaches; every write
-- transaction indexes the messages after it (`Store::write`), before committing, so
-- a committed message is always searchable.
DROP TRIGGER messages_fts_insert;

CREATE TABLE fts_indexed (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL                 -- messages up to this seq are in messages_fts
);
INSERT INTO fts_indexed (id, seq) VALUES (1, (SELECT coalesce(max(seq), 0) FROM messages));

-- Changes to messages not yet indexed need nothing: they are indexed as they are.
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.text IS NOT NULL AND old.seq <= (SELECT seq FROM fts_indexed) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
WHEN old.seq <= (SELECT seq FROM fts_indexed) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', old.seq, old.text WHERE old.text IS NOT NULL;
    INSERT INTO messages_fts (rowid, text) SELECT new.seq, new.text WHERE new.text IS NOT NULL;
END;
