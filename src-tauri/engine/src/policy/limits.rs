//! Rate limits: a token bucket per API key, and a send-safety limit per account on
//! messages to chats with no history (mass messaging strangers gets accounts banned).

use std::collections::HashMap;
use std::time::Instant;

use parking_lot::Mutex;

use crate::store::{settings, Store, StoreResult};

/// Tool calls per minute per key (sustained), with bursts of `BURST`.
pub const DEFAULT_CALLS_PER_MINUTE: u32 = 600;
const BURST: f64 = 120.0;
/// Messages per minute per account to chats that have no messages yet.
pub const DEFAULT_NEW_CHAT_SENDS_PER_MINUTE: u32 = 10;

pub const CALLS_SETTING: &str = "rate_limit_per_minute";
pub const NEW_CHATS_SETTING: &str = "new_chat_sends_per_minute";

struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Default)]
pub struct Limits {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limits {
    /// Takes one token from `name`'s bucket (capacity `burst`, refilled at `per_minute`),
    /// or says how long until one is there.
    pub fn take(&self, name: &str, per_minute: u32, burst: f64) -> Result<(), u64> {
        if per_minute == 0 {
            return Ok(());
        }
        let rate = f64::from(per_minute) / 60_000.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        let b = buckets
            .entry(name.to_owned())
            .or_insert(Bucket { tokens: burst, at: now });
        let elapsed = now.duration_since(b.at).as_secs_f64() * 1000.0;
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate).ceil() as u64)
        }
    }

    /// Per key: `rate_limit_per_minute` (0 turns it off). A setting that cannot be
    /// read is an error, never "no limit".
    pub fn call(&self, store: &Store, key: &str) -> StoreResult<Result<(), u64>> {
        let per_minute = setting(store, CALLS_SETTING, DEFAULT_CALLS_PER_MINUTE)?;
        Ok(self.take(
            &format!("key:{key}"),
            per_minute,
            BURST.min(f64::from(per_minute.max(1))),
        ))
    }

    /// Per account, for a message to a chat with no history.
    pub fn new_chat_send(&self, store: &Store, account: &str) -> StoreResult<Result<(), u64>> {
        let per_minute = setting(store, NEW_CHATS_SETTING, DEFAULT_NEW_CHAT_SENDS_PER_MINUTE)?;
        Ok(self.take(&format!("new-chats:{account}"), per_minute, f64::from(per_minute)))
    }
}

fn setting(store: &Store, key: &str, default: u32) -> StoreResult<u32> {
    Ok(store.read(|c| settings::get::<u32>(c, key))?.unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_burst_then_says_when() {
        let l = Limits::default();
        for _ in 0..5 {
            assert!(l.take("k", 60, 5.0).is_ok());
        }
        let wait = l.take("k", 60, 5.0).unwrap_err();
        assert!((900..=1000).contains(&wait), "{wait}");
        assert!(l.take("other", 60, 5.0).is_ok(), "buckets are separate");
        assert!(l.take("k", 0, 0.0).is_ok(), "0 means unlimited");
    }
}
