//! Chat tools: list and read chats, walk their messages, and change their state
//! (read, archived, muted, pinned) the way the phone does.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::args::{check_limit, ChatRefArg, Problems, Validate};
use super::output::project;
use super::{paging, tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::ids::{AccountId, ChatId, MessageId};
use crate::model::ChatKind;
use crate::store::chats::{self, ChatQuery, ChatRef};
use crate::store::messages::{self, Direction, Position};
use crate::time::{now_ms, parse_iso, Millis};
use crate::wa::{AppStateChange, Jid};

/// WhatsApp pins at most this many chats.
const MAX_PINNED: i64 = 3;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ChatFilter {
    /// Every chat (the default).
    All,
    /// Chats with unread messages or marked unread.
    Unread,
    Archived,
    Pinned,
    /// Chats not archived (the phone's main list).
    Inbox,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListChatsArgs {
    /// Only this account's chats (default: every account the key reaches).
    account_id: Option<AccountId>,
    /// `all` (default), `unread`, `archived`, `pinned` or `inbox`.
    filter: Option<ChatFilter>,
    /// Only chats with this label (WhatsApp Business labels, case-insensitive).
    label: Option<String>,
    /// `direct` or `group`.
    kind: Option<ChatKind>,
    /// Only chats whose name or number contains this text.
    query: Option<String>,
    /// Items per page: 1 to 200, default 100.
    limit: Option<u32>,
    /// `next_cursor` from the previous page.
    cursor: Option<String>,
    /// Only these fields of each chat (e.g. ["name", "unread_count", "last_message.text"]); `id` always included.
    fields: Option<Vec<String>>,
}

impl Validate for ListChatsArgs {
    fn validate(&self, p: &mut Problems) {
        check_limit(self.limit, p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatArg {
    /// The chat: chat ID, group ID, or E.164 phone number for a 1:1 chat.
    chat: ChatRefArg,
    /// Which account, when `chat` is a phone number and the key reaches several.
    account_id: Option<AccountId>,
}
impl Validate for ChatArg {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListMessagesArgs {
    /// The chat: chat ID, group ID, or E.164 phone number for a 1:1 chat.
    chat: ChatRefArg,
    account_id: Option<AccountId>,
    /// Messages per page: 1 to 200, default 100.
    limit: Option<u32>,
    /// Walk back: messages older than this message ID (msg_…) or ISO 8601 time.
    before: Option<String>,
    /// Walk forward: messages newer than this message ID (msg_…) or ISO 8601 time.
    after: Option<String>,
    /// `next_cursor` from the previous page (continues in the same direction).
    cursor: Option<String>,
    /// Only these fields of each message (e.g. ["text", "sender.name", "timestamp"]); `id` always included.
    fields: Option<Vec<String>>,
}

impl Validate for ListMessagesArgs {
    fn validate(&self, p: &mut Problems) {
        check_limit(self.limit, p);
        let set = [self.before.is_some(), self.after.is_some(), self.cursor.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if set > 1 {
            p.push(("before".into(), "use only one of `before`, `after` and `cursor`".into()));
        }
        for (name, v) in [("before", &self.before), ("after", &self.after)] {
            if let Some(v) = v {
                if !MessageId::has_prefix(v) && parse_iso(v).is_none() {
                    p.push((name.into(), "expected a message ID (msg_…) or an ISO 8601 time".into()));
                }
            }
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenChatArgs {
    /// A chat ID, group ID, or E.164 phone number (a new 1:1 chat if there is none yet).
    chat: ChatRefArg,
    account_id: Option<AccountId>,
    /// How many recent messages to include: 0 to 200, default 20.
    limit: Option<u32>,
}

impl Validate for OpenChatArgs {
    fn validate(&self, p: &mut Problems) {
        if self.limit.is_some_and(|l| l > paging::MAX_LIMIT as u32) {
            p.push(("limit".into(), format!("between 0 and {}", paging::MAX_LIMIT)));
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteArgs {
    /// The chat: chat ID, group ID, or E.164 phone number for a 1:1 chat.
    chat: ChatRefArg,
    account_id: Option<AccountId>,
    /// When the mute ends (ISO 8601); omit to mute for ever.
    until: Option<String>,
}

impl Validate for MuteArgs {
    fn validate(&self, p: &mut Problems) {
        if let Some(u) = &self.until {
            match parse_iso(u) {
                None => p.push((
                    "until".into(),
                    "expected an ISO 8601 time, e.g. 2026-12-01T08:00:00Z".into(),
                )),
                Some(t) if t <= now_ms() => p.push(("until".into(), "must be in the future".into())),
                Some(_) => {}
            }
        }
    }
}

/// Where the next `list_messages` page starts.
#[derive(Serialize, Deserialize)]
struct MessageCursor {
    chat: ChatId,
    forward: bool,
    ts: Millis,
    seq: i64,
}

fn chat_json(ctx: &Ctx, id: &ChatId) -> ToolResult<serde_json::Value> {
    let chat = ctx
        .read(|c| chats::get(c, id))?
        .ok_or_else(|| ToolError::not_found("chat", id))?;
    Ok(serde_json::to_value(chat).unwrap_or_default())
}

async fn list_chats(ctx: Ctx, a: ListChatsArgs) -> ToolResult<Output> {
    let accounts = match &a.account_id {
        Some(id) => vec![ctx.account_by_id(id)?.id],
        None => ctx.account_ids()?,
    };
    let limit = paging::limit(a.limit);
    let after: Option<(Millis, String)> = a
        .cursor
        .as_deref()
        .map(|c| paging::decode("list_chats", c))
        .transpose()?;
    let filter = a.filter.unwrap_or(ChatFilter::All);
    let q = ChatQuery {
        accounts: &accounts,
        unread: filter == ChatFilter::Unread,
        archived: match filter {
            ChatFilter::Archived => Some(true),
            ChatFilter::Inbox => Some(false),
            _ => None,
        },
        pinned: filter == ChatFilter::Pinned,
        kind: a.kind,
        label: a.label.as_deref(),
        name: a.query.as_deref(),
        only: ctx.allowed_chats(),
        after: after.as_ref().map(|(t, id)| (*t, id.as_str())),
        limit: limit + 1,
    };
    let mut page = ctx.read(|c| chats::list(c, &q))?;
    let next = (page.len() > limit).then(|| {
        page.truncate(limit);
        let last = page.last().expect("a full page");
        paging::encode("list_chats", &(last.last_message_at.unwrap_or(0), last.id.as_str()))
    });
    let items = project(&page, a.fields.as_deref());
    Ok(Output::json(json!({ "chats": items, "next_cursor": next }))?.untrusted())
}

async fn get_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let mut v = chat_json(&ctx, &chat.id)?;
    if chat.kind == ChatKind::Group {
        if let Some(g) = ctx.read(|c| crate::store::groups::get(c, &chat.id))? {
            v["group"] = serde_json::to_value(g).unwrap_or_default();
        }
    }
    Ok(Output::json(json!({ "chat": v }))?.untrusted())
}

/// Where a `before`/`after` argument points in the chat's timeline.
fn anchor(ctx: &Ctx, chat: &ChatRef, field: &str, value: &str, forward: bool) -> ToolResult<Position> {
    if let Ok(id) = MessageId::parse(value) {
        let (msg_chat, pos) = ctx
            .read(|c| messages::position(c, &id))?
            .ok_or_else(|| ToolError::not_found("message", &id))?;
        if msg_chat != chat.id {
            return Err(ToolError::invalid(field, "that message is in another chat"));
        }
        return Ok(pos);
    }
    let ts = parse_iso(value).ok_or_else(|| ToolError::invalid(field, "expected a message ID or an ISO 8601 time"))?;
    Ok(if forward { (ts, i64::MAX) } else { (ts, i64::MIN) })
}

async fn list_messages(ctx: Ctx, a: ListMessagesArgs) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let limit = paging::limit(a.limit);
    let (direction, from) = if let Some(c) = &a.cursor {
        let cur: MessageCursor = paging::decode("list_messages", c)?;
        if cur.chat != chat.id {
            return Err(ToolError::invalid("cursor", "this cursor belongs to another chat"));
        }
        (
            if cur.forward {
                Direction::Forward
            } else {
                Direction::Back
            },
            Some((cur.ts, cur.seq)),
        )
    } else if let Some(b) = &a.before {
        (Direction::Back, Some(anchor(&ctx, &chat, "before", b, false)?))
    } else if let Some(af) = &a.after {
        (Direction::Forward, Some(anchor(&ctx, &chat, "after", af, true)?))
    } else {
        (Direction::Back, None)
    };
    let (page, far_end) = ctx.read(|c| messages::page(c, &chat.id, from, direction, limit))?;
    let next = far_end.map(|(ts, seq)| {
        paging::encode(
            "list_messages",
            &MessageCursor {
                chat: chat.id.clone(),
                forward: direction == Direction::Forward,
                ts,
                seq,
            },
        )
    });
    let items = project(&page, a.fields.as_deref());
    // Whether the phone has messages from before the oldest one here (fetch_older_messages).
    let older_on_phone = match ctx.read(|c| chats::older_on_phone(c, &chat.id))? {
        Some(more) => json!(more),
        None => json!("unknown"),
    };
    Ok(Output::json(json!({
        "chat_id": chat.id, "messages": items, "next_cursor": next, "older_on_phone": older_on_phone,
    }))?
    .untrusted())
}

async fn open_chat(ctx: Ctx, a: OpenChatArgs) -> ToolResult<Output> {
    let (chat, created) = ctx.chat_or_open(a.account_id.as_ref(), &a.chat).await?;
    let limit = a.limit.unwrap_or(20) as usize;
    let messages = if limit == 0 {
        Vec::new()
    } else {
        ctx.read(|c| messages::page(c, &chat.id, None, Direction::Back, limit))?
            .0
    };
    Ok(
        Output::json(json!({ "chat": chat_json(&ctx, &chat.id)?, "created": created, "messages": messages }))?
            .untrusted(),
    )
}

/// Applies an app-state change on WhatsApp, then mirrors it in the store.
async fn change_chat(
    ctx: &Ctx,
    a: &ChatArg,
    change: impl FnOnce(Jid) -> AppStateChange,
    store: impl FnOnce(&rusqlite::Transaction<'_>, &ChatId) -> crate::store::StoreResult<()>,
) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let client = ctx.client(&chat.account_id)?;
    client.apply(&change(chat.jid.clone())).await.map_err(wa_error)?;
    ctx.write(|tx, _| store(tx, &chat.id))?;
    Ok(Output::json(json!({ "chat": chat_json(ctx, &chat.id)? }))?.untrusted())
}

async fn mark_chat_read(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let client = ctx.client(&chat.account_id)?;
    let (unread, _) = ctx.read(|c| chats::unread(c, &chat.id))?;
    let keys = ctx.read(|c| messages::latest_incoming(c, &chat.id, unread.clamp(1, 100)))?;
    client.mark_read(&chat.jid, &keys).await.map_err(wa_error)?;
    // Receipts tell the senders; the account's other devices (the phone's unread
    // badge, an unread mark) learn it from the chat action, up to the newest message.
    client
        .apply(&AppStateChange::MarkUnread {
            chat: chat.jid.clone(),
            unread: false,
        })
        .await
        .map_err(wa_error)?;
    ctx.write(|tx, _| chats::clear_unread(tx, &chat.id, now_ms()))?;
    Ok(Output::json(json!({ "chat": chat_json(&ctx, &chat.id)?, "receipts_sent": keys.len() }))?.untrusted())
}

async fn mark_chat_unread(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    change_chat(
        &ctx,
        &a,
        |jid| AppStateChange::MarkUnread {
            chat: jid,
            unread: true,
        },
        |tx, id| chats::set_marked_unread(tx, id, true, now_ms()),
    )
    .await
}

async fn archive_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    change_chat(
        &ctx,
        &a,
        |jid| AppStateChange::Archive {
            chat: jid,
            archived: true,
        },
        |tx, id| chats::set_archived(tx, id, true, now_ms()),
    )
    .await
}

async fn unarchive_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    change_chat(
        &ctx,
        &a,
        |jid| AppStateChange::Archive {
            chat: jid,
            archived: false,
        },
        |tx, id| chats::set_archived(tx, id, false, now_ms()),
    )
    .await
}

async fn mute_chat(ctx: Ctx, a: MuteArgs) -> ToolResult<Output> {
    let until = a.until.as_deref().and_then(parse_iso).unwrap_or(-1);
    let arg = ChatArg {
        chat: a.chat,
        account_id: a.account_id,
    };
    change_chat(
        &ctx,
        &arg,
        |jid| AppStateChange::Mute {
            chat: jid,
            until: Some(until),
        },
        |tx, id| chats::set_muted(tx, id, Some(until), now_ms()),
    )
    .await
}

async fn unmute_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    change_chat(
        &ctx,
        &a,
        |jid| AppStateChange::Mute { chat: jid, until: None },
        |tx, id| chats::set_muted(tx, id, None, now_ms()),
    )
    .await
}

async fn pin_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let already = ctx.read(|c| chats::get(c, &chat.id))?.is_some_and(|c| c.pinned);
    if !already && ctx.read(|c| chats::pinned_count(c, &chat.account_id))? >= MAX_PINNED {
        return Err(ToolError::invalid(
            "chat",
            format!("WhatsApp pins at most {MAX_PINNED} chats; unpin one first"),
        ));
    }
    let now = now_ms();
    change_chat(
        &ctx,
        &a,
        |jid| AppStateChange::Pin {
            chat: jid,
            pinned: true,
        },
        |tx, id| chats::set_pinned(tx, id, true, now),
    )
    .await
}

async fn unpin_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    change_chat(
        &ctx,
        &a,
        |jid| AppStateChange::Pin {
            chat: jid,
            pinned: false,
        },
        |tx, id| chats::set_pinned(tx, id, false, now_ms()),
    )
    .await
}

async fn delete_chat(ctx: Ctx, a: ChatArg) -> ToolResult<Output> {
    let chat = ctx.chat(a.account_id.as_ref(), &a.chat)?;
    let client = ctx.client(&chat.account_id)?;
    client
        .apply(&AppStateChange::DeleteChat { chat: chat.jid.clone() })
        .await
        .map_err(wa_error)?;
    ctx.write(|tx, _| chats::delete(tx, &chat.id))?;
    Output::json(json!({ "deleted": chat.id }))
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("list_chats", "List chats", Family::Chats, Effect::Read,
            "List chats, most recent activity first, with name, unread count, flags (archived, pinned, muted) and the last message. Filter by `unread`, `archived`, `pinned`, `inbox`, label, kind or name; page with `next_cursor`; trim with `fields`.",
            list_chats),
        tool("get_chat", "Get a chat", Family::Chats, Effect::Read,
            "Get one chat by chat ID, group ID or phone number, with its state; for groups also the subject, description and participant count.",
            get_chat),
        tool("list_messages", "List messages", Family::Chats, Effect::Read,
            "Read a chat's messages in chronological order. Without anchors you get the newest page; `next_cursor` walks further back. `before` (message ID or time) walks back from a point, `after` walks forward (for example from the last message you saw). Trim with `fields`. `older_on_phone` says whether the phone has messages from before the oldest one here (true, false or \"unknown\"): fetch them with fetch_older_messages.",
            list_messages),
        tool("open_chat", "Open a chat", Family::Chats, Effect::Read,
            "Open a chat by ID or phone number and get its latest messages. For a phone number with no chat yet, checks the number is on WhatsApp and starts the chat (nothing is sent).",
            open_chat),
        tool("mark_chat_read", "Mark a chat read", Family::Chats, Effect::Write,
            "Send read receipts (blue ticks) for a chat's unread messages and clear its unread count and mark.",
            mark_chat_read),
        tool("mark_chat_unread", "Mark a chat unread", Family::Chats, Effect::Write, "Mark a chat as unread (the badge on the phone), without changing read receipts.", mark_chat_unread),
        tool("archive_chat", "Archive a chat", Family::Chats, Effect::Write, "Archive a chat: it leaves the main list (and stops being pinned); new messages keep it archived.", archive_chat),
        tool("unarchive_chat", "Unarchive a chat", Family::Chats, Effect::Write, "Move a chat out of the archive, back to the main chat list.", unarchive_chat),
        tool("mute_chat", "Mute a chat", Family::Chats, Effect::Write, "Mute a chat's notifications on the phone until a time (ISO 8601), or for ever when `until` is omitted.", mute_chat),
        tool("unmute_chat", "Unmute a chat", Family::Chats, Effect::Write, "Unmute a chat, so its notifications show on the phone again.", unmute_chat),
        tool("pin_chat", "Pin a chat", Family::Chats, Effect::Write, "Pin a chat to the top of the chat list (WhatsApp allows 3 pinned chats per account).", pin_chat),
        tool("unpin_chat", "Unpin a chat", Family::Chats, Effect::Write, "Unpin a chat; it goes back to its place by recent activity.", unpin_chat),
        tool("delete_chat", "Delete a chat", Family::Chats, Effect::Destructive,
            "Delete a chat and its messages from this account (on all its devices). The other side keeps their copy.",
            delete_chat),
    ]
}
