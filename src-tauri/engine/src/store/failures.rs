//! Items from WhatsApp that the store refused (a constraint, malformed data). Each is
//! recorded and skipped, so the rest of its batch is stored and acknowledged: one bad
//! item never makes WhatsApp deliver a batch again and again, nor holds up an account.

use rusqlite::{params, Connection};
use serde::Serialize;

use super::{Cached, StoreError, StoreResult};
use crate::ids::AccountId;
use crate::time::{now_ms, Millis};

/// One refused item: its kind (`message`, `receipt`, `contact`, …), which one (a
/// WhatsApp ID or a JID, never its content) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: String,
    pub item: String,
    pub error: String,
    pub at: Millis,
}

pub fn record(c: &Connection, account: &AccountId, kind: &str, item: &str, error: &StoreError) -> StoreResult<()> {
    tracing::error!(%account, kind, item, %error, "the store refused an item from WhatsApp; skipped");
    c.exec(
        "INSERT INTO ingest_failures (account_id, kind, item, error, at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![account, kind, item, error.to_string(), now_ms()],
    )?;
    Ok(())
}

/// The account's refused items, oldest first.
pub fn list(c: &Connection, account: &AccountId) -> StoreResult<Vec<Failure>> {
    let mut stmt =
        c.prepare_cached("SELECT kind, item, error, at FROM ingest_failures WHERE account_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([account], |r| {
        Ok(Failure {
            kind: r.get(0)?,
            item: r.get(1)?,
            error: r.get(2)?,
            at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
