//! Chats: their state (archived, pinned, muted, unread) and listing.

use super::Cached;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{contacts, StoreResult};
use crate::ids::{AccountId, ChatId, ContactId};
use crate::model::{Chat, ChatKind, LastMessage, MessageType};
use crate::phone::Phone;
use crate::time::{now_ms, Millis};
use crate::wa::{Jid, WaChatMeta};

/// What the engine needs to act on a chat (not shown to agents as is).
#[derive(Debug, Clone)]
pub struct ChatRef {
    pub id: ChatId,
    pub account_id: AccountId,
    pub jid: Jid,
    pub kind: ChatKind,
    pub contact_id: Option<ContactId>,
}

pub fn kind_of(jid: &Jid) -> ChatKind {
    match jid.server() {
        crate::wa::GROUP_SERVER => ChatKind::Group,
        crate::wa::BROADCAST_SERVER => ChatKind::Broadcast,
        crate::wa::NEWSLETTER_SERVER => ChatKind::Newsletter,
        _ => ChatKind::Direct,
    }
}

fn ref_from_row(r: &Row<'_>) -> rusqlite::Result<ChatRef> {
    Ok(ChatRef {
        id: r.get(0)?,
        account_id: r.get(1)?,
        jid: r.get(2)?,
        kind: ChatKind::parse(&r.get::<_, String>(3)?).unwrap_or(ChatKind::Direct),
        contact_id: r.get(4)?,
    })
}

const REF_COLUMNS: &str = "id, account_id, jid, kind, contact_id";

pub fn get_ref(c: &Connection, id: &ChatId) -> StoreResult<Option<ChatRef>> {
    Ok(c.one(
        &format!("SELECT {REF_COLUMNS} FROM chats WHERE id = ?1"),
        [id],
        ref_from_row,
    )
    .optional()?)
}

/// The 1:1 chat with a contact, if there is one.
pub fn direct_with(c: &Connection, account: &AccountId, contact: &ContactId) -> StoreResult<Option<ChatId>> {
    Ok(c.one(
        "SELECT id FROM chats WHERE account_id = ?1 AND contact_id = ?2 AND kind = 'direct'",
        params![account, contact],
        |r| r.get(0),
    )
    .optional()?)
}

/// Whether a chat has no messages yet (a send to it counts against the new-chat limit).
pub fn is_empty(c: &Connection, chat: &ChatId) -> StoreResult<bool> {
    Ok(c.one(
        "SELECT NOT EXISTS (SELECT 1 FROM messages WHERE chat_id = ?1)",
        [chat],
        |r| r.get(0),
    )?)
}

/// How far behind the person is in a chat: unread messages, and whether they marked
/// it unread themselves.
pub fn unread(c: &Connection, chat: &ChatId) -> StoreResult<(i64, bool)> {
    Ok(c.one(
        "SELECT unread_count, marked_unread FROM chats WHERE id = ?1",
        [chat],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// An account's totals: chats, chats with something unread, messages.
pub fn account_stats(c: &Connection, account: &AccountId) -> StoreResult<(i64, i64, i64)> {
    Ok(c.one(
        "SELECT (SELECT count(*) FROM chats WHERE account_id = ?1),
                (SELECT count(*) FROM chats WHERE account_id = ?1 AND (unread_count > 0 OR marked_unread = 1)),
                (SELECT message_count FROM accounts WHERE id = ?1)",
        [account],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?)
}

/// The chat for `jid` if the account has one. A person's chat is found by either of
/// their JIDs (phone number or LID).
pub fn find_by_jid(c: &Connection, account: &AccountId, jid: &Jid) -> StoreResult<Option<ChatRef>> {
    let direct = c
        .one(
            &format!("SELECT {REF_COLUMNS} FROM chats WHERE account_id = ?1 AND jid = ?2"),
            params![account, jid],
            ref_from_row,
        )
        .optional()?;
    if direct.is_some() || !jid.is_person() {
        return Ok(direct);
    }
    Ok(c.one(
        "SELECT ch.id, ch.account_id, ch.jid, ch.kind, ch.contact_id FROM chats ch
             JOIN contacts co ON co.id = ch.contact_id
             WHERE ch.account_id = ?1 AND ch.kind = 'direct' AND (co.pn_jid = ?2 OR co.lid_jid = ?2)",
        params![account, jid],
        ref_from_row,
    )
    .optional()?)
}

/// The chat for `jid`, created if needed (with its contact for a person).
pub fn ensure(c: &Connection, account: &AccountId, jid: &Jid) -> StoreResult<ChatRef> {
    if let Some(found) = find_by_jid(c, account, jid)? {
        return Ok(found);
    }
    let kind = kind_of(jid);
    let contact_id = match kind {
        ChatKind::Direct => Some(contacts::ensure(c, account, jid)?),
        _ => None,
    };
    let id = ChatId::derive(&[account.as_str(), &jid.to_string()]);
    c.exec(
        "INSERT INTO chats (id, account_id, jid, kind, contact_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, account, jid, kind.as_str(), contact_id, now_ms()],
    )?;
    Ok(ChatRef {
        id,
        account_id: account.clone(),
        jid: jid.clone(),
        kind,
        contact_id,
    })
}

/// Applies chat state from a page of history describing it as of `at`: each field
/// only where nothing newer is known (a live change since wins).
pub fn apply_meta(c: &Connection, chat: &ChatId, meta: &WaChatMeta, at: Millis) -> StoreResult<()> {
    let labels = (!meta.labels.is_empty())
        .then(|| serde_json::to_string(&meta.labels))
        .transpose()?;
    c.exec(
        "UPDATE chats SET
            name = CASE WHEN ?2 IS NOT NULL AND ?9 >= COALESCE(name_at, ?9) THEN ?2 ELSE name END,
            name_at = CASE WHEN ?2 IS NOT NULL THEN MAX(COALESCE(name_at, ?9), ?9) ELSE name_at END,
            archived = CASE WHEN ?9 >= COALESCE(archived_at, ?9) THEN ?3 ELSE archived END,
            archived_at = MAX(COALESCE(archived_at, ?9), ?9),
            pinned_at = CASE WHEN ?9 >= COALESCE(pinned_set_at, ?9) THEN ?4 ELSE pinned_at END,
            pinned_set_at = MAX(COALESCE(pinned_set_at, ?9), ?9),
            muted_until = CASE WHEN ?9 >= COALESCE(muted_at, ?9) THEN ?5 ELSE muted_until END,
            muted_at = MAX(COALESCE(muted_at, ?9), ?9),
            unread_count = CASE WHEN ?9 >= COALESCE(unread_at, ?9) THEN ?6 ELSE unread_count END,
            marked_unread = CASE WHEN ?9 >= COALESCE(unread_at, ?9) THEN ?7 ELSE marked_unread END,
            unread_at = MAX(COALESCE(unread_at, ?9), ?9),
            labels = COALESCE(?8, labels),
            older_on_phone = COALESCE(?10, older_on_phone)
         WHERE id = ?1",
        params![
            chat,
            meta.name,
            meta.archived,
            meta.pinned_at,
            meta.muted_until,
            meta.unread_count,
            meta.marked_unread,
            labels,
            at,
            meta.older_on_phone
        ],
    )?;
    Ok(())
}

/// Whether the phone holds messages older than the chat's oldest here (`None`: unknown).
pub fn older_on_phone(c: &Connection, chat: &ChatId) -> StoreResult<Option<bool>> {
    Ok(
        c.one("SELECT older_on_phone FROM chats WHERE id = ?1", [chat], |r| r.get(0))
            .optional()?
            .flatten(),
    )
}

/// What the phone said of its older messages: some left, or none.
pub fn set_older_on_phone(c: &Connection, chat: &ChatId, older: bool) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET older_on_phone = ?2 WHERE id = ?1",
        params![chat, older],
    )?;
    Ok(())
}

/// Archives or unarchives a chat (live news, at `at`).
pub fn set_archived(c: &Connection, chat: &ChatId, archived: bool, at: Millis) -> StoreResult<()> {
    // Archiving unpins, as on the phone.
    c.exec(
        "UPDATE chats SET archived = ?2, archived_at = MAX(COALESCE(archived_at, ?3), ?3),
                pinned_at = CASE WHEN ?2 THEN NULL ELSE pinned_at END,
                pinned_set_at = CASE WHEN ?2 THEN MAX(COALESCE(pinned_set_at, ?3), ?3) ELSE pinned_set_at END
         WHERE id = ?1",
        params![chat, archived, at],
    )?;
    Ok(())
}

/// Pins (the pin's time: `at`) or unpins a chat (live news).
pub fn set_pinned(c: &Connection, chat: &ChatId, pinned: bool, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET pinned_at = CASE WHEN ?2 THEN ?3 END, pinned_set_at = MAX(COALESCE(pinned_set_at, ?3), ?3)
         WHERE id = ?1",
        params![chat, pinned, at],
    )?;
    Ok(())
}

pub fn pinned_count(c: &Connection, account: &AccountId) -> StoreResult<i64> {
    Ok(c.one(
        "SELECT count(*) FROM chats WHERE account_id = ?1 AND pinned_at IS NOT NULL",
        [account],
        |r| r.get(0),
    )?)
}

/// Mutes a chat until `until` (-1: for ever; `None`: unmutes); live news at `at`.
pub fn set_muted(c: &Connection, chat: &ChatId, until: Option<Millis>, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET muted_until = ?2, muted_at = MAX(COALESCE(muted_at, ?3), ?3) WHERE id = ?1",
        params![chat, until, at],
    )?;
    Ok(())
}

pub fn set_marked_unread(c: &Connection, chat: &ChatId, unread: bool, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET marked_unread = ?2, unread_at = MAX(COALESCE(unread_at, ?3), ?3) WHERE id = ?1",
        params![chat, unread, at],
    )?;
    Ok(())
}

/// Everything read (live news at `at`): no unread count, no unread mark.
pub fn clear_unread(c: &Connection, chat: &ChatId, at: Millis) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET unread_count = 0, marked_unread = 0, unread_at = MAX(COALESCE(unread_at, ?2), ?2)
         WHERE id = ?1",
        params![chat, at],
    )?;
    Ok(())
}

/// A new message arrived (or was sent) in the chat. Archived chats stay archived
/// (WhatsApp's "keep chats archived", the default since 2021).
pub fn on_message(c: &Connection, chat: &ChatId, ts: Millis, incoming_unread: bool) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET last_message_at = MAX(COALESCE(last_message_at, 0), ?2),
                unread_count = unread_count + ?3
         WHERE id = ?1",
        params![chat, ts, i64::from(incoming_unread)],
    )?;
    Ok(())
}

/// Recomputes the newest message time (after deletions).
pub fn refresh_last_message(c: &Connection, chat: &ChatId) -> StoreResult<()> {
    c.exec(
        "UPDATE chats SET last_message_at = (SELECT max(ts) FROM messages WHERE chat_id = ?1 AND deleted_for_me = 0)
         WHERE id = ?1",
        [chat],
    )?;
    Ok(())
}

pub fn delete(c: &Connection, chat: &ChatId) -> StoreResult<bool> {
    Ok(c.exec("DELETE FROM chats WHERE id = ?1", [chat])? > 0)
}

/// The chats folded into `chat` over time (a person's LID chat before their number
/// was known), whose messages now live in `chat` under IDs that begin with theirs.
pub fn folded_into(c: &Connection, chat: &ChatId) -> StoreResult<Vec<ChatId>> {
    let mut stmt = c.prepare_cached("SELECT folded_id FROM chat_folds WHERE kept_id = ?1")?;
    let rows = stmt.query_map([chat], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Which chats `list` returns.
#[derive(Debug, Clone, Default)]
pub struct ChatQuery<'a> {
    pub accounts: &'a [AccountId],
    pub unread: bool,
    pub archived: Option<bool>,
    pub pinned: bool,
    pub kind: Option<ChatKind>,
    pub label: Option<&'a str>,
    pub name: Option<&'a str>,
    /// Only these chats (a key's allowlist).
    pub only: Option<&'a [ChatId]>,
    /// Keyset: the (last activity, id) of the previous page's last chat.
    pub after: Option<(Millis, &'a str)>,
    pub limit: usize,
}

const CHAT_SELECT: &str = "SELECT ch.id, ch.account_id, ch.kind, ch.contact_id,
        COALESCE(g.subject, ch.name, co.saved_name, co.push_name, co.business_name, co.phone) AS name,
        co.phone, ch.unread_count, ch.marked_unread, ch.archived, ch.pinned_at, ch.muted_until, ch.labels,
        ch.last_message_at, lm.id, lm.from_me, lm.type, substr(COALESCE(lm.text, ''), 1, 120), lm.ts
    FROM chats ch
    LEFT JOIN contacts co ON co.id = ch.contact_id
    LEFT JOIN groups g ON g.chat_id = ch.id
    LEFT JOIN messages lm ON lm.seq = (SELECT m.seq FROM messages m
        WHERE m.chat_id = ch.id AND m.deleted_for_me = 0 ORDER BY m.ts DESC, m.seq DESC LIMIT 1)";

fn chat_from_row(r: &Row<'_>) -> rusqlite::Result<Chat> {
    let id: ChatId = r.get(0)?;
    let kind = ChatKind::parse(&r.get::<_, String>(2)?).unwrap_or(ChatKind::Direct);
    let muted_until: Option<Millis> = r.get(10)?;
    let now = now_ms();
    let muted = muted_until.is_some_and(|u| u < 0 || u > now);
    let last_message = match r.get::<_, Option<crate::ids::MessageId>>(13)? {
        Some(mid) => Some(LastMessage {
            id: mid,
            from_me: r.get(14)?,
            kind: MessageType::parse(&r.get::<_, String>(15)?).unwrap_or(MessageType::Unsupported),
            text: r.get::<_, Option<String>>(16)?.filter(|t| !t.is_empty()),
            timestamp: r.get(17)?,
        }),
        None => None,
    };
    Ok(Chat {
        group_id: (kind == ChatKind::Group).then(|| id.group_id()),
        id,
        account_id: r.get(1)?,
        kind,
        contact_id: r.get(3)?,
        name: r.get(4)?,
        phone: r.get::<_, Option<String>>(5)?.and_then(|p| Phone::parse(&p).ok()),
        unread_count: r.get(6)?,
        marked_unread: r.get(7)?,
        archived: r.get(8)?,
        pinned: r.get::<_, Option<Millis>>(9)?.is_some(),
        muted,
        muted_until: muted_until.filter(|u| muted && *u >= 0),
        labels: super::sql::opt_json(r.get(11)?).unwrap_or_default(),
        last_message_at: r.get(12)?,
        last_message,
    })
}

pub fn get(c: &Connection, id: &ChatId) -> StoreResult<Option<Chat>> {
    Ok(c.one(&format!("{CHAT_SELECT} WHERE ch.id = ?1"), [id], chat_from_row)
        .optional()?)
}

/// One page of chats, most recent activity first.
pub fn list(c: &Connection, q: &ChatQuery<'_>) -> StoreResult<Vec<Chat>> {
    let accounts = serde_json::to_string(q.accounts)?;
    let only = q.only.map(serde_json::to_string).transpose()?;
    let (after_ts, after_id) = q.after.unwrap_or((i64::MAX, "~"));
    let name = q.name.map(|n| format!("%{}%", n.replace(['%', '_'], "")));
    // The page is chosen first and the newest message looked up for its chats only
    // (for every chat of the account, it cost 90 ms at 2,500 chats).
    let sql = format!(
        "WITH page AS (
         SELECT ch.id AS id FROM chats ch
         LEFT JOIN contacts co ON co.id = ch.contact_id
         LEFT JOIN groups g ON g.chat_id = ch.id
         WHERE ch.account_id IN (SELECT value FROM json_each(?1))
           AND (?2 = 0 OR ch.unread_count > 0 OR ch.marked_unread = 1)
           AND (?3 IS NULL OR ch.archived = ?3)
           AND (?4 = 0 OR ch.pinned_at IS NOT NULL)
           AND (?5 IS NULL OR ch.kind = ?5)
           AND (?6 IS NULL OR EXISTS (SELECT 1 FROM json_each(ch.labels) WHERE lower(value) = lower(?6)))
           AND (?7 IS NULL OR ch.id IN (SELECT value FROM json_each(?7)))
           AND (?8 IS NULL OR COALESCE(g.subject, ch.name, co.saved_name, co.push_name, co.business_name, co.phone) LIKE ?8)
           AND (COALESCE(ch.last_message_at, 0), ch.id) < (?9, ?10)
         ORDER BY COALESCE(ch.last_message_at, 0) DESC, ch.id DESC
         LIMIT ?11)
         {CHAT_SELECT}
         WHERE ch.id IN (SELECT id FROM page)
         ORDER BY COALESCE(ch.last_message_at, 0) DESC, ch.id DESC"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            accounts,
            q.unread,
            q.archived,
            q.pinned,
            q.kind.map(ChatKind::as_str),
            q.label,
            only,
            name,
            after_ts,
            after_id,
            q.limit as i64
        ],
        chat_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
