//! Small JSON settings (port, retention, sandbox seed, …).

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{de::DeserializeOwned, Serialize};

use super::StoreResult;

pub fn get<T: DeserializeOwned>(c: &Connection, key: &str) -> StoreResult<Option<T>> {
    let raw: Option<String> = c
        .one("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
        .optional()?;
    Ok(match raw {
        Some(s) => Some(serde_json::from_str(&s)?),
        None => None,
    })
}

pub fn set<T: Serialize>(c: &Connection, key: &str, value: &T) -> StoreResult<()> {
    c.exec(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, serde_json::to_string(value)?],
    )?;
    Ok(())
}

/// Counts changes of who may do what (tool switches, pause, keys revoked or limited),
/// so every process serving agents notices a change made by another.
const POLICY_VERSION: &str = "permissions_version";

pub fn bump_policy_version(c: &Connection) -> StoreResult<()> {
    let v = get::<u64>(c, POLICY_VERSION)?.unwrap_or(0);
    set(c, POLICY_VERSION, &(v + 1))
}

pub fn policy_version(c: &Connection) -> StoreResult<u64> {
    Ok(get::<u64>(c, POLICY_VERSION)?.unwrap_or(0))
}

/// Every setting, as stored (JSON text), by name.
pub fn all(c: &Connection) -> StoreResult<Vec<(String, String)>> {
    let mut stmt = c.prepare("SELECT key, value FROM settings ORDER BY key")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
