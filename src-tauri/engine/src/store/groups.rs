//! Group metadata and participants.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension};

use super::chats::ChatRef;
use super::{contacts, Heard, StoreResult};
use crate::ids::{AccountId, ChatId};
use crate::model::{Group, Participant, Person};
use crate::phone::Phone;
use crate::time::{now_ms, Millis};
use crate::wa::{Jid, ParticipantRole, WaGroup};

/// Records a group as the network described it. Live news (an event, a query)
/// replaces what the store has; a page of history only where nothing newer is
/// known: the subject and settings, and the participant list (with whether this
/// account is still in it), each by its own time. History never revives a group
/// the account left since.
pub fn upsert(c: &Connection, chat: &ChatRef, g: &WaGroup, heard: Heard) -> StoreResult<()> {
    let known: Option<(Option<Millis>, Option<Millis>, Option<Millis>)> = c
        .one(
            "SELECT info_at, members_at, left_at FROM groups WHERE chat_id = ?1",
            [&chat.id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let at = heard.at();
    let (info, members) = match known {
        None => (true, true),
        Some((info_at, members_at, left_at)) => (
            heard.wins_over(info_at),
            heard.wins_over(members_at) && (heard.is_live() || left_at.is_none_or(|left| at > left)),
        ),
    };
    c.exec(
        "INSERT INTO groups (chat_id, account_id, subject, description, owner_jid, created_at, announce, locked,
                             updated_at, info_at, members_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
         ON CONFLICT (chat_id) DO UPDATE SET owner_jid = COALESCE(excluded.owner_jid, owner_jid),
             created_at = COALESCE(excluded.created_at, created_at), updated_at = excluded.updated_at",
        params![
            chat.id,
            chat.account_id,
            g.subject,
            g.description,
            g.owner,
            g.created_at,
            g.announce,
            g.locked,
            now_ms(),
            at
        ],
    )?;
    if info {
        c.exec(
            "UPDATE groups SET subject = ?2, description = ?3, announce = ?4, locked = ?5,
                    info_at = MAX(COALESCE(info_at, ?6), ?6)
             WHERE chat_id = ?1",
            params![chat.id, g.subject, g.description, g.announce, g.locked, at],
        )?;
        c.exec(
            "UPDATE chats SET name = ?2, name_at = MAX(COALESCE(name_at, ?3), ?3) WHERE id = ?1",
            params![chat.id, g.subject, at],
        )?;
    }
    if members {
        c.exec(
            "UPDATE groups SET left_at = NULL, members_at = MAX(COALESCE(members_at, ?2), ?2) WHERE chat_id = ?1",
            params![chat.id, at],
        )?;
        c.exec("DELETE FROM group_participants WHERE chat_id = ?1", [&chat.id])?;
        for p in &g.participants {
            add_participant(c, chat, &p.jid, p.role, g.created_at)?;
        }
    }
    Ok(())
}

/// The participant list changed (live news at `at`).
pub fn members_changed(c: &Connection, chat: &ChatId, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET members_at = MAX(COALESCE(members_at, ?2), ?2) WHERE chat_id = ?1",
        params![chat, at],
    )?;
    Ok(())
}

pub fn exists(c: &Connection, chat: &ChatId) -> StoreResult<bool> {
    Ok(c.one("SELECT 1 FROM groups WHERE chat_id = ?1", [chat], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn add_participant(
    c: &Connection,
    chat: &ChatRef,
    jid: &Jid,
    role: ParticipantRole,
    at: Option<Millis>,
) -> StoreResult<()> {
    let contact = jid
        .is_person()
        .then(|| contacts::ensure(c, &chat.account_id, jid))
        .transpose()?;
    c.exec(
        "INSERT INTO group_participants (chat_id, jid, contact_id, role, added_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (chat_id, jid) DO UPDATE SET role = excluded.role",
        params![chat.id, jid, contact, role.as_str(), at],
    )?;
    Ok(())
}

/// Removes a participant, whichever of their JIDs the list holds.
pub fn remove_participant(c: &Connection, chat: &ChatRef, jid: &Jid) -> StoreResult<bool> {
    let contact = contacts::by_jid(c, &chat.account_id, jid)?;
    Ok(c.exec(
        "DELETE FROM group_participants WHERE chat_id = ?1 AND (jid = ?2 OR (?3 IS NOT NULL AND contact_id = ?3))",
        params![chat.id, jid, contact],
    )? > 0)
}

pub fn set_role(c: &Connection, chat: &ChatRef, jid: &Jid, role: ParticipantRole) -> StoreResult<bool> {
    let contact = contacts::by_jid(c, &chat.account_id, jid)?;
    Ok(c.exec(
        "UPDATE group_participants SET role = ?4 WHERE chat_id = ?1 AND (jid = ?2 OR (?3 IS NOT NULL AND contact_id = ?3))",
        params![chat.id, jid, contact, role.as_str()],
    )? > 0)
}

/// A new subject (live news at `at`).
pub fn set_subject(c: &Connection, chat: &ChatId, subject: &str, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET subject = ?2, updated_at = ?3, info_at = MAX(COALESCE(info_at, ?4), ?4) WHERE chat_id = ?1",
        params![chat, subject, now_ms(), at],
    )?;
    c.exec(
        "UPDATE chats SET name = ?2, name_at = MAX(COALESCE(name_at, ?3), ?3) WHERE id = ?1",
        params![chat, subject, at],
    )?;
    Ok(())
}

/// A new description (live news at `at`).
pub fn set_description(c: &Connection, chat: &ChatId, description: Option<&str>, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET description = ?2, updated_at = ?3, info_at = MAX(COALESCE(info_at, ?4), ?4)
         WHERE chat_id = ?1",
        params![chat, description, now_ms(), at],
    )?;
    Ok(())
}

/// Who may send and who may edit (live news at `at`).
pub fn set_flags(
    c: &Connection,
    chat: &ChatId,
    announce: Option<bool>,
    locked: Option<bool>,
    at: Millis,
) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET announce = COALESCE(?2, announce), locked = COALESCE(?3, locked), updated_at = ?4,
                info_at = MAX(COALESCE(info_at, ?5), ?5)
         WHERE chat_id = ?1",
        params![chat, announce, locked, now_ms(), at],
    )?;
    Ok(())
}

pub fn set_picture(c: &Connection, chat: &ChatId, media: Option<&str>) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET picture_id = ?2, updated_at = ?3 WHERE chat_id = ?1",
        params![chat, media, now_ms()],
    )?;
    Ok(())
}

pub fn set_invite_code(c: &Connection, chat: &ChatId, code: &str) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET invite_code = ?2 WHERE chat_id = ?1",
        params![chat, code],
    )?;
    Ok(())
}

/// This account is no longer in the group (left or removed) since `at`; history stays.
/// Only news of the participant list newer than `at` brings it back.
pub fn mark_left(c: &Connection, chat: &ChatId, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE groups SET left_at = ?2, members_at = MAX(COALESCE(members_at, ?2), ?2) WHERE chat_id = ?1",
        params![chat, at],
    )?;
    Ok(())
}

/// This account is in the group again (added back).
pub fn mark_joined(c: &Connection, chat: &ChatId) -> StoreResult<()> {
    c.exec("UPDATE groups SET left_at = NULL WHERE chat_id = ?1", [chat])?;
    Ok(())
}

/// The account's own JIDs (phone number and LID), to spot "me" among participants.
fn own_jids(c: &Connection, account: &AccountId) -> StoreResult<(Option<Jid>, Option<Jid>)> {
    Ok(c.one("SELECT jid, lid FROM accounts WHERE id = ?1", [account], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}

pub fn participants(c: &Connection, chat: &ChatId, account: &AccountId) -> StoreResult<Vec<Participant>> {
    let (pn, lid) = own_jids(c, account)?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT gp.jid, gp.role, co.id, co.phone, {} FROM group_participants gp
         LEFT JOIN contacts co ON co.id = gp.contact_id
         WHERE gp.chat_id = ?1 ORDER BY CASE gp.role WHEN 'superadmin' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, gp.jid",
        contacts::NAME_SQL
    ))?;
    let rows = stmt.query_map([chat], |r| {
        let jid: Jid = r.get(0)?;
        let is_me = Some(&jid) == pn.as_ref() || Some(&jid) == lid.as_ref();
        Ok(Participant {
            person: Person {
                contact_id: r.get(2)?,
                phone: r
                    .get::<_, Option<String>>(3)?
                    .and_then(|p| Phone::parse(&p).ok())
                    .or_else(|| jid.phone()),
                name: r.get(4)?,
            },
            role: ParticipantRole::parse(&r.get::<_, String>(1)?).unwrap_or(ParticipantRole::Member),
            is_me,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get(c: &Connection, chat: &ChatId) -> StoreResult<Option<Group>> {
    let row = c
        .one(
            "SELECT g.account_id, g.subject, g.description, g.owner_jid, g.created_at, g.announce, g.locked, g.left_at,
                    (SELECT count(*) FROM group_participants gp WHERE gp.chat_id = g.chat_id)
             FROM groups g WHERE g.chat_id = ?1",
            [chat],
            |r| {
                Ok((
                    r.get::<_, AccountId>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<Jid>>(3)?,
                    r.get::<_, Option<Millis>>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, Option<Millis>>(7)?,
                    r.get::<_, i64>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((account, subject, description, owner, created_at, announce, locked, left_at, count)) = row else {
        return Ok(None);
    };
    let is_admin = participants(c, chat, &account)?
        .iter()
        .any(|p| p.is_me && p.role.is_admin());
    let owner = owner.map(|o| contacts::person(c, &account, &o)).transpose()?;
    Ok(Some(Group {
        id: chat.group_id(),
        chat_id: chat.clone(),
        account_id: account,
        subject,
        description,
        owner,
        created_at,
        participant_count: count,
        is_admin,
        announce,
        locked,
        left: left_at.is_some(),
    }))
}
