//! MCP resources: `whatsapp://accounts`, `whatsapp://events` and
//! `whatsapp://chats/{chat_id}`, readable by the key that may see them, and
//! subscribable (`resources/subscribe`, or `subscriptions/listen` on 2026-07-28) so a
//! client hears `notifications/resources/updated` when they change.

use rmcp::model::{Resource, ResourceContents, ResourceTemplate};
use serde_json::json;

use crate::error::{ToolError, ToolResult};
use crate::events::Event;
use crate::ids::ChatId;
use crate::store::{chats, events, messages};
use crate::tools::Ctx;

pub const ACCOUNTS: &str = "whatsapp://accounts";
pub const EVENTS: &str = "whatsapp://events";
const CHAT_PREFIX: &str = "whatsapp://chats/";
const RECENT_CHATS: usize = 50;
const RECENT_MESSAGES: usize = 50;

/// What a URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    Accounts,
    Events { after: Option<i64> },
    Chat(ChatId),
}

pub fn parse(uri: &str) -> Option<Uri> {
    if uri == ACCOUNTS {
        return Some(Uri::Accounts);
    }
    if let Some(rest) = uri.strip_prefix(EVENTS) {
        return match rest {
            "" => Some(Uri::Events { after: None }),
            q => q
                .strip_prefix("?after=")
                .and_then(crate::events::parse_event_id)
                .map(|a| Uri::Events { after: Some(a) }),
        };
    }
    uri.strip_prefix(CHAT_PREFIX)
        .and_then(|id| ChatId::parse(id).ok())
        .map(Uri::Chat)
}

pub fn chat_uri(id: &ChatId) -> String {
    format!("{CHAT_PREFIX}{id}")
}

/// The URIs an event changes.
pub fn touched_by(event: &Event) -> Vec<String> {
    let mut uris = vec![EVENTS.to_owned()];
    if let Some(chat) = &event.chat_id {
        uris.push(chat_uri(chat));
    }
    if event.kind.as_str().starts_with("account.") {
        uris.push(ACCOUNTS.to_owned());
    }
    uris
}

fn resource(uri: String, name: String, description: &str) -> Resource {
    Resource::new(uri, name)
        .with_description(description)
        .with_mime_type("application/json")
}

pub fn list(ctx: &Ctx) -> ToolResult<Vec<Resource>> {
    let mut out = vec![
        resource(
            ACCOUNTS.into(),
            "Accounts".into(),
            "The WhatsApp accounts this key can use, with their status",
        ),
        resource(
            EVENTS.into(),
            "Events".into(),
            "The latest events (append ?after=evt_N to read on from a cursor)",
        ),
    ];
    let accounts = ctx.account_ids()?;
    let q = chats::ChatQuery {
        accounts: &accounts,
        only: ctx.allowed_chats(),
        limit: RECENT_CHATS,
        ..Default::default()
    };
    for chat in ctx.read(|c| chats::list(c, &q))? {
        let name = chat.name.clone().unwrap_or_else(|| chat.id.to_string());
        out.push(resource(chat_uri(&chat.id), name, "A chat with its latest messages"));
    }
    Ok(out)
}

pub fn templates() -> Vec<ResourceTemplate> {
    let mut chat = ResourceTemplate::new("whatsapp://chats/{chat_id}", "Chat")
        .with_description("A chat with its latest 50 messages");
    chat.mime_type = Some("application/json".into());
    let mut events = ResourceTemplate::new("whatsapp://events{?after}", "Events")
        .with_description("Events after a cursor (an event ID)");
    events.mime_type = Some("application/json".into());
    vec![chat, events]
}

/// Whether the key may read `uri`.
pub fn check(ctx: &Ctx, uri: &str) -> ToolResult<Uri> {
    let parsed = parse(uri).ok_or_else(|| ToolError::not_found("resource", uri))?;
    if let Uri::Chat(id) = &parsed {
        ctx.chat(None, &crate::tools::args::ChatRefArg::Chat(id.clone()))?;
    }
    Ok(parsed)
}

pub fn read(ctx: &Ctx, uri: &str) -> ToolResult<ResourceContents> {
    let value = match check(ctx, uri)? {
        Uri::Accounts => json!({ "accounts": ctx.accounts()? }),
        Uri::Events { after } => {
            let accounts = ctx.account_ids()?;
            let q = events::EventQuery {
                accounts: &accounts,
                after: after.unwrap_or(0),
                types: None,
                chats: ctx.allowed_chats(),
                limit: 100,
            };
            let found = ctx.read(|c| {
                if after.is_some() {
                    events::list(c, &q)
                } else {
                    events::latest(c, &q)
                }
            })?;
            let next = found.last().map(|e| e.id.clone());
            json!({ "events": found, "next_cursor": next })
        }
        Uri::Chat(id) => {
            let chat = ctx.read(|c| chats::get(c, &id))?;
            let (recent, _) = ctx.read(|c| messages::page(c, &id, None, messages::Direction::Back, RECENT_MESSAGES))?;
            json!({ "chat": chat, "messages": recent, "untrusted_content": crate::model::UNTRUSTED_NOTE })
        }
    };
    Ok(ResourceContents::TextResourceContents {
        uri: uri.to_owned(),
        mime_type: Some("application/json".into()),
        text: value.to_string(),
        meta: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uris() {
        assert_eq!(parse("whatsapp://accounts"), Some(Uri::Accounts));
        assert_eq!(parse("whatsapp://events"), Some(Uri::Events { after: None }));
        assert_eq!(
            parse("whatsapp://events?after=evt_12"),
            Some(Uri::Events { after: Some(12) })
        );
        assert!(matches!(
            parse("whatsapp://chats/chat_0123456789abcdef"),
            Some(Uri::Chat(_))
        ));
        assert_eq!(parse("whatsapp://chats/nope"), None);
        assert_eq!(parse("whatsapp://events?after=x"), None);
        assert_eq!(parse("file:///etc/passwd"), None);
    }
}
