//! The database key: random, created on first start, kept in the OS keychain.
//!
//! The key never touches the disk in clear. Where no keychain is reachable (a
//! headless server without a Secret Service), start-up fails with a message naming
//! the ways out, instead of silently falling back to a key file.

use std::fmt;
use std::path::Path;

use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const SERVICE: &str = "whatsapp-use";
/// Environment variable that supplies the key explicitly (64 hex characters).
pub const DB_KEY_ENV: &str = "WUSE_DB_KEY";

/// A 256-bit SQLCipher raw key. Zeroed on drop; never printed.
#[derive(Clone)]
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.len() != 64 {
            return None;
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(s, bytes.as_mut()).ok()?;
        Some(Self(bytes))
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// The `PRAGMA key` value in SQLCipher's raw-key form (`x'…'`), which skips the
    /// passphrase KDF so every pooled connection opens fast.
    pub(crate) fn pragma_value(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0.as_ref())))
    }
}

impl fmt::Debug for DbKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DbKey(<redacted>)")
    }
}

/// Where the key came from (shown at start-up, never the key itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    Keychain,
    /// Just generated and saved to the keychain.
    NewInKeychain,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "no OS keychain is reachable to hold the database key ({detail}).\n\
         Ways out:\n  \
         - start a Secret Service in this session (on Linux: gnome-keyring-daemon or KeePassXC inside a D-Bus session), or\n  \
         - set {DB_KEY_ENV} to 64 hex characters (for example from `openssl rand -hex 32`) and keep it safe: \
         without it the data cannot be opened."
    )]
    KeychainUnavailable { detail: String },
    #[error(
        "the database {path} exists but the keychain holds no key for it. \
         Restore the keychain entry `{SERVICE}` / `{user}`, or set {DB_KEY_ENV} to the key it was created with. \
         The database was left untouched."
    )]
    KeyMissingForExistingDatabase { path: String, user: String },
    #[error("{DB_KEY_ENV} must be exactly 64 hex characters (a 256-bit key, e.g. `openssl rand -hex 32`)")]
    BadEnvKey,
    #[error("the keychain entry `{SERVICE}` / `{user}` is not a valid database key")]
    CorruptKeychainEntry { user: String },
}

/// The keychain account name for one data dir, so several data dirs (and test runs)
/// each get their own key.
fn keychain_user(data_dir: &Path) -> String {
    let canonical = data_dir.canonicalize().unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
    format!("database-key:{}", hex::encode(&digest[..8]))
}

fn unavailable(e: keyring::Error) -> SecretsError {
    SecretsError::KeychainUnavailable { detail: e.to_string() }
}

/// Resolve the database key for `data_dir`. `db_exists` says whether the database
/// file is already there: a missing key is then an error, never a reason to make a
/// new one (that would lock the old data away for good).
pub fn resolve_db_key(data_dir: &Path, db_exists: bool) -> Result<(DbKey, KeySource), SecretsError> {
    if let Ok(v) = std::env::var(DB_KEY_ENV) {
        let key = DbKey::from_hex(&v).ok_or(SecretsError::BadEnvKey)?;
        return Ok((key, KeySource::Environment));
    }
    let user = keychain_user(data_dir);
    let entry = keyring::Entry::new(SERVICE, &user).map_err(unavailable)?;
    match entry.get_password() {
        Ok(hex) => {
            let key = DbKey::from_hex(&hex).ok_or(SecretsError::CorruptKeychainEntry { user })?;
            Ok((key, KeySource::Keychain))
        }
        Err(keyring::Error::NoEntry) if db_exists => Err(SecretsError::KeyMissingForExistingDatabase {
            path: data_dir.display().to_string(),
            user,
        }),
        Err(keyring::Error::NoEntry) => {
            let key = DbKey::generate();
            entry.set_password(&key.to_hex()).map_err(unavailable)?;
            // Read it back: some keychains accept a write they cannot keep (a locked
            // collection, a keyutils fallback that dies with the session).
            match entry.get_password() {
                Ok(back) if DbKey::from_hex(&back).is_some_and(|k| k.0 == key.0) => Ok((key, KeySource::NewInKeychain)),
                Ok(_) => Err(SecretsError::CorruptKeychainEntry { user }),
                Err(e) => Err(unavailable(e)),
            }
        }
        Err(e) => Err(unavailable(e)),
    }
}

/// Forget the key of a data dir (used when the data dir itself is deleted).
pub fn forget_db_key(data_dir: &Path) -> Result<(), SecretsError> {
    let entry = keyring::Entry::new(SERVICE, &keychain_user(data_dir)).map_err(unavailable)?;
    match entry.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(unavailable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_roundtrip_and_redacted_debug() {
        let k = DbKey::generate();
        let back = DbKey::from_hex(&k.to_hex()).unwrap();
        assert_eq!(k.0, back.0);
        assert_eq!(format!("{k:?}"), "DbKey(<redacted>)");
        assert!(DbKey::from_hex("zz").is_none());
        assert!(DbKey::from_hex(&"g".repeat(64)).is_none());
    }
}
