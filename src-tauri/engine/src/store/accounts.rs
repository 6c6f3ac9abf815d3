//! Accounts and their status.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::StoreResult;
use crate::ids::AccountId;
use crate::model::{Account, AccountKind, AccountStatus};
use crate::phone::Phone;
use crate::time::{now_ms, Millis};
use crate::wa::Jid;

const COLUMNS: &str = "id, kind, label, status, status_detail, jid, lid, phone, push_name, about, \
                       created_at, paired_at, connected_at, unlink_pending";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        kind: AccountKind::parse(&r.get::<_, String>(1)?).unwrap_or(AccountKind::Sandbox),
        label: r.get(2)?,
        status: AccountStatus::parse(&r.get::<_, String>(3)?).unwrap_or(AccountStatus::Disconnected),
        status_detail: r.get(4)?,
        jid: r.get(5)?,
        lid: r.get(6)?,
        phone: r.get::<_, Option<String>>(7)?.and_then(|p| Phone::parse(&p).ok()),
        push_name: r.get(8)?,
        about: r.get(9)?,
        created_at: r.get(10)?,
        paired_at: r.get(11)?,
        connected_at: r.get(12)?,
        logout_pending: r.get(13)?,
    })
}

pub fn insert(c: &Connection, id: &AccountId, kind: AccountKind, label: Option<&str>) -> StoreResult<()> {
    let now = now_ms();
    c.exec(
        "INSERT INTO accounts (id, kind, label, status, created_at, updated_at) VALUES (?1, ?2, ?3, 'pairing', ?4, ?4)",
        params![id, kind.as_str(), label, now],
    )?;
    Ok(())
}

pub fn get(c: &Connection, id: &AccountId) -> StoreResult<Option<Account>> {
    Ok(
        c.one(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?1"), [id], from_row)
            .optional()?,
    )
}

pub fn list(c: &Connection, kind: Option<AccountKind>) -> StoreResult<Vec<Account>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM accounts WHERE ?1 IS NULL OR kind = ?1 ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map([kind.map(AccountKind::as_str)], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn set_status(c: &Connection, id: &AccountId, status: AccountStatus, detail: Option<&str>) -> StoreResult<()> {
    let now = now_ms();
    c.exec(
        "UPDATE accounts SET status = ?2, status_detail = ?3, updated_at = ?4,
                connected_at = CASE WHEN ?2 = 'connected' THEN ?4 ELSE connected_at END
         WHERE id = ?1",
        params![id, status.as_str(), detail, now],
    )?;
    Ok(())
}

pub fn set_paired(
    c: &Connection,
    id: &AccountId,
    pn: &Jid,
    lid: Option<&Jid>,
    push_name: Option<&str>,
    at: Millis,
) -> StoreResult<()> {
    let phone = pn.phone().map(|p| p.as_str().to_owned());
    c.exec(
        "UPDATE accounts SET jid = ?2, lid = ?3, phone = ?4, push_name = COALESCE(?5, push_name),
                paired_at = ?6, updated_at = ?6 WHERE id = ?1",
        params![id, pn, lid, phone, push_name, at],
    )?;
    Ok(())
}

pub fn set_profile(c: &Connection, id: &AccountId, push_name: Option<&str>, about: Option<&str>) -> StoreResult<()> {
    c.exec(
        "UPDATE accounts SET push_name = COALESCE(?2, push_name), about = COALESCE(?3, about), updated_at = ?4
         WHERE id = ?1",
        params![id, push_name, about, now_ms()],
    )?;
    Ok(())
}

/// Whether a logout waits for WhatsApp to confirm the unlink.
pub fn set_logout_pending(c: &Connection, id: &AccountId, pending: bool) -> StoreResult<()> {
    c.exec(
        "UPDATE accounts SET unlink_pending = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, pending, now_ms()],
    )?;
    Ok(())
}

pub fn set_label(c: &Connection, id: &AccountId, label: Option<&str>) -> StoreResult<()> {
    c.exec(
        "UPDATE accounts SET label = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, label, now_ms()],
    )?;
    Ok(())
}

/// Removes the account and, through foreign keys, everything it owns; plus its events.
pub fn delete(c: &Connection, id: &AccountId) -> StoreResult<bool> {
    c.exec("DELETE FROM events WHERE account_id = ?1", [id])?;
    Ok(c.exec("DELETE FROM accounts WHERE id = ?1", [id])? > 0)
}
