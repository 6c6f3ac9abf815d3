//! The audit log of tool calls.

use super::Cached;
use rusqlite::{params, Connection, Row};
use serde::Serialize;
use serde_json::Value;

use super::StoreResult;
use crate::ids::KeyId;
use crate::time::{iso, Millis};

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(with = "iso")]
    pub at: Millis,
    pub key_id: Option<KeyId>,
    pub key_name: Option<String>,
    pub tool: String,
    pub args: Value,
    /// `ok`, or the error code.
    pub outcome: String,
    pub duration_ms: i64,
}

/// The log's table in its own file (schema `audit`, see `store::audit_path`).
pub(super) fn create(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(
        "CREATE TABLE IF NOT EXISTS audit.audit (
             seq         INTEGER PRIMARY KEY AUTOINCREMENT,
             at          INTEGER NOT NULL,
             key_id      TEXT,
             key_name    TEXT,
             tool        TEXT NOT NULL,
             args        TEXT NOT NULL,         -- JSON, message bodies redacted
             outcome     TEXT NOT NULL,         -- 'ok' or an error code
             duration_ms INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS audit.audit_by_time ON audit (at);",
    )
}

/// Moves the log out of the store's file, where migration 0002 created it. Two
/// transactions, each on one file: a commit spanning two WAL files is not atomic, and
/// an interrupted move is finished at the next start (the copy skips what it has).
pub(super) fn move_out_of_main(c: &mut Connection) -> rusqlite::Result<()> {
    let in_main: bool = c.query_row(
        "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'audit'",
        [],
        |r| r.get(0),
    )?;
    if !in_main {
        return Ok(());
    }
    let tx = c.transaction()?;
    tx.execute("INSERT OR IGNORE INTO audit.audit SELECT * FROM main.audit", [])?;
    tx.commit()?;
    let tx = c.transaction()?;
    tx.execute_batch("DROP TABLE main.audit")?;
    tx.commit()
}

#[allow(clippy::too_many_arguments)]
pub fn append(
    c: &Connection,
    at: Millis,
    key_id: &KeyId,
    key_name: &str,
    tool: &str,
    args: &Value,
    outcome: &str,
    duration_ms: i64,
) -> StoreResult<()> {
    c.exec(
        "INSERT INTO audit (at, key_id, key_name, tool, args, outcome, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, key_id, key_name, tool, args.to_string(), outcome, duration_ms],
    )?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        key_id: r.get(2)?,
        key_name: r.get(3)?,
        tool: r.get(4)?,
        args: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
        outcome: r.get(6)?,
        duration_ms: r.get(7)?,
    })
}

/// The newest entries before `before` (exclusive), newest first.
pub fn recent(c: &Connection, before: Option<i64>, tool: Option<&str>, limit: usize) -> StoreResult<Vec<AuditEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, at, key_id, key_name, tool, args, outcome, duration_ms FROM audit
         WHERE seq < ?1 AND (?2 IS NULL OR tool = ?2) ORDER BY seq DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![before.unwrap_or(i64::MAX), tool, limit as i64], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn prune(c: &Connection, before: Millis) -> StoreResult<usize> {
    Ok(c.exec("DELETE FROM audit WHERE at < ?1", [before])?)
}
