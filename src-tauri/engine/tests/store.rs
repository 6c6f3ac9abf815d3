//! The encrypted store on a real SQLCipher file.

use wuse_engine::secrets::DbKey;
use wuse_engine::store::{Store, StoreError, DB_FILE};

#[test]
fn creates_encrypted_reopens_and_refuses_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let key = DbKey::generate();
    let store = Store::open(&path, key.clone()).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let key = DbKey::generate();
    let store = Store::open(&path, key.clone()).unwrap();
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
