//! The encrypted store on a real SQLCipher file.

use std::path::PathBuf;
use wuse_engine::secrets::DbKey;

use wuse_engine::store::{audit, Store, StoreError, DB_FILE};

/// A new store in a temporary dir (kept as long as the first value lives).
fn fresh() -> (tempfile::TempDir, PathBuf, DbKey, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let key = DbKey::generate();
    let store = Store::open(&path, key.clone()).unwrap();
    (dir, path, key, store)
}

#[test]
fn creates_encrypted_reopens_and_refuses_a_wrong_key() {
    let (_dir, path, key, store) = fresh();
    store
        .write(|tx| {
            tx.execute("INSERT INTO settings (key, value) VALUES ('probe', '\"hello\"')", [])?;
            Ok(())
        })
        .unwrap();
    store.checkpoint().unwrap();
    drop(store);

    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !bytes.starts_with(b"SQLite format 3"),
        "the file must not be plain SQLite"
    );
    assert!(!bytes.windows(5).any(|w| w == b"hello"));

    let again = Store::open(&path, key).unwrap();
    let v: String = again
        .read(|c| Ok(c.query_row("SELECT value FROM settings WHERE key = 'probe'", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(v, "\"hello\"");
    drop(again);

    let before = std::fs::read(&path).unwrap();
    match Store::open(&path, DbKey::generate()) {
        Err(StoreError::WrongKeyOrNotADatabase { .. }) => {}
        Err(e) => panic!("expected a wrong-key error, got {e}"),
        Ok(_) => panic!("a wrong key must not open the store"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is left untouched");
}

#[test]
fn plain_sqlite_cannot_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let store = Store::open(&path, DbKey::generate()).unwrap();
    store.checkpoint().unwrap();
    drop(store);
    let plain = rusqlite::Connection::open(&path).unwrap();
    let err = plain
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(err.to_string().contains("not a database"), "{err}");
}

#[test]
fn a_newer_schema_is_refused_untouched() {
    let (_dir, path, key, store) = fresh();
    store
        .write(|tx| Ok(tx.pragma_update(None, "user_version", 999)?))
        .unwrap();
    drop(store);
    match Store::open(&path, key) {
        Err(StoreError::TooNew { found, .. }) => assert_eq!(found, 999),
        other => panic!("expected TooNew, got {:?}", other.err()),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::write(
        &path,
        b"this is a text file, not a database at all, long enough to have a header......",
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        Store::open(&path, DbKey::generate()),
        Err(StoreError::WrongKeyOrNotADatabase { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn check_passes_a_whole_store_and_names_a_damaged_page() {
    use wuse_engine::store::check::check;
    let (_dir, path, key, store) = fresh();
    // Enough rows to span many pages, text in the search index among them.
    store
        .write(|tx| {
            for i in 0..2000 {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)",
                    rusqlite::params![format!("k{i}"), format!("\"{}\"", "v".repeat(200))],
                )?;
            }
            Ok(())
        })
        .unwrap();
    let report = check(&store).unwrap();
    assert!(report.ok, "{:?}", report.problems);
    store.checkpoint().unwrap();
    drop(store);

    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    let at = page * (bytes.len() / page / 2) + 300;
    for b in &mut bytes[at..at + 32] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let store = Store::open(&path, key).unwrap();
    let report = check(&store).unwrap();
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("encryption:") && p.contains("HMAC")),
        "{:?}",
        report.problems
    );
    drop(store);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "check changes nothing");
}

/// The search index is filled per write transaction (migration 0004): every committed
/// message is found, edits and deletes keep it exact, and seqs SQLite hands out again
/// after the newest messages were deleted are indexed too.
#[test]
fn the_search_index_follows_every_committed_change() {
    let (_dir, _path, _key, store) = fresh();
    let hits = |word: &str| -> Vec<i64> {
        store
            .read(|c| {
                let mut st = c.prepare("SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid")?;
                let rows = st.query_map([word], |r| r.get(0))?.collect::<Result<Vec<i64>, _>>()?;
                Ok(rows)
            })
            .unwrap()
    };
    let insert = |seq: i64, text: &str| {
        store
            .write(|tx| {
                tx.execute(
                    "INSERT OR IGNORE INTO accounts (id, kind, status, created_at, updated_at) VALUES ('acc_t', 'sandbox', 'connected', 0, 0)",
                    [],
                )?;
                tx.execute(
                    "INSERT OR IGNORE INTO chats (id, account_id, jid, kind, created_at) VALUES ('chat_t', 'acc_t', '1@s.whatsapp.net', 'direct', 0)",
                    [],
                )?;
                tx.execute(
                    "INSERT INTO messages (seq, id, account_id, chat_id, wa_id, from_me, ts, type, text)
                     VALUES (?1, 'msg_' || ?1, 'acc_t', 'chat_t', 'W' || ?1, 0, 0, 'text', ?2)",
                    rusqlite::params![seq, text],
                )?;
                Ok(())
            })
            .unwrap()
    };
    insert(1, "alpha bravo");
    insert(2, "bravo charlie");
    assert_eq!(hits("bravo"), vec![1, 2]);
    // An edit: the old words go, the new ones come.
    store
        .write(|tx| {
            Ok(tx
                .execute("UPDATE messages SET text = 'delta' WHERE seq = 2", [])
                .map(|_| ())?)
        })
        .unwrap();
    assert_eq!(hits("bravo"), vec![1]);
    assert_eq!(hits("delta"), vec![2]);
    // Insert, edit and delete in one transaction, before it was ever indexed.
    store
        .write(|tx| {
            tx.execute(
                "INSERT INTO messages (seq, id, account_id, chat_id, wa_id, from_me, ts, type, text)
                 VALUES (3, 'msg_3', 'acc_t', 'chat_t', 'W3', 0, 0, 'text', 'echo')",
                [],
            )?;
            tx.execute("UPDATE messages SET text = 'foxtrot' WHERE seq = 3", [])?;
            Ok(())
        })
        .unwrap();
    assert_eq!(hits("echo"), Vec::<i64>::new());
    assert_eq!(hits("foxtrot"), vec![3]);
    // The newest deleted; its seq is used again and the new message is found.
    store
        .write(|tx| Ok(tx.execute("DELETE FROM messages WHERE seq = 3", []).map(|_| ())?))
        .unwrap();
    assert_eq!(hits("foxtrot"), Vec::<i64>::new());
    insert(3, "golf");
    assert_eq!(hits("golf"), vec![3]);
    // FTS5's own check against the content table.
    store
        .read(|c| {
            c.execute(
                "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)",
                [],
            )?;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("index out of step: {e}"));
}

/// Every index on `messages` grows at its end or within one chat (message IDs begin
/// with their chat's), so a history sync, conversation by conversation, does not
/// rewrite pages all over the file. The per-account count still uses an index, not a
/// table scan.
#[test]
fn message_indexes_follow_insertion_or_chat_order() {
    let (_dir, _path, _key, store) = fresh();
    let (indexes, plan) = store
        .read(|c| {
            let mut st = c.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' ORDER BY name",
            )?;
            let names = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let plan: String = c.query_row(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM messages WHERE account_id = 'acc_x'",
                [],
                |r| r.get(3),
            )?;
            Ok((names, plan))
        })
        .unwrap();
    assert_eq!(
        indexes,
        [
            "messages_by_account",
            "messages_by_chat_time",
            "messages_by_sender",
            "sqlite_autoindex_messages_1"
        ]
    );
    assert!(plan.contains("USING COVERING INDEX messages_by_account"), "{plan}");
}

/// The audit log lives in its own file: logging a call commits nothing to the store's
/// file, so readers keep the pages they decrypted (`PRAGMA data_version` changes for a
/// connection when another commits to that file).
#[test]
fn audit_appends_leave_the_stores_file_untouched() {
    let (dir, _path, _key, store) = fresh();
    let versions = || -> (i64, i64) {
        store
            .read(|c| {
                Ok((
                    c.query_row("PRAGMA main.data_version", [], |r| r.get(0))?,
                    c.query_row("PRAGMA audit.data_version", [], |r| r.get(0))?,
                ))
            })
            .unwrap()
    };
    let before = versions();
    let key = wuse_engine::ids::KeyId::random();
    store
        .write(|tx| audit::append(tx, 1, &key, "k", "get_message", &serde_json::json!({}), "ok", 1))
        .unwrap();
    let after = versions();
    assert_eq!(after.0, before.0, "the store's file saw no commit");
    assert_ne!(after.1, before.1, "the audit file did");
    assert!(dir.path().join("whatsapp-use-audit.db").exists());
    let logged = store.read(|c| audit::recent(c, None, None, 10)).unwrap();
    assert_eq!(logged.len(), 1);
}

/// Stores from before the audit file kept the log in their own file; opening one
/// moves every entry over, once.
#[test]
fn an_older_stores_audit_log_moves_to_its_own_file() {
    let (_dir, path, key, store) = fresh();
    store
        .write(|tx| {
            tx.execute_batch(
                "CREATE TABLE main.audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, key_id TEXT,
                     key_name TEXT, tool TEXT NOT NULL, args TEXT NOT NULL, outcome TEXT NOT NULL, duration_ms INTEGER NOT NULL);
                 INSERT INTO main.audit (at, tool, args, outcome, duration_ms) VALUES (1, 'list_chats', '{}', 'ok', 3), (2, 'send_message', '{}', 'rate_limited', 0);",
            )?;
            Ok(())
        })
        .unwrap();
    drop(store);
    for _ in 0..2 {
        let store = Store::open(&path, key.clone()).unwrap();
        let tools: Vec<String> = store
            .read(|c| audit::recent(c, None, None, 10))
            .unwrap()
            .into_iter()
            .map(|e| e.tool)
            .collect();
        assert_eq!(tools, ["send_message", "list_chats"]);
        let in_main: i64 = store
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM main.sqlite_master WHERE name = 'audit'",
                    [],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(in_main, 0);
    }
}

/// Each account's message count is kept with the writes (migration 0007): inserts in
/// any number per transaction, deletes of counted and of not yet counted messages,
/// reused seqs, and a whole chat going. `check` compares it with the rows.
#[test]
fn account_message_counts_follow_every_committed_change() {
    let (_dir, _path, _key, store) = fresh();
    let sql = |batch: &str| {
        store
            .write(|tx| {
                tx.execute_batch(batch)?;
                Ok(())
            })
            .unwrap()
    };
    let counts = || -> Vec<(String, i64, i64)> {
        store
            .read(|c| {
                let mut st = c.prepare(
                    "SELECT id, message_count, (SELECT count(*) FROM messages m WHERE m.account_id = a.id)
                     FROM accounts a ORDER BY id",
                )?;
                let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .unwrap()
    };
    let held = |expected: [i64; 2]| {
        let c = counts();
        assert_eq!(c.iter().map(|r| r.2).collect::<Vec<_>>(), expected, "rows");
        assert_eq!(c.iter().map(|r| r.1).collect::<Vec<_>>(), expected, "counts: {c:?}");
    };
    sql("INSERT INTO accounts (id, kind, status, created_at, updated_at) VALUES
             ('acc_a', 'sandbox', 'connected', 0, 0), ('acc_b', 'sandbox', 'connected', 0, 0);
         INSERT INTO chats (id, account_id, jid, kind, created_at) VALUES
             ('chat_a', 'acc_a', '1@s.whatsapp.net', 'direct', 0), ('chat_b', 'acc_b', '2@s.whatsapp.net', 'direct', 0),
             ('chat_c', 'acc_a', '3@s.whatsapp.net', 'direct', 0);");
    let insert = |seq: i64, chat: &str, account: &str| {
        format!(
            "INSERT INTO messages (seq, id, account_id, chat_id, wa_id, from_me, ts, type, text)
             VALUES ({seq}, 'msg_{seq}', '{account}', '{chat}', 'W{seq}', 0, 0, 'text', 'hi');"
        )
    };
    sql(&(1..=5).map(|s| insert(s, "chat_a", "acc_a")).collect::<String>());
    sql(&(6..=8).map(|s| insert(s, "chat_b", "acc_b")).collect::<String>());
    held([5, 3]);
    // A counted message goes; then the newest, whose seq is handed out again.
    sql("DELETE FROM messages WHERE seq = 2");
    sql("DELETE FROM messages WHERE seq = 8");
    held([4, 2]);
    sql(&insert(8, "chat_c", "acc_a"));
    held([5, 2]);
    // Stored and deleted in one transaction, before it was ever counted.
    sql(&format!(
        "{} DELETE FROM messages WHERE seq = 9;",
        insert(9, "chat_a", "acc_a")
    ));
    held([5, 2]);
    // A chat goes with its messages.
    sql("DELETE FROM chats WHERE id = 'chat_a'");
    held([1, 2]);
    let report = wuse_engine::store::check::check(&store).unwrap();
    assert!(report.ok, "{:?}", report.problems);
    // A count out of step is a problem `check` names.
    sql("UPDATE accounts SET message_count = 7 WHERE id = 'acc_b'");
    let report = wuse_engine::store::check::check(&store).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("acc_b counts 7 messages but holds 2")),
        "{:?}",
        report.problems
    );
}
