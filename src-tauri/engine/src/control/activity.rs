//! The Activity page: what happened on WhatsApp (events) and what agents did (tool
//! calls), newest first, filterable and searchable.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{iso, ControlResult};
use crate::engine::Engine;
use crate::events::{Event, EventType};
use crate::ids::{AccountId, ChatId};
use crate::store::audit::{self, AuditEntry};
use crate::store::events::{self as log, EventQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// Something happened on WhatsApp.
    Event,
    /// An agent called a tool.
    Call,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActivityItem {
    pub id: String,
    pub kind: ActivityKind,
    pub at: String,
    /// The event type or the tool name.
    pub title: String,
    /// One line for people.
    pub summary: String,
    pub account_id: Option<AccountId>,
    pub chat_id: Option<ChatId>,
    /// For calls: `ok` or the error code.
    pub outcome: Option<String>,
    pub key_name: Option<String>,
    pub duration_ms: Option<i64>,
    pub detail: Value,
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    v.pointer(path).and_then(Value::as_str).unwrap_or("")
}

fn who(v: &Value) -> String {
    let name = s(v, "/name");
    let phone = s(v, "/phone");
    match (name.is_empty(), phone.is_empty()) {
        (false, _) => name.to_owned(),
        (true, false) => phone.to_owned(),
        _ => "someone".to_owned(),
    }
}

fn body(m: &Value) -> String {
    let text = s(m, "/text");
    let kind = s(m, "/type");
    let shown = if text.is_empty() {
        format!("[{kind}]")
    } else {
        text.to_owned()
    };
    let mut out: String = shown.chars().take(140).collect();
    if shown.chars().count() > 140 {
        out.push('…');
    }
    out
}

pub fn summarize(e: &Event) -> String {
    let d = &e.data;
    match e.kind {
        EventType::MessageReceived => format!("{}: {}", who(&d["message"]["sender"]), body(&d["message"])),
        EventType::MessageSent => format!("You: {}", body(&d["message"])),
        EventType::MessageEdited => format!("Edited: {}", body(&d["message"])),
        EventType::MessageDeleted => format!("A message was deleted ({})", s(d, "/scope")),
        EventType::MessageRead => format!("{} read your message", who(&d["by"])),
        EventType::ReactionAdded => format!(
            "{} reacted {}",
            if d["from_me"] == true {
                "You".into()
            } else {
                who(&d["sender"])
            },
            s(d, "/emoji")
        ),
        EventType::ReactionRemoved => "A reaction was removed".into(),
        EventType::AccountPaired => format!("Account paired ({})", s(d, "/phone")),
        EventType::AccountConnected => "Account connected".into(),
        EventType::AccountDisconnected => format!("Account disconnected: {}", s(d, "/detail")),
        EventType::AccountUnpaired => format!("Account unpaired: {}", s(d, "/reason")),
        EventType::GroupCreated => format!("Group created: {}", s(d, "/group/subject")),
        EventType::GroupUpdated => "Group updated".into(),
        EventType::GroupParticipantAdded | EventType::GroupParticipantRemoved => {
            let people: Vec<String> = d["participants"]
                .as_array()
                .map(|a| a.iter().map(who).collect())
                .unwrap_or_default();
            let verb = if e.kind == EventType::GroupParticipantAdded {
                "added to"
            } else {
                "removed from"
            };
            format!("{} {verb} the group", people.join(", "))
        }
        EventType::TypingStarted => format!(
            "{} is {}…",
            who(&d["sender"]),
            if s(d, "/state") == "recording" {
                "recording"
            } else {
                "typing"
            }
        ),
        EventType::TypingStopped => format!("{} stopped typing", who(&d["sender"])),
        EventType::MessageUndecryptable => format!("A message from {} could not be decrypted", who(&d["sender"])),
        EventType::ApprovalRequested => format!("Approval asked: {}", s(d, "/approval/summary")),
        EventType::ApprovalResolved => format!(
            "Approval of {}: {}{}",
            s(d, "/tool"),
            s(d, "/status").replace('_', " "),
            d["channel"].as_str().map(|c| format!(" ({c})")).unwrap_or_default()
        ),
        EventType::ContactIdentityChanged => format!("{}'s security code changed", who(&d["contact"])),
        EventType::HistorySynced => format!(
            "History {}: {} new messages{}",
            if d["on_demand"] == true {
                "fetched from the phone"
            } else {
                "synced"
            },
            d["messages"].as_u64().unwrap_or(0),
            d["oldest"]
                .as_str()
                .map(|o| format!(", back to {}", o.get(..10).unwrap_or(o)))
                .unwrap_or_default()
        ),
        EventType::PresenceChanged => {
            format!(
                "{} is {}",
                who(&d["contact"]),
                if d["online"] == true { "online" } else { "offline" }
            )
        }
    }
}

pub fn from_event(e: &Event) -> ActivityItem {
    ActivityItem {
        id: e.id.clone(),
        kind: ActivityKind::Event,
        at: iso(e.received_at),
        title: e.kind.as_str().into(),
        summary: summarize(e),
        account_id: Some(e.account_id.clone()),
        chat_id: e.chat_id.clone(),
        outcome: None,
        key_name: None,
        duration_ms: None,
        detail: e.data.clone(),
    }
}

/// "Ada's agent called send_message", or for an approval's audit entry, who asked for
/// what and how it ended: "send_message by Ada's agent: approved (window)".
fn call_summary(a: &AuditEntry, outcome: &str) -> String {
    let who = a.key_name.as_deref().unwrap_or("an agent");
    if a.tool == "approval" {
        let tool = a.args.get("tool").and_then(Value::as_str).unwrap_or("a tool");
        let channel = a.args.get("channel").and_then(Value::as_str).unwrap_or("?");
        return format!("{tool} by {who}: {} ({channel})", a.outcome.replace('_', " "));
    }
    format!("{who} called {}{outcome}", a.tool)
}

pub fn from_call(id: String, a: &AuditEntry) -> ActivityItem {
    let outcome = if a.outcome == "ok" {
        "".to_owned()
    } else {
        format!(" → {}", a.outcome)
    };
    ActivityItem {
        id,
        kind: ActivityKind::Call,
        at: iso(a.at),
        title: a.tool.clone(),
        summary: call_summary(a, &outcome),
        account_id: a
            .args
            .get("account_id")
            .and_then(Value::as_str)
            .and_then(|s| AccountId::parse(s).ok()),
        chat_id: a
            .args
            .get("chat")
            .and_then(Value::as_str)
            .and_then(|s| ChatId::parse(s).ok()),
        outcome: Some(a.outcome.clone()),
        key_name: a.key_name.clone(),
        duration_ms: Some(a.duration_ms),
        detail: a.args.clone(),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ActivityQuery {
    /// Only events or only calls (both when empty).
    pub kind: Option<ActivityKind>,
    /// Words that must appear in the title or summary.
    pub search: Option<String>,
    pub limit: Option<u32>,
}

pub fn recent(engine: &Engine, q: &ActivityQuery) -> ControlResult<Vec<ActivityItem>> {
    let limit = q.limit.unwrap_or(200).clamp(1, 1000) as usize;
    // Search runs over more rows than it shows.
    let fetch = if q.search.is_some() { limit * 10 } else { limit };
    let mut items = Vec::new();
    if q.kind != Some(ActivityKind::Call) {
        let accounts: Vec<AccountId> = engine.accounts.list(None)?.into_iter().map(|a| a.id).collect();
        let query = EventQuery {
            accounts: &accounts,
            after: 0,
            types: None,
            chats: None,
            limit: fetch,
        };
        items.extend(engine.store.read(|c| log::latest(c, &query))?.iter().map(from_event));
    }
    if q.kind != Some(ActivityKind::Event) {
        let calls = engine.store.read(|c| audit::recent(c, None, None, fetch))?;
        items.extend(calls.iter().map(|a| from_call(format!("call_{}", a.seq), a)));
    }
    if let Some(words) = q
        .search
        .as_deref()
        .map(str::to_lowercase)
        .filter(|w| !w.trim().is_empty())
    {
        items.retain(|i| {
            let hay = format!("{} {}", i.title, i.summary).to_lowercase();
            words.split_whitespace().all(|w| hay.contains(w))
        });
    }
    items.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    items.truncate(limit);
    Ok(items)
}
