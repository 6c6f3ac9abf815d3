//! The durable event log.

use super::Cached;
use rusqlite::{params, Connection, Row};
use serde_json::Value;

use super::StoreResult;
use crate::events::{event_id, Event, EventType};
use crate::ids::{AccountId, ChatId};
use crate::time::Millis;

pub fn append(
    c: &Connection,
    kind: EventType,
    account: &AccountId,
    chat: Option<&ChatId>,
    occurred_at: Millis,
    received_at: Millis,
    data: Value,
) -> StoreResult<Event> {
    c.exec(
        "INSERT INTO events (type, account_id, chat_id, occurred_at, received_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![kind.as_str(), account, chat, occurred_at, received_at, data.to_string()],
    )?;
    let seq = c.last_insert_rowid();
    Ok(Event {
        id: event_id(seq),
        seq,
        kind,
        account_id: account.clone(),
        chat_id: chat.cloned(),
        occurred_at,
        received_at,
        data,
    })
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Option<Event>> {
    let seq: i64 = r.get(0)?;
    let Some(kind) = EventType::parse(&r.get::<_, String>(1)?) else {
        return Ok(None);
    };
    let data: String = r.get(6)?;
    Ok(Some(Event {
        id: event_id(seq),
        seq,
        kind,
        account_id: r.get(2)?,
        chat_id: r.get(3)?,
        occurred_at: r.get(4)?,
        received_at: r.get(5)?,
        data: serde_json::from_str(&data).unwrap_or(Value::Null),
    }))
}

/// Which logged events to read.
#[derive(Debug, Clone, Default)]
pub struct EventQuery<'a> {
    pub accounts: &'a [AccountId],
    /// Strictly after this sequence number.
    pub after: i64,
    pub types: Option<&'a [EventType]>,
    pub chats: Option<&'a [ChatId]>,
    pub limit: usize,
}

pub fn list(c: &Connection, q: &EventQuery<'_>) -> StoreResult<Vec<Event>> {
    let accounts = serde_json::to_string(q.accounts)?;
    let types = q
        .types
        .map(|t| serde_json::to_string(&t.iter().map(|t| t.as_str()).collect::<Vec<_>>()))
        .transpose()?;
    let chats = q.chats.map(serde_json::to_string).transpose()?;
    let mut stmt = c.prepare_cached(
        "SELECT seq, type, account_id, chat_id, occurred_at, received_at, data FROM events
         WHERE seq > ?1 AND account_id IN (SELECT value FROM json_each(?2))
           AND (?3 IS NULL OR type IN (SELECT value FROM json_each(?3)))
           AND (?4 IS NULL OR chat_id IN (SELECT value FROM json_each(?4)))
         ORDER BY seq LIMIT ?5",
    )?;
    let rows = stmt.query_map(params![q.after, accounts, types, chats, q.limit as i64], from_row)?;
    let mut out = Vec::new();
    for row in rows {
        if let Some(e) = row? {
            out.push(e);
        }
    }
    Ok(out)
}

/// The newest `limit` events matching `q` (ignoring `q.after`), oldest first.
pub fn latest(c: &Connection, q: &EventQuery<'_>) -> StoreResult<Vec<Event>> {
    let accounts = serde_json::to_string(q.accounts)?;
    let types = q
        .types
        .map(|t| serde_json::to_string(&t.iter().map(|t| t.as_str()).collect::<Vec<_>>()))
        .transpose()?;
    let chats = q.chats.map(serde_json::to_string).transpose()?;
    let mut stmt = c.prepare_cached(
        "SELECT seq, type, account_id, chat_id, occurred_at, received_at, data FROM events
         WHERE account_id IN (SELECT value FROM json_each(?1))
           AND (?2 IS NULL OR type IN (SELECT value FROM json_each(?2)))
           AND (?3 IS NULL OR chat_id IN (SELECT value FROM json_each(?3)))
         ORDER BY seq DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![accounts, types, chats, q.limit as i64], from_row)?;
    let mut out = Vec::new();
    for row in rows {
        if let Some(e) = row? {
            out.push(e);
        }
    }
    out.reverse();
    Ok(out)
}

/// The newest sequence number in the log (0 when empty).
pub fn latest_seq(c: &Connection) -> StoreResult<i64> {
    Ok(c.one("SELECT COALESCE(max(seq), 0) FROM events", [], |r| r.get(0))?)
}

/// The oldest sequence number still kept (for telling a client what retention dropped).
pub fn oldest_seq(c: &Connection) -> StoreResult<Option<i64>> {
    Ok(c.one("SELECT min(seq) FROM events", [], |r| r.get(0))?)
}

/// Drops events received before `before`; returns how many.
pub fn prune(c: &Connection, before: Millis) -> StoreResult<usize> {
    Ok(c.exec("DELETE FROM events WHERE received_at < ?1", [before])?)
}
