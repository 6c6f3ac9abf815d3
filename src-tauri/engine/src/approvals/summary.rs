//! What a person is shown before saying yes: which key asks, for which account, to
//! whom (name and number), the exact text, the attachments, and for a reply or an
//! edit the message it is about. Read from the call's arguments through the same
//! resolution the tool uses (chats, messages, groups, media), so the person sees what
//! would really happen; what cannot be resolved is left out (the call then fails the
//! same way once approved).

use serde::Serialize;
use serde_json::Value;

use crate::ids::{ChatId, MediaId, MessageId};
use crate::store::chats::ChatRef;
use crate::tools::args::ChatRefArg;
use crate::tools::{Ctx, ToolSpec};

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Summary {
    /// One line: "Send a message to Bob (+14155550198)".
    pub headline: String,
    pub tool: String,
    pub key_name: String,
    /// The MCP client, as it named itself (`clientInfo.name`), when known.
    pub client: Option<String>,
    /// The account, by its label or number.
    pub account: Option<String>,
    pub recipients: Vec<Recipient>,
    /// The exact text to be sent (or the new text, the emoji, the new name).
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The message this is about: the one replied to, edited, deleted, reacted to or forwarded.
    pub about: Option<Quoted>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Recipient {
    pub chat_id: ChatId,
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Attachment {
    pub kind: String,
    pub file_name: Option<String>,
    pub mime: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Quoted {
    pub message_id: MessageId,
    /// Who wrote it (`None`: this account).
    pub sender: Option<String>,
    pub text: Option<String>,
}

impl Summary {
    /// The chat the call is about (the first recipient), for the per-chat allowance.
    pub fn chat(&self) -> Option<&ChatId> {
        self.recipients.first().map(|r| &r.chat_id)
    }

    /// A plain-text rendering (the command line's `summary`, the elicitation's form).
    pub fn plain(&self) -> String {
        let mut out = self.headline.clone();
        if let Some(t) = &self.text {
            out.push_str(&format!(": \"{t}\""));
        }
        for a in &self.attachments {
            out.push_str(&format!(
                " [{}: {}, {} bytes]",
                a.kind,
                a.file_name.as_deref().unwrap_or(&a.mime),
                a.size
            ));
        }
        if let Some(q) = &self.about {
            let who = q.sender.as_deref().unwrap_or("you");
            out.push_str(&format!(" (about {who}'s \"{}\")", q.text.as_deref().unwrap_or("…")));
        }
        out
    }
}

fn string(args: &Value, name: &str) -> Option<String> {
    args.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn recipient(ctx: &Ctx, chat: &ChatRef) -> Recipient {
    let view = ctx.read(|c| crate::store::chats::get(c, &chat.id)).ok().flatten();
    Recipient {
        chat_id: chat.id.clone(),
        name: view.as_ref().and_then(|c| c.name.clone()),
        phone: view.and_then(|c| c.phone).map(|p| p.to_string()),
    }
}

fn quoted(ctx: &Ctx, id: &MessageId) -> Option<Quoted> {
    let m = ctx.read(|c| crate::store::messages::get(c, id)).ok().flatten()?;
    Some(Quoted {
        message_id: m.id,
        sender: (!m.from_me)
            .then(|| m.sender.and_then(|s| s.name.or(s.phone.map(|p| p.to_string()))))
            .flatten(),
        text: m.text,
    })
}

fn named(r: &Recipient) -> String {
    match (&r.name, &r.phone) {
        (Some(n), Some(p)) => format!("{n} ({p})"),
        (Some(n), None) => n.clone(),
        (None, Some(p)) => p.clone(),
        (None, None) => r.chat_id.to_string(),
    }
}

/// What the call would do, as the person is shown it, and the account it uses.
pub fn of(ctx: &Ctx, spec: &ToolSpec, args: &Value) -> (Summary, Option<crate::ids::AccountId>) {
    let parse_chat = |v: &Value| v.as_str().and_then(|s| ChatRefArg::parse(s).ok());
    let account_id = args
        .get("account_id")
        .and_then(Value::as_str)
        .and_then(|s| crate::ids::AccountId::parse(s).ok());
    let mut s = Summary {
        tool: spec.name.into(),
        key_name: ctx.principal().key_name.clone(),
        text: ["text", "caption", "emoji", "subject", "name", "about", "description"]
            .iter()
            .find_map(|k| string(args, k)),
        ..Default::default()
    };
    // The message the call is about.
    let message = ["message_id", "reply_to"]
        .iter()
        .find_map(|k| string(args, k))
        .and_then(|id| MessageId::parse(&id).ok());
    if let Some(id) = &message {
        s.about = quoted(ctx, id);
    }
    // Whom it reaches: the chat named, the message's chat, the group, the targets.
    let mut chats: Vec<ChatRef> = Vec::new();
    if let Some(c) = args.get("chat").and_then(parse_chat) {
        chats.extend(ctx.chat(account_id.as_ref(), &c).ok());
    } else if let Some(g) = args.get("group").and_then(parse_chat) {
        chats.extend(ctx.group(&g).ok());
    } else if let Some(m) = message.as_ref().and_then(|id| ctx.message(id).ok()) {
        chats.extend(ctx.read(|c| crate::store::chats::get_ref(c, &m.chat_id)).ok().flatten());
    }
    if spec.name == "forward_message" {
        let targets = args.get("to").and_then(Value::as_array).cloned().unwrap_or_default();
        chats = targets
            .iter()
            .filter_map(parse_chat)
            .filter_map(|c| ctx.chat(account_id.as_ref(), &c).ok())
            .collect();
    }
    s.recipients = chats.iter().map(|c| recipient(ctx, c)).collect();
    let account = chats
        .first()
        .map(|c| c.account_id.clone())
        .or(account_id)
        .or_else(|| ctx.account(None).ok().map(|a| a.id))
        .and_then(|a| ctx.engine.accounts.get(&a).ok().flatten());
    let account_id = account.as_ref().map(|a| a.id.clone());
    s.account = account.map(|a| a.label.or(a.phone.map(|p| p.to_string())).unwrap_or(a.id.to_string()));
    if let Some(id) = string(args, "media_id").and_then(|m| MediaId::parse(&m).ok()) {
        if let Ok(Some(meta)) = ctx.read(|c| crate::store::media::get(c, &id)) {
            s.attachments.push(Attachment {
                kind: meta.mime.split('/').next().unwrap_or("file").into(),
                file_name: meta.file_name,
                mime: meta.mime,
                size: meta.size as u64,
            });
        }
    }
    let to = match s.recipients.as_slice() {
        [] => String::new(),
        [one] => format!(" to {}", named(one)),
        [first, rest @ ..] => format!(" to {} and {} more", named(first), rest.len()),
    };
    s.headline = format!("{}{to}", spec.title);
    (s, account_id)
}
