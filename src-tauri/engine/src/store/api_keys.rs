//! API key records. Only the SHA-256 of a secret is stored.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::StoreResult;
use crate::ids::KeyId;
use crate::time::{iso, now_ms, Millis};

/// Which accounts a key reaches: live keys live accounts, test keys the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum KeyMode {
    Live,
    Test,
}

impl KeyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(Self::Live),
            "test" => Some(Self::Test),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyRecord {
    pub id: KeyId,
    pub name: String,
    pub mode: KeyMode,
    /// The secret's prefix and last characters, e.g. `wuse_test_…x7Qa`.
    pub hint: String,
    #[serde(with = "iso")]
    pub created_at: Millis,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Millis>,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Millis>,
    /// The only chats this key may see (`None`: every chat).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chats: Option<Vec<crate::ids::ChatId>>,
    #[serde(skip)]
    pub hash: Vec<u8>,
}

const COLUMNS: &str = "id, name, mode, hint, created_at, last_used_at, revoked_at, hash, chats";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        mode: KeyMode::parse(&r.get::<_, String>(2)?).unwrap_or(KeyMode::Test),
        hint: r.get(3)?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        revoked_at: r.get(6)?,
        hash: r.get(7)?,
        chats: super::sql::opt_json(r.get(8)?),
    })
}

/// Limits a key to some chats (`None` lifts the limit).
pub fn set_chats(c: &Connection, id: &KeyId, chats: Option<&[crate::ids::ChatId]>) -> StoreResult<bool> {
    let json = chats.map(serde_json::to_string).transpose()?;
    Ok(c.exec("UPDATE api_keys SET chats = ?2 WHERE id = ?1", params![id, json])? > 0)
}

pub fn insert(c: &Connection, rec: &ApiKeyRecord) -> StoreResult<()> {
    c.exec(
        "INSERT INTO api_keys (id, name, mode, hash, hint, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![rec.id, rec.name, rec.mode.as_str(), rec.hash, rec.hint, rec.created_at],
    )?;
    Ok(())
}

pub fn by_hash(c: &Connection, hash: &[u8]) -> StoreResult<Option<ApiKeyRecord>> {
    Ok(c.one(
        &format!("SELECT {COLUMNS} FROM api_keys WHERE hash = ?1"),
        [hash],
        from_row,
    )
    .optional()?)
}

pub fn get(c: &Connection, id: &KeyId) -> StoreResult<Option<ApiKeyRecord>> {
    Ok(
        c.one(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"), [id], from_row)
            .optional()?,
    )
}

pub fn list(c: &Connection) -> StoreResult<Vec<ApiKeyRecord>> {
    let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Returns false when there is no such key or it was already revoked.
pub fn revoke(c: &Connection, id: &KeyId) -> StoreResult<bool> {
    Ok(c.exec(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now_ms()],
    )? > 0)
}

pub fn touch(c: &Connection, id: &KeyId, at: Millis) -> StoreResult<()> {
    c.exec("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", params![id, at])?;
    Ok(())
}
