//! Calls waiting for a person's yes, and the chats a key may send to without asking.
//! Any process may answer (the window's, or the command line's): the first answer
//! wins, as the row leaves `pending` once.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::Value;

use super::{Cached, StoreResult};
use crate::ids::{AccountId, ApprovalId, ChatId, KeyId};
use crate::time::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Status {
    Pending,
    Approved,
    Denied,
    TimedOut,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::TimedOut => "timed_out",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "timed_out" => Self::TimedOut,
            _ => Self::Pending,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub id: ApprovalId,
    pub key_id: KeyId,
    pub tool: String,
    pub account_id: Option<AccountId>,
    pub chat_id: Option<ChatId>,
    /// What the person is shown (see `approvals::Summary`).
    pub summary: Value,
    /// The call's idempotency key, if it had one: a retry with it joins this approval.
    pub slot: Option<String>,
    pub status: Status,
    /// Where the answer came from: `window`, `client`, `cli` (or `timeout`).
    pub channel: Option<String>,
    pub reason: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub decided_at: Option<Millis>,
}

const COLUMNS: &str =
    "id, key_id, tool, account_id, chat_id, summary, slot, status, channel, reason, created_at, expires_at, decided_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Approval> {
    Ok(Approval {
        id: r.get(0)?,
        key_id: r.get(1)?,
        tool: r.get(2)?,
        account_id: r.get(3)?,
        chat_id: r.get(4)?,
        summary: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
        slot: r.get(6)?,
        status: Status::parse(&r.get::<_, String>(7)?),
        channel: r.get(8)?,
        reason: r.get(9)?,
        created_at: r.get(10)?,
        expires_at: r.get(11)?,
        decided_at: r.get(12)?,
    })
}

pub fn insert(c: &Connection, a: &Approval) -> StoreResult<()> {
    c.exec(
        "INSERT INTO approvals (id, key_id, tool, account_id, chat_id, summary, slot, status, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9)",
        params![
            a.id,
            a.key_id,
            a.tool,
            a.account_id,
            a.chat_id,
            a.summary.to_string(),
            a.slot,
            a.created_at,
            a.expires_at
        ],
    )?;
    Ok(())
}

pub fn get(c: &Connection, id: &ApprovalId) -> StoreResult<Option<Approval>> {
    Ok(c.one(
        &format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?)
}

/// The pending approval a key's call with this idempotency key already waits on.
pub fn pending_for_slot(c: &Connection, key: &KeyId, slot: &str) -> StoreResult<Option<Approval>> {
    Ok(c.one(
        &format!("SELECT {COLUMNS} FROM approvals WHERE key_id = ?1 AND slot = ?2 AND status = 'pending'"),
        params![key, slot],
        from_row,
    )
    .optional()?)
}

/// Every approval still waiting, oldest first.
pub fn pending(c: &Connection) -> StoreResult<Vec<Approval>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM approvals WHERE status = 'pending' ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Answers an approval, if nobody has: `true` when this answer is the one that counts.
pub fn decide(
    c: &Connection,
    id: &ApprovalId,
    status: Status,
    channel: &str,
    reason: Option<&str>,
    at: Millis,
) -> StoreResult<bool> {
    Ok(c.exec(
        "UPDATE approvals SET status = ?2, channel = ?3, reason = ?4, decided_at = ?5
         WHERE id = ?1 AND status = 'pending'",
        params![id, status.as_str(), channel, reason, at],
    )? > 0)
}

/// "Always allow this key in this chat".
pub fn allow(c: &Connection, key: &KeyId, chat: &ChatId, at: Millis) -> StoreResult<()> {
    c.exec(
        "INSERT INTO approval_allowances (key_id, chat_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (key_id, chat_id) DO NOTHING",
        params![key, chat, at],
    )?;
    Ok(())
}

pub fn disallow(c: &Connection, key: &KeyId, chat: &ChatId) -> StoreResult<bool> {
    Ok(c.exec(
        "DELETE FROM approval_allowances WHERE key_id = ?1 AND chat_id = ?2",
        params![key, chat],
    )? > 0)
}

pub fn allowed(c: &Connection, key: &KeyId, chat: &ChatId) -> StoreResult<bool> {
    Ok(c.one(
        "SELECT 1 FROM approval_allowances WHERE key_id = ?1 AND chat_id = ?2",
        params![key, chat],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

/// Every "always allow": (key, chat).
pub fn allowances(c: &Connection) -> StoreResult<Vec<(KeyId, ChatId)>> {
    let mut st = c.prepare_cached("SELECT key_id, chat_id FROM approval_allowances ORDER BY created_at")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
