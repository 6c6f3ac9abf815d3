//! The database key in the real OS keychain (a Secret Service: the test script runs
//! this inside a private D-Bus session with gnome-keyring).

use wuse_engine::secrets::{forget_db_key, resolve_db_key, KeySource, SecretsError};

#[test]
fn key_is_created_once_then_read_back() {
    if std::env::var_os("WUSE_DB_KEY").is_some() {
        // An explicit key bypasses the keychain by design; nothing to test here.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (first, source) =
        resolve_db_key(dir.path(), false).expect("a keychain is reachable (run under scripts/with-keyring)");
    assert_eq!(source, KeySource::NewInKeychain);
    let (again, source) = resolve_db_key(dir.path(), true).unwrap();
    assert_eq!(source, KeySource::Keychain);
    assert_eq!(first.to_hex().as_str(), again.to_hex().as_str());

    // Another data dir gets another key.
    let other = tempfile::tempdir().unwrap();
    let (k2, _) = resolve_db_key(other.path(), false).unwrap();
    assert_ne!(k2.to_hex().as_str(), first.to_hex().as_str());

    // A database without its key is an error, never a reason to make a new key.
    forget_db_key(dir.path()).unwrap();
    match resolve_db_key(dir.path(), true) {
        Err(SecretsError::KeyMissingForExistingDatabase { .. }) => {}
        other => panic!(
            "expected KeyMissingForExistingDatabase, got {:?}",
            other.map(|(_, s)| s)
        ),
    }
    forget_db_key(other.path()).unwrap();
}
