//! People: one row per person, with phone-number JID and LID unified.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::StoreResult;
use crate::ids::{AccountId, ContactId};
use crate::model::{Contact, Person};
use crate::phone::Phone;
use crate::time::{now_ms, Millis};
use crate::wa::Jid;

/// The best display name, in the order people expect: the name they saved, the name
/// the person set, the business name.
pub const NAME_SQL: &str = "COALESCE(co.saved_name, co.push_name, co.business_name)";

pub(super) fn find(c: &Connection, account: &AccountId, jid: &Jid) -> StoreResult<Option<ContactId>> {
    Ok(c.one(
        "SELECT id FROM contacts WHERE account_id = ?1 AND (pn_jid = ?2 OR lid_jid = ?2)",
        params![account, jid],
        |r| r.get(0),
    )
    .optional()?)
}

/// The contact for `jid`, created bare if unknown.
pub fn ensure(c: &Connection, account: &AccountId, jid: &Jid) -> StoreResult<ContactId> {
    if let Some(id) = find(c, account, jid)? {
        return Ok(id);
    }
    let id = ContactId::derive(&[account.as_str(), &jid.to_string()]);
    let (pn, lid) = if jid.is_lid() {
        (None, Some(jid))
    } else {
        (Some(jid), None)
    };
    c.exec(
        "INSERT INTO contacts (id, account_id, pn_jid, lid_jid, phone, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO NOTHING",
        params![id, account, pn, lid, jid.phone().map(|p| p.to_string()), now_ms()],
    )?;
    Ok(id)
}

pub fn set_about(c: &Connection, id: &ContactId, about: &str, set_at: Option<Millis>) -> StoreResult<()> {
    c.exec(
        "UPDATE contacts SET about = ?2, about_set_at = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, about, set_at, now_ms()],
    )?;
    Ok(())
}

/// Records that the person's security code changed at `at`; `false` when that
/// change was recorded already (within the last ten minutes).
pub fn identity_changed(c: &Connection, id: &ContactId, at: Millis) -> StoreResult<bool> {
    const SAME_CHANGE_MS: Millis = 10 * 60 * 1000;
    Ok(c.exec(
        "UPDATE contacts SET identity_changed_at = ?2
         WHERE id = ?1 AND (identity_changed_at IS NULL OR ?2 - identity_changed_at > ?3)",
        params![id, at, SAME_CHANGE_MS],
    )? > 0)
}

pub fn set_on_whatsapp(c: &Connection, id: &ContactId, on: bool, business: bool) -> StoreResult<()> {
    c.exec(
        "UPDATE contacts SET on_whatsapp = ?2, is_business = MAX(is_business, ?3), updated_at = ?4 WHERE id = ?1",
        params![id, on, business, now_ms()],
    )?;
    Ok(())
}

pub fn set_picture(c: &Connection, id: &ContactId, media: Option<&str>) -> StoreResult<()> {
    c.exec("UPDATE contacts SET picture_id = ?2 WHERE id = ?1", params![id, media])?;
    Ok(())
}

/// The JIDs of a contact: (phone-number JID, LID).
pub fn jids(c: &Connection, id: &ContactId) -> StoreResult<Option<(Option<Jid>, Option<Jid>)>> {
    Ok(c.one("SELECT pn_jid, lid_jid FROM contacts WHERE id = ?1", [id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()?)
}

/// Which account a contact belongs to.
pub fn account_of(c: &Connection, id: &ContactId) -> StoreResult<Option<AccountId>> {
    Ok(
        c.one("SELECT account_id FROM contacts WHERE id = ?1", [id], |r| r.get(0))
            .optional()?,
    )
}

pub fn by_jid(c: &Connection, account: &AccountId, jid: &Jid) -> StoreResult<Option<ContactId>> {
    find(c, account, jid)
}

/// The person behind `jid`, for showing in messages and participant lists.
pub fn person(c: &Connection, account: &AccountId, jid: &Jid) -> StoreResult<Person> {
    let found = c
        .one(
            &format!(
                "SELECT co.id, co.phone, {NAME_SQL} FROM contacts co
                 WHERE co.account_id = ?1 AND (co.pn_jid = ?2 OR co.lid_jid = ?2)"
            ),
            params![account, jid],
            |r| {
                Ok(Person {
                    contact_id: r.get(0)?,
                    phone: r.get::<_, Option<String>>(1)?.and_then(|p| Phone::parse(&p).ok()),
                    name: r.get(2)?,
                })
            },
        )
        .optional()?;
    Ok(found.unwrap_or_else(|| Person {
        contact_id: None,
        phone: jid.phone(),
        name: None,
    }))
}

const COLUMNS: &str = "co.id, co.phone, co.saved_name, co.push_name, co.business_name, co.is_business, co.about, \
                       co.on_whatsapp, co.updated_at, \
                       (SELECT ch.id FROM chats ch WHERE ch.contact_id = co.id AND ch.kind = 'direct' LIMIT 1)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    let saved: Option<String> = r.get(2)?;
    let push: Option<String> = r.get(3)?;
    let business: Option<String> = r.get(4)?;
    Ok(Contact {
        id: r.get(0)?,
        phone: r.get::<_, Option<String>>(1)?.and_then(|p| Phone::parse(&p).ok()),
        name: saved.clone().or_else(|| push.clone()).or_else(|| business.clone()),
        saved_name: saved,
        push_name: push,
        business_name: business,
        is_business: r.get(5)?,
        about: r.get(6)?,
        on_whatsapp: r.get(7)?,
        updated_at: r.get(8)?,
        chat_id: r.get(9)?,
    })
}

pub fn get(c: &Connection, id: &ContactId) -> StoreResult<Option<Contact>> {
    Ok(c.one(
        &format!("SELECT {COLUMNS} FROM contacts co WHERE co.id = ?1"),
        [id],
        from_row,
    )
    .optional()?)
}

/// One page of contacts ordered by display name, then ID. `after` is the last
/// (name, id) of the previous page; `query` matches names and phone digits.
pub fn list(
    c: &Connection,
    accounts: &[AccountId],
    query: Option<&str>,
    only_chats: Option<&[crate::ids::ChatId]>,
    after: Option<(&str, &str)>,
    limit: usize,
) -> StoreResult<Vec<Contact>> {
    let accounts_json = serde_json::to_string(accounts)?;
    let only = only_chats.map(serde_json::to_string).transpose()?;
    let pattern = query.map(|q| format!("%{}%", q.replace(['%', '_'], "")));
    let (after_name, after_id) = after.unwrap_or(("", ""));
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS}, lower(COALESCE({NAME_SQL}, co.phone, co.id)) AS sort_name FROM contacts co
         WHERE co.account_id IN (SELECT value FROM json_each(?1))
           AND (?2 IS NULL OR {NAME_SQL} LIKE ?2 OR co.phone LIKE ?2)
           AND (sort_name, co.id) > (?3, ?4)
           AND (?6 IS NULL OR EXISTS (SELECT 1 FROM chats ch WHERE ch.contact_id = co.id
                                      AND ch.id IN (SELECT value FROM json_each(?6))))
         ORDER BY sort_name, co.id LIMIT ?5"
    ))?;
    let rows = stmt.query_map(
        params![accounts_json, pattern, after_name, after_id, limit as i64, only],
        from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The sort key `list` pages by, for building the next cursor.
pub fn sort_key(contact: &Contact) -> String {
    contact
        .name
        .clone()
        .or_else(|| contact.phone.as_ref().map(|p| p.to_string()))
        .unwrap_or_else(|| contact.id.to_string())
        .to_ascii_lowercase()
}
