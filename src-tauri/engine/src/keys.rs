//! API keys: `wuse_live_…` reaches live accounts, `wuse_test_…` the sandbox.
//!
//! A secret is shown once at creation; the store keeps only its SHA-256. Keys are
//! 40 random base62 characters (238 bits), so a plain hash is enough (no password
//! stretching needed) and a lookup by hash leaks nothing useful.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::KeyId;
use crate::store::api_keys::{self, ApiKeyRecord, KeyMode};
use crate::store::{settings, Store, StoreResult};
use crate::time::{now_ms, Millis};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_CHARS: usize = 40;
/// `last_used_at` is written at most this often per key.
const TOUCH_EVERY_MS: Millis = 60_000;
/// A cached key is re-read from the store after this long, so a revocation made by
/// another process (`whatsapp-use keys revoke`) takes effect within seconds.
const RECHECK_MS: Millis = 3_000;

pub fn prefix(mode: KeyMode) -> &'static str {
    match mode {
        KeyMode::Live => "wuse_live_",
        KeyMode::Test => "wuse_test_",
    }
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `s` has the shape of a key (prefix and 32+ base62 characters).
pub fn looks_like_key(s: &str) -> Option<KeyMode> {
    let (mode, body) = if let Some(b) = s.strip_prefix("wuse_live_") {
        (KeyMode::Live, b)
    } else {
        (KeyMode::Test, s.strip_prefix("wuse_test_")?)
    };
    (body.len() >= 32 && body.len() <= 128 && body.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(mode)
}

/// Who is calling: the key, and what it may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: KeyId,
    pub key_name: String,
    pub mode: KeyMode,
    /// The only chats this key may see (`None`: every chat of its accounts).
    pub chats: Option<Arc<Vec<crate::ids::ChatId>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("missing API key")]
    Missing,
    #[error("invalid API key")]
    Invalid,
    #[error("this API key was revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

struct Cached {
    record: ApiKeyRecord,
    last_touch_written: Millis,
    fetched_at: Millis,
}

/// Verifies keys against the store, with an in-memory cache so a tool call costs no
/// database read for authentication.
#[derive(Clone)]
pub struct Keys {
    store: Store,
    cache: Arc<RwLock<HashMap<[u8; 32], Cached>>>,
}

impl Keys {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            cache: Arc::default(),
        }
    }

    /// Creates a key; returns its record and the secret, which is never stored.
    pub fn create(&self, mode: KeyMode, name: Option<&str>) -> StoreResult<(ApiKeyRecord, String)> {
        let (record, secret) = Self::prepare(mode, name);
        self.store.write(|tx| api_keys::insert(tx, &record))?;
        Ok((record, secret))
    }

    /// Stores a key made by `prepare`.
    pub fn insert(&self, record: &ApiKeyRecord) -> StoreResult<()> {
        self.store.write(|tx| api_keys::insert(tx, record))
    }

    /// Makes a key without storing it yet (to show exactly where it will go first).
    pub fn prepare(mode: KeyMode, name: Option<&str>) -> (ApiKeyRecord, String) {
        let mut rng = rand::rng();
        let body: String = (0..SECRET_CHARS)
            .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
            .collect();
        let secret = format!("{}{body}", prefix(mode));
        let record = ApiKeyRecord {
            id: KeyId::random(),
            name: name
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} key", if mode == KeyMode::Live { "Live" } else { "Test" })),
            mode,
            hint: format!("{}…{}", prefix(mode), &body[SECRET_CHARS - 4..]),
            created_at: now_ms(),
            last_used_at: None,
            revoked_at: None,
            chats: None,
            hash: hash(&secret).to_vec(),
        };
        (record, secret)
    }

    pub fn list(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        self.store.read(api_keys::list)
    }

    /// Revokes a key; it stops working at once, on every open connection.
    pub fn revoke(&self, id: &KeyId) -> StoreResult<bool> {
        let done = self.store.write(|tx| {
            let done = api_keys::revoke(tx, id)?;
            settings::bump_policy_version(tx)?;
            Ok(done)
        })?;
        self.cache.write().retain(|_, c| &c.record.id != id);
        Ok(done)
    }

    /// Authenticates a presented secret.
    pub fn verify(&self, secret: &str) -> Result<Principal, KeyError> {
        if secret.is_empty() {
            return Err(KeyError::Missing);
        }
        if looks_like_key(secret).is_none() {
            return Err(KeyError::Invalid);
        }
        let h = hash(secret);
        let now = now_ms();
        if let Some(principal) = self.check_cached(&h, now, true) {
            return principal;
        }
        let record = self
            .store
            .read(|c| api_keys::by_hash(c, &h))?
            .ok_or(KeyError::Invalid)?;
        if !bool::from(record.hash.as_slice().ct_eq(&h)) {
            return Err(KeyError::Invalid);
        }
        if record.revoked_at.is_some() {
            return Err(KeyError::Revoked);
        }
        // The entry is fetched again every few seconds; the use is written at most once
        // a minute all the same (a write to the store also empties every reader's
        // page cache).
        let last_touch = self.cache.read().get(&h).map(|c| c.last_touch_written);
        let last_touch_written = match last_touch {
            Some(at) if now - at < TOUCH_EVERY_MS => at,
            _ => {
                self.store.write(|tx| api_keys::touch(tx, &record.id, now))?;
                now
            }
        };
        let mut record = record;
        record.last_used_at = Some(now);
        let principal = principal_of(&record);
        self.cache.write().insert(
            h,
            Cached {
                record,
                last_touch_written,
                fetched_at: now,
            },
        );
        Ok(principal)
    }

    /// `verify` when the cache alone can answer, without blocking on the store: `None`
    /// when the store must be asked (first use, a stale entry, a use to write down).
    /// The HTTP guard calls it inline and hands only the rest to a blocking thread.
    pub fn verify_cached(&self, secret: &str) -> Option<Result<Principal, KeyError>> {
        looks_like_key(secret)?;
        self.check_cached(&hash(secret), now_ms(), false)
    }

    fn check_cached(&self, h: &[u8; 32], now: Millis, may_write: bool) -> Option<Result<Principal, KeyError>> {
        let due = {
            let cache = self.cache.read();
            let cached = cache.get(h)?;
            if now - cached.fetched_at > RECHECK_MS {
                return None;
            }
            if !bool::from(cached.record.hash.as_slice().ct_eq(h)) {
                return Some(Err(KeyError::Invalid));
            }
            now - cached.last_touch_written >= TOUCH_EVERY_MS
        };
        if due && !may_write {
            return None;
        }
        let mut cache = self.cache.write();
        let cached = cache.get_mut(h)?;
        if due {
            cached.last_touch_written = now;
            let id = cached.record.id.clone();
            if let Err(e) = self.store.write(|tx| api_keys::touch(tx, &id, now)) {
                tracing::warn!(error = %e, "could not record key use");
            }
        }
        cached.record.last_used_at = Some(now);
        Some(Ok(principal_of(&cached.record)))
    }

    /// The key as it is now (revoked keys: none). The tool pipeline calls this on
    /// every call, so a revocation or a new chat limit also reaches long-lived
    /// sessions within seconds.
    /// A store that cannot be read is an error (the gate denies), never "revoked".
    pub fn current(&self, id: &KeyId) -> StoreResult<Option<Principal>> {
        let now = now_ms();
        if let Some(c) = self
            .cache
            .read()
            .values()
            .find(|c| &c.record.id == id && now - c.fetched_at <= RECHECK_MS)
        {
            return Ok(Some(principal_of(&c.record)));
        }
        let record = self
            .store
            .read(|c| api_keys::get(c, id))?
            .filter(|r| r.revoked_at.is_none());
        let mut cache = self.cache.write();
        match record {
            Some(r) => {
                for c in cache.values_mut().filter(|c| &c.record.id == id) {
                    c.record.chats = r.chats.clone();
                    c.record.name = r.name.clone();
                    c.fetched_at = now;
                }
                Ok(Some(principal_of(&r)))
            }
            None => {
                cache.retain(|_, c| &c.record.id != id);
                Ok(None)
            }
        }
    }

    /// Limits a key to some chats, or lifts the limit.
    pub fn set_chats(&self, id: &KeyId, chats: Option<&[crate::ids::ChatId]>) -> StoreResult<bool> {
        let done = self.store.write(|tx| {
            let done = api_keys::set_chats(tx, id, chats)?;
            settings::bump_policy_version(tx)?;
            Ok(done)
        })?;
        self.cache.write().retain(|_, c| &c.record.id != id);
        Ok(done)
    }
}

fn principal_of(r: &ApiKeyRecord) -> Principal {
    Principal {
        key_id: r.id.clone(),
        key_name: r.name.clone(),
        mode: r.mode,
        chats: r.chats.clone().map(Arc::new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::DbKey;

    fn stored_last_use(keys: &Keys, id: &KeyId) -> Option<Millis> {
        keys.store.read(|c| api_keys::get(c, id)).unwrap().unwrap().last_used_at
    }

    /// The cache is re-read from the store every few seconds (revocations reach open
    /// sessions); the use is written at most once a minute all the same.
    #[test]
    fn use_is_written_once_a_minute_however_often_the_cache_is_refreshed() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(crate::store::DB_FILE), DbKey::generate()).unwrap();
        let keys = Keys::new(store);
        let (record, secret) = keys.create(KeyMode::Test, Some("t")).unwrap();
        keys.verify(&secret).unwrap();
        let first = stored_last_use(&keys, &record.id).expect("first use written");
        let age = |by: Millis| {
            for c in keys.cache.write().values_mut() {
                c.fetched_at -= by;
                c.last_touch_written -= by;
            }
        };
        age(RECHECK_MS + 1);
        keys.verify(&secret).unwrap();
        assert_eq!(
            stored_last_use(&keys, &record.id),
            Some(first),
            "refetched, not rewritten"
        );
        age(TOUCH_EVERY_MS);
        std::thread::sleep(std::time::Duration::from_millis(2));
        keys.verify(&secret).unwrap();
        assert!(
            stored_last_use(&keys, &record.id) > Some(first),
            "a minute on, written again"
        );
    }

    /// The inline answer comes from the cache alone, and only when nothing is to be
    /// read or written.
    #[test]
    fn the_cache_answers_inline_only_what_it_can_alone() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join(crate::store::DB_FILE), DbKey::generate()).unwrap();
        let keys = Keys::new(store);
        let (record, secret) = keys.create(KeyMode::Test, None).unwrap();
        assert!(keys.verify_cached(&secret).is_none(), "never seen: ask the store");
        assert!(keys.verify_cached("not a key").is_none());
        keys.verify(&secret).unwrap();
        assert_eq!(keys.verify_cached(&secret).unwrap().unwrap().key_id, record.id);
        for c in keys.cache.write().values_mut() {
            c.last_touch_written -= TOUCH_EVERY_MS;
        }
        assert!(keys.verify_cached(&secret).is_none(), "a use to write down");
        keys.verify(&secret).unwrap();
        assert!(keys.verify_cached(&secret).is_some());
        keys.revoke(&record.id).unwrap();
        assert!(keys.verify_cached(&secret).is_none());
        assert!(matches!(keys.verify(&secret), Err(KeyError::Revoked)));
    }
}
