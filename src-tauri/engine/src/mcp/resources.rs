//! MCP resources: `whatsapp://accounts`, `whatsapp://events` and
//! `whatsapp://chats/{chat_id}`, and subscribable (`resources/subscribe`, or
//! `subscriptions/listen` on 2026-07-28) so a client hears
//! `notifications/resources/updated` when they change.
//!
//! Each is gated as the tools it mirrors (`policy::Resource::needs`); reads are
//! rate-limited and audited like tool calls, and a list shows only what the key may
//! read.

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{Resource, ResourceContents, ResourceTemplate};
use serde_json::json;

use crate::audit::Entry;
use crate::engine::Engine;
use crate::error::{ToolError, ToolResult};
use crate::events::Event;
use crate::ids::ChatId;
use crate::keys::Principal;
use crate::policy::{self, Access, Grant, ResourceOp};
use crate::store::{chats, events, messages};
use crate::time::now_ms;
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

impl Uri {
    pub fn as_resource(&self) -> policy::Resource<'_> {
        match self {
            Self::Accounts => policy::Resource::Accounts,
            Self::Events { .. } => policy::Resource::Events,
            Self::Chat(id) => policy::Resource::Chat(id),
        }
    }
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

/// What the key may read: nothing while paused (or when the gate cannot decide).
pub fn list(engine: &Arc<Engine>, principal: &Principal) -> ToolResult<Vec<Resource>> {
    let Ok(grant) = engine.policy.admit(principal, Access::ResourceList) else {
        return Ok(Vec::new());
    };
    let may = |r: policy::Resource<'_>| r.needs().iter().all(|t| grant.tool_on(t));
    let mut out = Vec::new();
    if may(policy::Resource::Accounts) {
        out.push(resource(
            ACCOUNTS.into(),
            "Accounts".into(),
            "The WhatsApp accounts this key can use, with their status",
        ));
    }
    if may(policy::Resource::Events) {
        out.push(resource(
            EVENTS.into(),
            "Events".into(),
            "The latest events (append ?after=evt_N to read on from a cursor)",
        ));
    }
    if policy::CHAT_TOOLS.iter().all(|t| grant.tool_on(t)) {
        let ctx = Ctx::new(engine.clone(), grant);
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
    }
    Ok(out)
}

/// The templates of what the key may read.
pub fn templates(engine: &Engine, principal: &Principal) -> Vec<ResourceTemplate> {
    let Ok(grant) = engine.policy.admit(principal, Access::ResourceList) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if policy::CHAT_TOOLS.iter().all(|t| grant.tool_on(t)) {
        let mut chat = ResourceTemplate::new("whatsapp://chats/{chat_id}", "Chat")
            .with_description("A chat with its latest 50 messages");
        chat.mime_type = Some("application/json".into());
        out.push(chat);
    }
    if policy::Resource::Events.needs().iter().all(|t| grant.tool_on(t)) {
        let mut events = ResourceTemplate::new("whatsapp://events{?after}", "Events")
            .with_description("Events after a cursor (an event ID)");
        events.mime_type = Some("application/json".into());
        out.push(events);
    }
    out
}

/// Asks the gate for `op` on `uri`; a chat must also exist for the key.
pub fn admit(engine: &Arc<Engine>, principal: &Principal, uri: &str, op: ResourceOp) -> ToolResult<(Uri, Grant)> {
    let parsed = parse(uri).ok_or_else(|| ToolError::not_found("resource", uri))?;
    let grant = engine.policy.admit(
        principal,
        Access::Resource {
            op,
            resource: parsed.as_resource(),
        },
    )?;
    if let Uri::Chat(id) = &parsed {
        Ctx::new(engine.clone(), grant.clone()).chat(None, &crate::tools::args::ChatRefArg::Chat(id.clone()))?;
    }
    Ok((parsed, grant))
}

/// A read or a subscription, as a tool call is: gated, rate-limited, audited.
pub fn read(engine: &Arc<Engine>, principal: &Principal, uri: &str) -> ToolResult<ResourceContents> {
    audited(engine, principal, ResourceOp::Read, uri, || {
        let (parsed, grant) = admit(engine, principal, uri, ResourceOp::Read)?;
        grant.charge()?;
        contents(&Ctx::new(engine.clone(), grant), uri, parsed)
    })
}

pub fn subscribe(engine: &Arc<Engine>, principal: &Principal, uri: &str) -> ToolResult<()> {
    audited(engine, principal, ResourceOp::Subscribe, uri, || {
        let (_, grant) = admit(engine, principal, uri, ResourceOp::Subscribe)?;
        Ok(grant.charge()?)
    })
}

fn audited<T>(
    engine: &Engine,
    principal: &Principal,
    op: ResourceOp,
    uri: &str,
    f: impl FnOnce() -> ToolResult<T>,
) -> ToolResult<T> {
    let started = Instant::now();
    let result = f();
    engine.audit.record(Entry {
        at: now_ms(),
        key_id: principal.key_id.clone(),
        key_name: principal.key_name.clone(),
        tool: op.as_str().to_owned(),
        args: json!({ "uri": uri }),
        outcome: match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.code.as_str().to_owned(),
        },
        duration_ms: started.elapsed().as_millis() as i64,
    });
    result
}

fn contents(ctx: &Ctx, uri: &str, parsed: Uri) -> ToolResult<ResourceContents> {
    let value = match parsed {
        Uri::Accounts => json!({ "accounts": ctx.accounts()? }),
        Uri::Events { after } => {
            let accounts = ctx.account_ids()?;
            let types = ctx.grant.readable_types(None);
            let q = events::EventQuery {
                accounts: &accounts,
                after: after.unwrap_or(0),
                types: types.as_deref(),
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
