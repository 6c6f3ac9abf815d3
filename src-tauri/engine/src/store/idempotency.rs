//! Idempotency records: (API key, idempotency key) -> the first result.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension};

use super::StoreResult;
use crate::ids::KeyId;
use crate::time::Millis;

/// How long a key is remembered.
pub const TTL_MS: Millis = 24 * 60 * 60 * 1000;

#[derive(Debug, PartialEq)]
pub enum Claim {
    /// First use: go ahead (and `finish` or `release` after).
    New,
    /// Done before: here is the result.
    Done(String),
    /// Started before and not finished (a crash, or another call in flight).
    Pending,
    /// Used before with another tool or other arguments.
    Mismatch,
}

pub fn claim(
    c: &Connection,
    key: &KeyId,
    idem: &str,
    tool: &str,
    fingerprint: &str,
    now: Millis,
) -> StoreResult<Claim> {
    let existing: Option<(String, String, Option<String>, Millis)> = c
        .one(
            "SELECT tool, fingerprint, result, created_at FROM idempotency WHERE key_id = ?1 AND idem_key = ?2",
            params![key, idem],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    match existing {
        Some((_, _, _, created)) if now - created > TTL_MS => {
            c.exec(
                "DELETE FROM idempotency WHERE key_id = ?1 AND idem_key = ?2",
                params![key, idem],
            )?;
        }
        Some((t, fp, _, _)) if t != tool || fp != fingerprint => return Ok(Claim::Mismatch),
        Some((_, _, Some(result), _)) => return Ok(Claim::Done(result)),
        Some((_, _, None, _)) => return Ok(Claim::Pending),
        None => {}
    }
    c.exec(
        "INSERT INTO idempotency (key_id, idem_key, tool, fingerprint, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![key, idem, tool, fingerprint, now],
    )?;
    Ok(Claim::New)
}

/// The result of a finished call with this key, if one is remembered.
pub fn done(c: &Connection, key: &KeyId, idem: &str, now: Millis) -> StoreResult<Option<String>> {
    Ok(c.one(
        "SELECT result FROM idempotency WHERE key_id = ?1 AND idem_key = ?2 AND result IS NOT NULL AND created_at >= ?3",
        params![key, idem, now - TTL_MS],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn finish(c: &Connection, key: &KeyId, idem: &str, result: &str) -> StoreResult<()> {
    c.exec(
        "UPDATE idempotency SET result = ?3 WHERE key_id = ?1 AND idem_key = ?2",
        params![key, idem, result],
    )?;
    Ok(())
}

/// Forgets a claim whose call failed, so a retry runs again.
pub fn release(c: &Connection, key: &KeyId, idem: &str) -> StoreResult<()> {
    c.exec(
        "DELETE FROM idempotency WHERE key_id = ?1 AND idem_key = ?2 AND result IS NULL",
        params![key, idem],
    )?;
    Ok(())
}

pub fn purge(c: &Connection, now: Millis) -> StoreResult<usize> {
    Ok(c.exec("DELETE FROM idempotency WHERE created_at < ?1", [now - TTL_MS])?)
}
