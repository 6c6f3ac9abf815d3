//! Message tools: send, read, edit, delete, react, star, forward.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

use super::args::{check_idempotency_key, check_text, ChatRefArg, Problems, Validate};
use super::{tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ErrorCode, ToolError, ToolResult};
use crate::events::EventType;
use crate::ids::{AccountId, MediaId, MessageId};
use crate::ingest::message_json;
use crate::model::{ContactCard, Location, MediaInfo, MessageStatus, MessageType};
use crate::store::chats::{self, ChatRef};
use crate::store::media::MediaMeta;
use crate::store::messages::{self, MessageRef};
use crate::time::now_ms;
use crate::wa::{AppStateChange, MediaBlob, MsgKey, Outgoing, Sent, WaContent, WaError, WaMedia, WaMessage};

/// WhatsApp's limits.
pub const MAX_TEXT: usize = 65_536;
pub const EDIT_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const REVOKE_WINDOW_MS: i64 = 60 * 60 * 60 * 1000;
pub const MAX_FORWARD_CHATS: usize = 5;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactArg {
    /// The name to show on the card.
    name: String,
    /// The contact's number (E.164); a vCard is built from name and phone.
    phone: Option<crate::phone::Phone>,
    /// A full vCard instead of `phone`.
    vcard: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendArgs {
    /// Where to send: chat ID, group ID, or E.164 phone number (a 1:1 chat is started if needed).
    chat: ChatRefArg,
    /// Which account sends, when the key reaches several and `chat` is a phone number.
    account_id: Option<AccountId>,
    /// The text of a text message.
    text: Option<String>,
    /// Media to send (from upload_media): a picture, video, audio or document, by its type.
    media_id: Option<MediaId>,
    /// The caption of a picture, video or document.
    caption: Option<String>,
    /// Send audio as a voice note (push-to-talk).
    #[serde(default)]
    voice_note: bool,
    /// Send a picture or video as a document (original quality, with its file name).
    #[serde(default)]
    as_document: bool,
    /// The file name shown for a document.
    file_name: Option<String>,
    /// A location to share.
    location: Option<Location>,
    /// A contact card to share.
    contact: Option<ContactArg>,
    /// Quote this message (it must be in the same chat).
    reply_to: Option<MessageId>,
    /// Validate, resolve the recipient and show what would be sent, without sending.
    #[serde(default)]
    dry_run: bool,
    /// The same key within 24 hours returns the first result and sends nothing again.
    idempotency_key: Option<String>,
}

impl SendArgs {
    /// What to send, with media resolved from the store.
    fn content(&self, ctx: &Ctx) -> ToolResult<WaContent> {
        if let Some(t) = &self.text {
            return Ok(WaContent::text(t.clone()));
        }
        if let Some(l) = &self.location {
            return Ok(WaContent::Location(l.clone()));
        }
        if let Some(id) = &self.media_id {
            let meta = super::media::visible_media(ctx, id)?;
            return Ok(media_content(
                &meta,
                self.caption.clone(),
                self.voice_note,
                self.as_document,
                self.file_name.clone(),
            ));
        }
        let c = self
            .contact
            .as_ref()
            .ok_or_else(|| ToolError::invalid("text", "nothing to send"))?;
        let vcard = c.vcard.clone().unwrap_or_else(|| {
            format!(
                "BEGIN:VCARD\nVERSION:3.0\nFN:{}\nTEL;type=CELL;waid={}:{}\nEND:VCARD",
                c.name,
                c.phone.as_ref().map(|p| p.digits()).unwrap_or_default(),
                c.phone.as_ref().map(|p| p.as_str()).unwrap_or_default()
            )
        });
        Ok(WaContent::Contact(ContactCard {
            display_name: c.name.clone(),
            vcard,
        }))
    }
}

/// A stored blob as message content: the kind follows its type.
pub fn media_content(
    meta: &MediaMeta,
    caption: Option<String>,
    voice_note: bool,
    as_document: bool,
    file_name: Option<String>,
) -> WaContent {
    let media = WaMedia {
        info: MediaInfo {
            id: Some(meta.id.clone()),
            mime: meta.mime.clone(),
            size: Some(meta.size),
            file_name: file_name.or_else(|| meta.file_name.clone()),
            width: meta.width,
            height: meta.height,
            duration_s: meta.duration_s,
            voice_note: voice_note && meta.mime.starts_with("audio/"),
        },
        blob: MediaBlob::Local { id: meta.id.clone() },
    };
    let top = meta.mime.split('/').next().unwrap_or("");
    match top {
        _ if as_document => WaContent::Document { media, caption },
        "image" if meta.mime == "image/webp" && caption.is_none() => WaContent::Sticker { media },
        "image" => WaContent::Image { media, caption },
        "video" => WaContent::Video { media, caption },
        "audio" => WaContent::Audio { media },
        _ => WaContent::Document { media, caption },
    }
}

impl Validate for SendArgs {
    fn validate(&self, p: &mut Problems) {
        let kinds = [
            self.text.is_some(),
            self.media_id.is_some(),
            self.location.is_some(),
            self.contact.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if kinds == 0 {
            p.push((
                "text".into(),
                "give what to send: `text`, `media_id`, `location` or `contact`".into(),
            ));
        } else if kinds > 1 {
            p.push((
                "text".into(),
                "give only one of `text`, `media_id`, `location` and `contact`".into(),
            ));
        }
        if let Some(t) = &self.text {
            check_text("text", t, MAX_TEXT, p);
        }
        if let Some(c) = &self.caption {
            if self.media_id.is_none() {
                p.push(("caption".into(), "a caption goes with `media_id`".into()));
            } else if c.chars().count() > MAX_TEXT {
                p.push(("caption".into(), format!("at most {MAX_TEXT} characters")));
            }
        }
        if (self.voice_note || self.as_document || self.file_name.is_some()) && self.media_id.is_none() {
            p.push((
                "media_id".into(),
                "`voice_note`, `as_document` and `file_name` go with `media_id`".into(),
            ));
        }
        if self
            .file_name
            .as_ref()
            .is_some_and(|f| f.is_empty() || f.chars().count() > 255 || f.contains(['/', '\\']))
        {
            p.push(("file_name".into(), "a plain file name, 1 to 255 characters".into()));
        }
        if let Some(l) = &self.location {
            if !(-90.0..=90.0).contains(&l.latitude) || l.latitude.is_nan() {
                p.push(("location.latitude".into(), "between -90 and 90".into()));
            }
            if !(-180.0..=180.0).contains(&l.longitude) || l.longitude.is_nan() {
                p.push(("location.longitude".into(), "between -180 and 180".into()));
            }
        }
        if let Some(c) = &self.contact {
            check_text("contact.name", &c.name, 256, p);
            match (&c.phone, &c.vcard) {
                (None, None) => p.push(("contact.phone".into(), "give `phone` or `vcard`".into())),
                (_, Some(v)) if !v.trim_start().starts_with("BEGIN:VCARD") || v.len() > 8192 => p.push((
                    "contact.vcard".into(),
                    "a vCard starting with BEGIN:VCARD, at most 8 KB".into(),
                )),
                _ => {}
            }
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageArg {
    /// The message (msg_…).
    message_id: MessageId,
    idempotency_key: Option<String>,
}
impl Validate for MessageArg {
    fn validate(&self, p: &mut Problems) {
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetMessageArgs {
    /// The message (msg_…).
    message_id: MessageId,
}
impl Validate for GetMessageArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EditArgs {
    /// One of this account's own text messages, sent less than 15 minutes ago.
    message_id: MessageId,
    /// The new text.
    text: String,
    idempotency_key: Option<String>,
}
impl Validate for EditArgs {
    fn validate(&self, p: &mut Problems) {
        check_text("text", &self.text, MAX_TEXT, p);
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeleteScope {
    /// Only from this account's devices.
    #[default]
    Me,
    /// For everyone in the chat (own messages, within about 60 hours).
    Everyone,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    message_id: MessageId,
    /// `me` (default) or `everyone`.
    #[serde(default)]
    scope: DeleteScope,
    idempotency_key: Option<String>,
}
impl Validate for DeleteArgs {
    fn validate(&self, p: &mut Problems) {
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactArgs {
    message_id: MessageId,
    /// One emoji, e.g. "👍".
    emoji: String,
    idempotency_key: Option<String>,
}

/// One emoji (possibly with modifiers or joiners): no letters, digits, spaces.
pub fn is_emoji(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace() && !c.is_control())
        && s.chars().any(|c| c as u32 >= 0x2000)
}

impl Validate for ReactArgs {
    fn validate(&self, p: &mut Problems) {
        if !is_emoji(&self.emoji) {
            p.push(("emoji".into(), "a single emoji, e.g. 👍".into()));
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardArgs {
    message_id: MessageId,
    /// Up to 5 chats (chat IDs, group IDs or E.164 numbers) of the same account.
    to: Vec<ChatRefArg>,
    /// Check every target and show what would be forwarded, without sending.
    #[serde(default)]
    dry_run: bool,
    idempotency_key: Option<String>,
}
impl Validate for ForwardArgs {
    fn validate(&self, p: &mut Problems) {
        if self.to.is_empty() || self.to.len() > MAX_FORWARD_CHATS {
            p.push(("to".into(), format!("1 to {MAX_FORWARD_CHATS} chats")));
        }
        check_idempotency_key(self.idempotency_key.as_deref(), p);
    }
}

/// With an idempotency key, the WhatsApp message ID is derived from it (and the chat),
/// so a retried send is the same message: the recipient never gets it twice.
fn message_id_for(ctx: &Ctx, chat: &ChatRef) -> Option<String> {
    use sha2::{Digest, Sha256};
    let seed = ctx.idempotency_seed.as_ref()?;
    let digest = Sha256::digest(format!("{seed}|{}", chat.id));
    Some(format!("3EB0{}", hex::encode_upper(&digest[..8])))
}

/// The send-safety limit: messages to chats with no history (strangers) are capped
/// per account and minute, because mass messaging gets WhatsApp accounts banned.
fn check_new_chat_limit(ctx: &Ctx, chat: &ChatRef) -> ToolResult<()> {
    let fresh = ctx.read(|c| chats::is_empty(c, &chat.id))?;
    if !fresh || chat.kind != crate::model::ChatKind::Direct {
        return Ok(());
    }
    Ok(ctx.grant.new_chat_send(&chat.account_id)?)
}

/// Sends `content` to `chat` and records it as sent (store + `message.sent`).
pub async fn send_and_store(
    ctx: &Ctx,
    chat: &ChatRef,
    content: WaContent,
    reply_to: Option<&MessageRef>,
    forwarded: bool,
) -> ToolResult<serde_json::Value> {
    let client = ctx.client(&chat.account_id)?;
    check_new_chat_limit(ctx, chat)?;
    let quoted = match reply_to {
        Some(r) => ctx.read(|c| messages::content_of(c, &r.id))?,
        None => None,
    };
    let outgoing = Outgoing {
        content: content.clone(),
        reply_to: reply_to.map(|r| r.key.clone()),
        quoted,
        forwarded,
        id: message_id_for(ctx, chat),
    };
    // A message WhatsApp refused went out all the same: it is kept, marked failed,
    // and the agent hears `send_failed`.
    let (sent, status, refused) = match client.send(&chat.jid, &outgoing).await {
        Ok(sent) => (sent, MessageStatus::Sent, None),
        Err(WaError::SendFailed { id, code, ts }) => {
            let refused = wa_error(WaError::SendFailed {
                id: id.clone(),
                code,
                ts,
            });
            (Sent { id, ts }, MessageStatus::Failed, Some(refused))
        }
        Err(e) => return Err(wa_error(e)),
    };
    let account = chat.account_id.clone();
    let chat = chat.clone();
    let stored = ctx.write(move |tx, em| {
        let message = WaMessage {
            key: MsgKey {
                chat: chat.jid.clone(),
                id: sent.id.clone(),
                from_me: true,
                sender: None,
            },
            ts: sent.ts,
            push_name: None,
            content,
            reply_to: outgoing.reply_to.map(|k| k.id),
            forwarded,
            status: Some(status),
            starred: false,
        };
        let (id, _) = messages::insert(tx, &chat, &message, None)?;
        chats::on_message(tx, &chat.id, sent.ts, false)?;
        let json = message_json(tx, &id)?;
        if status == MessageStatus::Sent {
            em.emit(
                tx,
                EventType::MessageSent,
                &account,
                Some(&chat.id),
                sent.ts,
                json!({ "message": json }),
            )?;
        }
        Ok(json)
    })?;
    match refused {
        Some(e) => Err(e),
        None => Ok(stored),
    }
}

async fn send_message(ctx: Ctx, a: SendArgs) -> ToolResult<Output> {
    let content = a.content(&ctx)?;
    let (chat, opened) = ctx.chat_or_open(a.account_id.as_ref(), &a.chat).await?;
    let reply = match &a.reply_to {
        Some(id) => {
            let r = ctx.message(id)?;
            if r.chat_id != chat.id {
                return Err(ToolError::invalid("reply_to", "the quoted message is in another chat"));
            }
            Some(r)
        }
        None => None,
    };
    if a.dry_run {
        // Everything a real send checks, short of sending.
        ctx.client(&chat.account_id)?;
        let chat_view = ctx.read(|c| chats::get(c, &chat.id))?;
        return Ok(Output::json(json!({
            "dry_run": true,
            "would_send": {
                "chat": chat_view,
                "type": messages::type_of(&content),
                "content": content,
                "reply_to": a.reply_to,
            },
            "chat_opened": opened,
        }))?
        .untrusted());
    }
    let message = send_and_store(&ctx, &chat, content, reply.as_ref(), false).await?;
    Output::json(json!({ "message": message }))
}

async fn get_message(ctx: Ctx, a: GetMessageArgs) -> ToolResult<Output> {
    ctx.message(&a.message_id)?;
    let m = ctx
        .read(|c| messages::get(c, &a.message_id))?
        .ok_or_else(|| ToolError::not_found("message", &a.message_id))?;
    Ok(Output::json(json!({ "message": m }))?.untrusted())
}

async fn edit_message(ctx: Ctx, a: EditArgs) -> ToolResult<Output> {
    let m = ctx.message(&a.message_id)?;
    if !m.key.from_me {
        return Err(ToolError::forbidden("only this account's own messages can be edited"));
    }
    if m.revoked {
        return Err(ToolError::invalid("message_id", "the message was deleted for everyone"));
    }
    if m.kind != MessageType::Text {
        return Err(ToolError::invalid("message_id", "only text messages can be edited"));
    }
    let age = now_ms() - m.ts;
    if age > EDIT_WINDOW_MS {
        return Err(ToolError::new(
            ErrorCode::EditWindowExpired,
            format!(
                "messages can be edited for 15 minutes after sending; this one was sent {} minutes ago",
                age / 60_000
            ),
        ));
    }
    let client = ctx.client(&m.account_id)?;
    let at = client.edit(&m.key, &a.text).await.map_err(wa_error)?;
    let message = ctx.write(|tx, em| {
        messages::set_edited(tx, &m.id, &a.text, at)?;
        let json = message_json(tx, &m.id)?;
        em.emit(
            tx,
            EventType::MessageEdited,
            &m.account_id,
            Some(&m.chat_id),
            at,
            json!({ "message": json }),
        )?;
        Ok(json)
    })?;
    Output::json(json!({ "message": message }))
}

async fn delete_message(ctx: Ctx, a: DeleteArgs) -> ToolResult<Output> {
    let m = ctx.message(&a.message_id)?;
    let client = ctx.client(&m.account_id)?;
    match a.scope {
        DeleteScope::Everyone => {
            if m.revoked {
                return Err(ToolError::invalid(
                    "message_id",
                    "the message was already deleted for everyone",
                ));
            }
            if m.key.from_me && now_ms() - m.ts > REVOKE_WINDOW_MS {
                return Err(ToolError::invalid(
                    "scope",
                    "messages can be deleted for everyone only within about 60 hours of sending; use scope `me`",
                ));
            }
            let at = client.revoke(&m.key).await.map_err(wa_error)?;
            ctx.write(|tx, em| {
                messages::set_revoked(tx, &m.id, at)?;
                em.emit(
                    tx,
                    EventType::MessageDeleted,
                    &m.account_id,
                    Some(&m.chat_id),
                    at,
                    json!({ "message_id": m.id, "scope": "everyone" }),
                )
            })?;
        }
        DeleteScope::Me => {
            client
                .apply(&AppStateChange::DeleteForMe { message: m.key.clone() })
                .await
                .map_err(wa_error)?;
            let at = now_ms();
            ctx.write(|tx, em| {
                messages::set_deleted_for_me(tx, &m.id)?;
                chats::refresh_last_message(tx, &m.chat_id)?;
                em.emit(
                    tx,
                    EventType::MessageDeleted,
                    &m.account_id,
                    Some(&m.chat_id),
                    at,
                    json!({ "message_id": m.id, "scope": "me" }),
                )
            })?;
        }
    }
    Output::json(json!({ "deleted": m.id, "scope": a.scope_name() }))
}

impl DeleteArgs {
    fn scope_name(&self) -> &'static str {
        match self.scope {
            DeleteScope::Me => "me",
            DeleteScope::Everyone => "everyone",
        }
    }
}

/// Sets or clears this account's reaction on a message.
async fn react(ctx: &Ctx, id: &MessageId, emoji: Option<&str>) -> ToolResult<Output> {
    let m = ctx.message(id)?;
    if m.revoked {
        return Err(ToolError::invalid("message_id", "the message was deleted for everyone"));
    }
    let account = ctx.account_by_id(&m.account_id)?;
    let me = account
        .jid
        .clone()
        .ok_or_else(|| ToolError::not_paired("the account has no WhatsApp identity yet"))?;
    let client = ctx.client(&m.account_id)?;
    let at = client.react(&m.key, emoji).await.map_err(wa_error)?;
    let message = ctx.write(|tx, em| {
        messages::set_reaction(tx, &m.id, &me, true, emoji, at)?;
        let kind = if emoji.is_some() {
            EventType::ReactionAdded
        } else {
            EventType::ReactionRemoved
        };
        em.emit(
            tx,
            kind,
            &m.account_id,
            Some(&m.chat_id),
            at,
            json!({ "message_id": m.id, "emoji": emoji, "from_me": true }),
        )?;
        message_json(tx, &m.id)
    })?;
    Ok(Output::json(json!({ "message": message }))?.untrusted())
}

async fn add_reaction(ctx: Ctx, a: ReactArgs) -> ToolResult<Output> {
    react(&ctx, &a.message_id, Some(&a.emoji)).await
}

async fn remove_reaction(ctx: Ctx, a: MessageArg) -> ToolResult<Output> {
    react(&ctx, &a.message_id, None).await
}

async fn star(ctx: &Ctx, id: &MessageId, starred: bool) -> ToolResult<Output> {
    let m = ctx.message(id)?;
    let client = ctx.client(&m.account_id)?;
    client
        .apply(&AppStateChange::Star {
            message: m.key.clone(),
            starred,
        })
        .await
        .map_err(wa_error)?;
    ctx.write(|tx, _| messages::set_starred(tx, &m.id, starred))?;
    Output::json(json!({ "message_id": m.id, "starred": starred }))
}

async fn star_message(ctx: Ctx, a: MessageArg) -> ToolResult<Output> {
    star(&ctx, &a.message_id, true).await
}

async fn unstar_message(ctx: Ctx, a: MessageArg) -> ToolResult<Output> {
    star(&ctx, &a.message_id, false).await
}

async fn forward_message(ctx: Ctx, a: ForwardArgs) -> ToolResult<Output> {
    let m = ctx.message(&a.message_id)?;
    if m.revoked {
        return Err(ToolError::invalid("message_id", "the message was deleted for everyone"));
    }
    let content = ctx.read(|c| messages::content_of(c, &m.id))?.ok_or_else(|| {
        ToolError::invalid(
            "message_id",
            format!("{} messages cannot be forwarded", m.kind.as_str()),
        )
    })?;
    // Resolve every target first, so a bad one sends nothing at all.
    let mut targets = Vec::new();
    for (i, to) in a.to.iter().enumerate() {
        let (chat, _) = ctx.chat_or_open(Some(&m.account_id), to).await.map_err(|mut e| {
            // Say which target failed.
            e.message = format!("to[{i}]: {}", e.message);
            e.fields.insert(format!("to[{i}]"), to.to_string());
            e
        })?;
        if chat.account_id != m.account_id {
            return Err(ToolError::invalid(
                format!("to[{i}]"),
                "forwarding works between chats of the same account",
            ));
        }
        targets.push(chat);
    }
    if a.dry_run {
        let chats: Vec<_> = targets
            .iter()
            .map(|t| ctx.read(|c| chats::get(c, &t.id)))
            .collect::<Result<_, _>>()?;
        return Ok(Output::json(json!({
            "dry_run": true,
            "would_forward": { "type": messages::type_of(&content), "content": content, "to": chats },
        }))?
        .untrusted());
    }
    let mut sent = Vec::new();
    for chat in &targets {
        sent.push(send_and_store(&ctx, chat, content.clone(), None, true).await?);
    }
    Output::json(json!({ "messages": sent }))
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("send_message", "Send a message", Family::Messages, Effect::Write,
            "Send a message to a chat ID, group ID or phone number (E.164; starts a 1:1 chat if needed): `text`; or `media_id` from upload_media (picture, video, audio, voice note with `voice_note`, or document) with an optional `caption`; or a `location`; or a `contact` card; optionally quoting `reply_to`. `dry_run` checks everything and shows what would be sent. Pass an `idempotency_key` to make retries safe. The answer arrives later: wait for it with get_events (wait_ms) or list_messages with `after`.",
            send_message).sends(),
        tool("get_message", "Get a message", Family::Messages, Effect::Read,
            "Get one message with its sender, content, media info, delivery status, reactions and edit or deletion state.",
            get_message),
        tool("edit_message", "Edit a message", Family::Messages, Effect::Write,
            "Edit the text of one of this account's own text messages, within 15 minutes of sending (after that: edit_window_expired).",
            edit_message).sends(),
        tool("delete_message", "Delete a message", Family::Messages, Effect::Destructive,
            "Delete a message for this account (`me`, the default) or for everyone in the chat (`everyone`: own messages within about 60 hours, or any message as a group admin).",
            delete_message).asks_when(|args| args.get("scope").and_then(Value::as_str) == Some("everyone")),
        tool("add_reaction", "React to a message", Family::Messages, Effect::Write,
            "React to a message with one emoji (replaces this account's earlier reaction on it).",
            add_reaction).sends(),
        tool("remove_reaction", "Remove a reaction", Family::Messages, Effect::Write,
            "Remove this account's reaction from a message.",
            remove_reaction).sends(),
        tool("star_message", "Star a message", Family::Messages, Effect::Write, "Star a message (synced to the phone's Starred messages).", star_message),
        tool("unstar_message", "Unstar a message", Family::Messages, Effect::Write, "Remove the star from a message (synced to the phone).", unstar_message),
        tool("forward_message", "Forward a message", Family::Messages, Effect::Write,
            "Forward a message to up to 5 chats of the same account (chat IDs, group IDs or phone numbers). All targets are checked before anything is sent.",
            forward_message).sends(),
    ]
}
