//! Messages, their reactions, and the keyset pagination agents walk history with.

use super::Cached;
use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::chats::{self, ChatRef};
use super::contacts::NAME_SQL;
use super::StoreResult;
use crate::ids::{AccountId, ChatId, ContactId, MediaId, MessageId};
use crate::model::{ChatKind, ContactCard, Location, MediaInfo, Message, MessageStatus, MessageType, Person, Reaction};
use crate::phone::Phone;
use crate::time::Millis;
use crate::wa::{Jid, MediaBlob, MsgKey, RemoteMedia, WaContent, WaMessage};

fn direction(from_me: bool) -> &'static str {
    if from_me {
        "me"
    } else {
        "them"
    }
}

/// The ID a message gets when first stored in `chat`: WhatsApp names a message by its
/// chat, direction and ID, and so does this, the same however often it is synced.
fn new_id(chat: &ChatId, from_me: bool, wa_id: &str) -> MessageId {
    MessageId::derive_in(chat, &[chat.as_str(), direction(from_me), wa_id])
}

/// The IDs the message WhatsApp names (`chat`, `from_me`, `wa_id`) may already carry
/// from elsewhere: that of a chat folded into this one, and the account-wide hash that
/// stores before migration 0006 gave every message.
fn earlier_ids(c: &Connection, chat: &ChatRef, from_me: bool, wa_id: &str) -> StoreResult<Vec<MessageId>> {
    let mut ids = Vec::with_capacity(2);
    if chat.kind == ChatKind::Direct {
        for folded in chats::folded_into(c, &chat.id)? {
            ids.push(new_id(&folded, from_me, wa_id));
        }
    }
    ids.push(MessageId::derive(&[
        chat.account_id.as_str(),
        direction(from_me),
        wa_id,
    ]));
    Ok(ids)
}

fn first_existing(c: &Connection, ids: impl IntoIterator<Item = MessageId>) -> StoreResult<Option<MessageId>> {
    for id in ids {
        if exists(c, &id)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The stored message WhatsApp names (`chat`, `from_me`, `wa_id`), if there is one.
pub fn find(c: &Connection, chat: &ChatRef, from_me: bool, wa_id: &str) -> StoreResult<Option<MessageId>> {
    let own = new_id(&chat.id, from_me, wa_id);
    first_existing(c, std::iter::once(own).chain(earlier_ids(c, chat, from_me, wa_id)?))
}

/// The stored message a WhatsApp message key names, if its chat and it are known.
pub fn find_by_key(c: &Connection, account: &AccountId, key: &MsgKey) -> StoreResult<Option<MessageId>> {
    match chats::find_by_jid(c, account, &key.chat)? {
        Some(chat) => find(c, &chat, key.from_me, &key.id),
        None => Ok(None),
    }
}

/// What a row keeps beside the text, by type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Extra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media: Option<MediaInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remote: Option<RemoteMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact: Option<ContactCard>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unsupported: Option<String>,
}

pub fn type_of(content: &WaContent) -> MessageType {
    match content {
        WaContent::Text { .. } => MessageType::Text,
        WaContent::Image { .. } => MessageType::Image,
        WaContent::Video { .. } => MessageType::Video,
        WaContent::Audio { .. } => MessageType::Audio,
        WaContent::Document { .. } => MessageType::Document,
        WaContent::Sticker { .. } => MessageType::Sticker,
        WaContent::Location(_) => MessageType::Location,
        WaContent::Contact(_) => MessageType::Contact,
        WaContent::System { .. } => MessageType::System,
        WaContent::Unsupported { .. } => MessageType::Unsupported,
    }
}

fn extra_of(content: &WaContent) -> (Extra, Option<MediaId>) {
    let mut extra = Extra::default();
    let mut media_id = None;
    if let Some(m) = content.media() {
        let mut info = m.info.clone();
        match &m.blob {
            MediaBlob::Local { id } => {
                info.id = Some(id.clone());
                media_id = Some(id.clone());
            }
            MediaBlob::Remote(r) => extra.remote = Some(r.clone()),
        }
        extra.media = Some(info);
    }
    match content {
        WaContent::Location(l) => extra.location = Some(l.clone()),
        WaContent::Contact(card) => extra.contact = Some(card.clone()),
        WaContent::Unsupported { kind } => extra.unsupported = Some(kind.clone()),
        _ => {}
    }
    (extra, media_id)
}

/// Stores a message unless it is already there. Returns its ID and whether it is new.
pub fn insert(
    c: &Connection,
    chat: &ChatRef,
    msg: &WaMessage,
    sender_contact: Option<&ContactId>,
) -> StoreResult<(MessageId, bool)> {
    if let Some(id) = first_existing(c, earlier_ids(c, chat, msg.key.from_me, &msg.key.id)?)? {
        return Ok((id, false));
    }
    let id = new_id(&chat.id, msg.key.from_me, &msg.key.id);
    let (extra, media_id) = extra_of(&msg.content);
    let data = serde_json::to_string(&extra)?;
    let data = (data != "{}").then_some(data);
    let reply_to_id = msg
        .reply_to
        .as_deref()
        .map(|wa| resolve_reply(c, chat, wa))
        .transpose()?
        .flatten();
    let inserted = c.exec(
        "INSERT INTO messages (id, account_id, chat_id, wa_id, from_me, sender_jid, sender_contact_id, push_name,
                               ts, type, text, media_id, data, reply_to_wa_id, reply_to_id, forwarded, status, starred)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (id) DO NOTHING",
        params![
            id,
            chat.account_id,
            chat.id,
            msg.key.id,
            msg.key.from_me,
            msg.key.sender,
            sender_contact,
            msg.push_name,
            msg.ts,
            type_of(&msg.content).as_str(),
            msg.content.text_or_caption(),
            media_id,
            data,
            msg.reply_to,
            reply_to_id,
            msg.forwarded,
            msg.status.map(MessageStatus::as_str),
            msg.starred,
        ],
    )? > 0;
    Ok((id, inserted))
}

/// A quoted message is usually from the other side; try both.
fn resolve_reply(c: &Connection, chat: &ChatRef, wa_id: &str) -> StoreResult<Option<MessageId>> {
    for from_me in [false, true] {
        if let Some(id) = find(c, chat, from_me, wa_id)? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

pub fn exists(c: &Connection, id: &MessageId) -> StoreResult<bool> {
    Ok(c.one("SELECT 1 FROM messages WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Where a message lives and how WhatsApp names it: what mutations need.
#[derive(Debug, Clone)]
pub struct MessageRef {
    pub id: MessageId,
    pub account_id: AccountId,
    pub chat_id: ChatId,
    pub chat_jid: Jid,
    pub key: MsgKey,
    pub ts: Millis,
    pub kind: MessageType,
    pub text: Option<String>,
    pub revoked: bool,
    pub deleted_for_me: bool,
    pub starred: bool,
    pub has_media: bool,
}

pub fn get_ref(c: &Connection, id: &MessageId) -> StoreResult<Option<MessageRef>> {
    Ok(c.one(
        "SELECT m.id, m.account_id, m.chat_id, ch.jid, m.wa_id, m.from_me, m.sender_jid, m.ts, m.type, m.text,
                    m.revoked_at IS NOT NULL, m.deleted_for_me, m.starred,
                    m.media_id IS NOT NULL OR COALESCE(m.data, '') LIKE '%\"media\"%'
             FROM messages m JOIN chats ch ON ch.id = m.chat_id WHERE m.id = ?1",
        [id],
        |r| {
            let chat_jid: Jid = r.get(3)?;
            Ok(MessageRef {
                id: r.get(0)?,
                account_id: r.get(1)?,
                chat_id: r.get(2)?,
                key: MsgKey {
                    chat: chat_jid.clone(),
                    id: r.get(4)?,
                    from_me: r.get(5)?,
                    sender: r.get(6)?,
                },
                chat_jid,
                ts: r.get(7)?,
                kind: MessageType::parse(&r.get::<_, String>(8)?).unwrap_or(MessageType::Unsupported),
                text: r.get(9)?,
                revoked: r.get(10)?,
                deleted_for_me: r.get(11)?,
                starred: r.get(12)?,
                has_media: r.get(13)?,
            })
        },
    )
    .optional()?)
}

/// The content of a stored message, to send it again (forwarding).
pub fn content_of(c: &Connection, id: &MessageId) -> StoreResult<Option<WaContent>> {
    struct Row {
        kind: String,
        text: Option<String>,
        data: Option<String>,
        media_id: Option<MediaId>,
    }
    let row = c
        .one(
            "SELECT type, text, data, media_id FROM messages WHERE id = ?1",
            [id],
            |r| {
                Ok(Row {
                    kind: r.get(0)?,
                    text: r.get(1)?,
                    data: r.get(2)?,
                    media_id: r.get(3)?,
                })
            },
        )
        .optional()?;
    let Some(Row {
        kind,
        text,
        data,
        media_id,
    }) = row
    else {
        return Ok(None);
    };
    let extra: Extra = super::sql::opt_json(data).unwrap_or_default();
    let media = extra.media.clone().map(|info| crate::wa::WaMedia {
        blob: match (&media_id, &extra.remote) {
            (Some(id), _) => MediaBlob::Local { id: id.clone() },
            (None, Some(r)) => MediaBlob::Remote(r.clone()),
            (None, None) => MediaBlob::Remote(RemoteMedia {
                kind: kind.clone(),
                direct_path: String::new(),
                media_key: String::new(),
                file_sha256: None,
                file_enc_sha256: None,
                file_length: None,
            }),
        },
        info,
    });
    let content = match (MessageType::parse(&kind), media) {
        (Some(MessageType::Text), _) => WaContent::Text {
            text: text.unwrap_or_default(),
        },
        (Some(MessageType::Image), Some(media)) => WaContent::Image { media, caption: text },
        (Some(MessageType::Video), Some(media)) => WaContent::Video { media, caption: text },
        (Some(MessageType::Audio), Some(media)) => WaContent::Audio { media },
        (Some(MessageType::Document), Some(media)) => WaContent::Document { media, caption: text },
        (Some(MessageType::Sticker), Some(media)) => WaContent::Sticker { media },
        (Some(MessageType::Location), _) => match extra.location {
            Some(l) => WaContent::Location(l),
            None => return Ok(None),
        },
        (Some(MessageType::Contact), _) => match extra.contact {
            Some(card) => WaContent::Contact(card),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(content))
}

/// The stored blob of a message's media, once we hold it.
pub fn media_id_of(c: &Connection, id: &MessageId) -> StoreResult<Option<MediaId>> {
    Ok(c.one("SELECT media_id FROM messages WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Where a message's media is on WhatsApp's servers, and what it is.
pub fn remote_media(c: &Connection, id: &MessageId) -> StoreResult<Option<(RemoteMedia, MediaInfo)>> {
    let data: Option<Option<String>> = c
        .one("SELECT data FROM messages WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    let extra: Extra = super::sql::opt_json(data.flatten()).unwrap_or_default();
    Ok(extra.remote.zip(extra.media))
}

/// Where the message's media is on WhatsApp's CDN now (after the phone uploaded it again).
pub fn set_remote_media(c: &Connection, id: &MessageId, remote: &RemoteMedia) -> StoreResult<()> {
    let data: Option<Option<String>> = c
        .one("SELECT data FROM messages WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    let mut extra: Extra = super::sql::opt_json(data.flatten()).unwrap_or_default();
    extra.remote = Some(remote.clone());
    c.exec(
        "UPDATE messages SET data = ?2 WHERE id = ?1",
        params![id, serde_json::to_string(&extra)?],
    )?;
    Ok(())
}

/// The oldest message of a chat as WhatsApp keys it, with its place (its time first):
/// where a request for older messages starts.
pub fn oldest_key(c: &Connection, chat: &ChatId) -> StoreResult<Option<(MsgKey, Position)>> {
    edge_key(
        c,
        "SELECT ch.jid, m.wa_id, m.from_me, m.sender_jid, m.ts, m.seq FROM messages m JOIN chats ch ON ch.id = m.chat_id
         WHERE m.chat_id = ?1 ORDER BY m.ts, m.seq LIMIT 1",
        chat,
    )
}

/// The newest message of a chat (not deleted for me) as WhatsApp keys it, with its
/// place: the range a chat action (archive, mark read, delete) covers.
pub fn newest_key(c: &Connection, chat: &ChatId) -> StoreResult<Option<(MsgKey, Position)>> {
    edge_key(
        c,
        "SELECT ch.jid, m.wa_id, m.from_me, m.sender_jid, m.ts, m.seq FROM messages m JOIN chats ch ON ch.id = m.chat_id
         WHERE m.chat_id = ?1 AND m.deleted_for_me = 0 ORDER BY m.ts DESC, m.seq DESC LIMIT 1",
        chat,
    )
}

/// The one message `sql` picks (jid, wa_id, from_me, sender_jid, ts, seq).
fn edge_key(c: &Connection, sql: &str, chat: &ChatId) -> StoreResult<Option<(MsgKey, Position)>> {
    Ok(c.one(sql, [chat], |r| {
        let from_me: bool = r.get(2)?;
        Ok((
            MsgKey {
                chat: r.get(0)?,
                id: r.get(1)?,
                from_me,
                sender: if from_me { None } else { r.get(3)? },
            },
            (r.get(4)?, r.get(5)?),
        ))
    })
    .optional()?)
}

pub fn set_edited(c: &Connection, id: &MessageId, text: &str, at: Millis) -> StoreResult<bool> {
    Ok(c.exec(
        "UPDATE messages SET text = ?2, edited_at = ?3 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, text, at],
    )? > 0)
}

/// Deleted for everyone: the content goes, the row stays as a tombstone.
pub fn set_revoked(c: &Connection, id: &MessageId, at: Millis) -> StoreResult<bool> {
    let changed = c.exec(
        "UPDATE messages SET type = 'revoked', text = NULL, data = NULL, media_id = NULL, revoked_at = ?2
         WHERE id = ?1 AND revoked_at IS NULL",
        params![id, at],
    )? > 0;
    c.exec("DELETE FROM reactions WHERE message_id = ?1", [id])?;
    Ok(changed)
}

pub fn set_deleted_for_me(c: &Connection, id: &MessageId) -> StoreResult<bool> {
    Ok(c.exec(
        "UPDATE messages SET deleted_for_me = 1 WHERE id = ?1 AND deleted_for_me = 0",
        [id],
    )? > 0)
}

pub fn set_starred(c: &Connection, id: &MessageId, starred: bool) -> StoreResult<bool> {
    Ok(c.exec("UPDATE messages SET starred = ?2 WHERE id = ?1", params![id, starred])? > 0)
}

/// Receipt states only move forward (sent < delivered < read < played).
pub fn advance_status(c: &Connection, id: &MessageId, status: MessageStatus) -> StoreResult<bool> {
    let current: Option<Option<String>> = c
        .one("SELECT status FROM messages WHERE id = ?1 AND from_me = 1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(current) = current else { return Ok(false) };
    let current = current.as_deref().and_then(MessageStatus::parse);
    if current.is_some_and(|cur| cur >= status) {
        return Ok(false);
    }
    c.exec(
        "UPDATE messages SET status = ?2 WHERE id = ?1",
        params![id, status.as_str()],
    )?;
    Ok(true)
}

pub fn set_reaction(
    c: &Connection,
    id: &MessageId,
    sender: &Jid,
    from_me: bool,
    emoji: Option<&str>,
    ts: Millis,
) -> StoreResult<bool> {
    Ok(match emoji {
        Some(e) => c.exec(
            "INSERT INTO reactions (message_id, sender_jid, from_me, emoji, ts) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (message_id, sender_jid) DO UPDATE SET emoji = excluded.emoji, ts = excluded.ts",
            params![id, sender, from_me, e, ts],
        )?,
        None => c.exec(
            "DELETE FROM reactions WHERE message_id = ?1 AND sender_jid = ?2",
            params![id, sender],
        )?,
    } > 0)
}

/// The newest incoming messages of a chat, up to `limit`: what a read receipt covers.
pub fn latest_incoming(c: &Connection, chat: &ChatId, limit: i64) -> StoreResult<Vec<MsgKey>> {
    let mut stmt = c.prepare_cached(
        "SELECT ch.jid, m.wa_id, m.sender_jid FROM messages m JOIN chats ch ON ch.id = m.chat_id
         WHERE m.chat_id = ?1 AND m.from_me = 0 ORDER BY m.ts DESC, m.seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![chat, limit], |r| {
        Ok(MsgKey {
            chat: r.get(0)?,
            id: r.get(1)?,
            from_me: false,
            sender: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A point in a chat's timeline: (timestamp, insertion order).
pub type Position = (Millis, i64);

pub fn position(c: &Connection, id: &MessageId) -> StoreResult<Option<(ChatId, Position)>> {
    Ok(c.one("SELECT chat_id, ts, seq FROM messages WHERE id = ?1", [id], |r| {
        Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))
    })
    .optional()?)
}

/// Which way a page walks from its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Older than the anchor (the default: newest first from "now").
    Back,
    /// Newer than the anchor.
    Forward,
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.chat_id, m.account_id, m.from_me, m.sender_contact_id, co.phone,
        COALESCE(co.saved_name, co.push_name, m.push_name, co.business_name), m.sender_jid,
        m.ts, m.type, m.text, m.media_id, m.data, m.reply_to_id, m.forwarded, m.status, m.starred,
        m.edited_at, m.revoked_at, m.seq
    FROM messages m LEFT JOIN contacts co ON co.id = m.sender_contact_id";

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<(Message, i64)> {
    let from_me: bool = r.get(3)?;
    let sender = if from_me {
        None
    } else {
        let sender_jid: Option<Jid> = r.get(7)?;
        Some(Person {
            contact_id: r.get(4)?,
            phone: r
                .get::<_, Option<String>>(5)?
                .and_then(|p| Phone::parse(&p).ok())
                .or_else(|| sender_jid.and_then(|j| j.phone())),
            name: r.get(6)?,
        })
    };
    let extra: Extra = super::sql::opt_json(r.get(12)?).unwrap_or_default();
    let mut media = extra.media;
    if let (Some(m), Some(id)) = (media.as_mut(), r.get::<_, Option<MediaId>>(11)?) {
        m.id = Some(id);
    }
    Ok((
        Message {
            id: r.get(0)?,
            chat_id: r.get(1)?,
            account_id: r.get(2)?,
            from_me,
            sender,
            timestamp: r.get(8)?,
            kind: MessageType::parse(&r.get::<_, String>(9)?).unwrap_or(MessageType::Unsupported),
            text: r.get(10)?,
            media,
            location: extra.location,
            contact: extra.contact,
            reply_to: r.get(13)?,
            forwarded: r.get(14)?,
            status: r
                .get::<_, Option<String>>(15)?
                .as_deref()
                .and_then(MessageStatus::parse),
            starred: r.get(16)?,
            edited_at: r.get(17)?,
            revoked_at: r.get(18)?,
            reactions: Vec::new(),
        },
        r.get(19)?,
    ))
}

/// Fills in the reactions of a page of messages with one query.
fn attach_reactions(c: &Connection, messages: &mut [Message]) -> StoreResult<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let ids = serde_json::to_string(&messages.iter().map(|m| m.id.as_str()).collect::<Vec<_>>())?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT r.message_id, r.emoji, r.from_me, r.ts, co.id, co.phone, {NAME_SQL}, r.sender_jid
         FROM reactions r
         JOIN messages m ON m.id = r.message_id
         LEFT JOIN contacts co ON co.account_id = m.account_id AND (co.pn_jid = r.sender_jid OR co.lid_jid = r.sender_jid)
         WHERE r.message_id IN (SELECT value FROM json_each(?1)) ORDER BY r.ts"
    ))?;
    let mut by_message: HashMap<MessageId, Vec<Reaction>> = HashMap::new();
    let rows = stmt.query_map([ids], |r| {
        let from_me: bool = r.get(2)?;
        let jid: Option<Jid> = r.get(7)?;
        Ok((
            r.get::<_, MessageId>(0)?,
            Reaction {
                emoji: r.get(1)?,
                from_me,
                timestamp: r.get(3)?,
                sender: (!from_me).then(|| Person {
                    contact_id: r.get(4).ok().flatten(),
                    phone: r
                        .get::<_, Option<String>>(5)
                        .ok()
                        .flatten()
                        .and_then(|p| Phone::parse(&p).ok())
                        .or_else(|| jid.as_ref().and_then(Jid::phone)),
                    name: r.get(6).ok().flatten(),
                }),
            },
        ))
    })?;
    for row in rows {
        let (id, reaction) = row?;
        by_message.entry(id).or_default().push(reaction);
    }
    for m in messages {
        if let Some(rs) = by_message.remove(&m.id) {
            m.reactions = rs;
        }
    }
    Ok(())
}

/// Several messages by ID (in no particular order), with reactions.
pub fn get_many(c: &Connection, ids: &[MessageId]) -> StoreResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(ids)?;
    let mut stmt = c.prepare_cached(&format!(
        "{MESSAGE_SELECT} WHERE m.id IN (SELECT value FROM json_each(?1))"
    ))?;
    let rows = stmt.query_map([list], message_from_row)?;
    let mut messages: Vec<Message> = rows.map(|r| r.map(|(m, _)| m)).collect::<Result<_, _>>()?;
    attach_reactions(c, &mut messages)?;
    Ok(messages)
}

pub fn get(c: &Connection, id: &MessageId) -> StoreResult<Option<Message>> {
    let found = c
        .one(&format!("{MESSAGE_SELECT} WHERE m.id = ?1"), [id], message_from_row)
        .optional()?;
    let Some((m, _)) = found else { return Ok(None) };
    let mut one = [m];
    attach_reactions(c, &mut one)?;
    let [m] = one;
    Ok(Some(m))
}

/// One page of a chat's messages strictly beyond `anchor` in `direction`, returned in
/// chronological order, with the position of the page's far end for the next page.
pub fn page(
    c: &Connection,
    chat: &ChatId,
    anchor: Option<Position>,
    direction: Direction,
    limit: usize,
) -> StoreResult<(Vec<Message>, Option<Position>)> {
    let (sql, anchor) = match direction {
        Direction::Back => (
            format!(
                "{MESSAGE_SELECT} WHERE m.chat_id = ?1 AND m.deleted_for_me = 0 AND (m.ts, m.seq) < (?2, ?3)
                 ORDER BY m.ts DESC, m.seq DESC LIMIT ?4"
            ),
            anchor.unwrap_or((i64::MAX, i64::MAX)),
        ),
        Direction::Forward => (
            format!(
                "{MESSAGE_SELECT} WHERE m.chat_id = ?1 AND m.deleted_for_me = 0 AND (m.ts, m.seq) > (?2, ?3)
                 ORDER BY m.ts ASC, m.seq ASC LIMIT ?4"
            ),
            anchor.unwrap_or((i64::MIN, i64::MIN)),
        ),
    };
    let mut stmt = c.prepare_cached(&sql)?;
    // One extra row tells whether another page follows.
    let rows = stmt.query_map(params![chat, anchor.0, anchor.1, (limit + 1) as i64], message_from_row)?;
    let mut rows: Vec<(Message, i64)> = rows.collect::<Result<_, _>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let far_end = if more {
        rows.last().map(|(m, seq)| (m.timestamp, *seq))
    } else {
        None
    };
    if direction == Direction::Back {
        rows.reverse();
    }
    let mut messages: Vec<Message> = rows.into_iter().map(|(m, _)| m).collect();
    attach_reactions(c, &mut messages)?;
    Ok((messages, far_end))
}
