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
