//! Event tools: subscribe on the open connection, or read the durable log by
//! cursor with an optional long-poll (most clients never show notifications to the
//! model, so `get_events` is a first-class path).

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{ChatRefArg, Problems, Validate};
use super::{tool, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::events::{parse_event_id, Event, EventFilter, EventType};
use crate::ids::AccountId;
use crate::store::events::{self, EventQuery};

pub const MAX_EVENTS: usize = 500;
pub const DEFAULT_EVENTS: usize = 100;
pub const MAX_WAIT_MS: u64 = 60_000;

fn check_types(types: &Option<Vec<String>>, p: &mut Problems) {
    for t in types.iter().flatten() {
        if EventType::parse(t).is_none() {
            let all: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            p.push((
                "types".into(),
                format!("unknown event type `{t}`; one of {}", all.join(", ")),
            ));
        }
    }
}

fn parse_types(types: &Option<Vec<String>>) -> Option<Vec<EventType>> {
    types
        .as_ref()
        .map(|t| t.iter().filter_map(|s| EventType::parse(s)).collect())
}

/// Resolves chat arguments to chat IDs the key may see.
fn chat_ids(
    ctx: &Ctx,
    chats: &Option<Vec<ChatRefArg>>,
    account: Option<&AccountId>,
) -> ToolResult<Option<Vec<crate::ids::ChatId>>> {
    chats
        .as_ref()
        .map(|list| list.iter().map(|c| ctx.chat(account, c).map(|r| r.id)).collect())
        .transpose()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscribeArgs {
    /// Event types to receive (default: all): message.received, message.sent, message.edited,
    /// message.deleted, message.read, message.undecryptable, message.reaction.added, message.reaction.removed,
    /// account.paired, account.connected, account.disconnected, account.unpaired, group.created,
    /// group.updated, group.participant_added, group.participant_removed, typing.started,
    /// typing.stopped, presence.changed, contact.identity_changed, history.synced.
    types: Option<Vec<String>>,
    /// Only these accounts.
    account_ids: Option<Vec<AccountId>>,
    /// Only these chats (chat IDs, group IDs or phone numbers).
    chats: Option<Vec<ChatRefArg>>,
    /// Also push incoming messages as Claude Code channel notifications
    /// (`notifications/claude/channel`), which can start a turn in Claude Code.
    #[serde(default)]
    claude_channel: bool,
}

impl Validate for SubscribeArgs {
    fn validate(&self, p: &mut Problems) {
        check_types(&self.types, p);
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeArgs {
    /// The subscription to end (from subscribe_events or list_subscriptions).
    subscription_id: String,
}
impl Validate for UnsubscribeArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}
impl Validate for NoArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetEventsArgs {
    /// Return events after this event ID (the `next_cursor` of the previous call, or the
    /// last event you saw). Without it: the most recent events.
    after: Option<String>,
    /// Only these event types (default: all).
    types: Option<Vec<String>>,
    account_id: Option<AccountId>,
    /// Only events of these chats (chat IDs, group IDs or phone numbers).
    chats: Option<Vec<ChatRefArg>>,
    /// At most this many events (1 to 500, default 100).
    limit: Option<u32>,
    /// If nothing new has happened, wait up to this many milliseconds (max 60000) for the
    /// first matching event before answering. Use it to wait for a reply.
    wait_ms: Option<u64>,
}

impl Validate for GetEventsArgs {
    fn validate(&self, p: &mut Problems) {
        check_types(&self.types, p);
        if let Some(a) = &self.after {
            if parse_event_id(a).is_none() {
                p.push(("after".into(), "an event ID like evt_123".into()));
            }
        }
        if self.limit.is_some_and(|l| l == 0 || l as usize > MAX_EVENTS) {
            p.push(("limit".into(), format!("between 1 and {MAX_EVENTS}")));
        }
        if self.wait_ms.is_some_and(|w| w > MAX_WAIT_MS) {
            p.push(("wait_ms".into(), format!("at most {MAX_WAIT_MS}")));
        }
    }
}

async fn subscribe_events(ctx: Ctx, a: SubscribeArgs) -> ToolResult<Output> {
    let session = ctx.session.clone().ok_or_else(no_session)?;
    if let Some(ids) = &a.account_ids {
        for id in ids {
            ctx.account_by_id(id)?;
        }
    }
    let filter = EventFilter {
        types: parse_types(&a.types),
        account_ids: a.account_ids.clone(),
        chat_ids: chat_ids(&ctx, &a.chats, None)?.or_else(|| ctx.allowed_chats().map(<[_]>::to_vec)),
    };
    let sub = session.subscribe(ctx.principal(), filter, a.claude_channel)?;
    let latest = ctx.read(events::latest_seq)?;
    Output::json(json!({
        "subscription": sub,
        "delivery": "notifications/whatsapp/event on this connection (and notifications/claude/channel for incoming messages when claude_channel is set)",
        "resume_cursor": crate::events::event_id(latest),
    }))
}

fn no_session() -> ToolError {
    ToolError::new(
        crate::error::ErrorCode::InvalidRequest,
        "this connection has no session to deliver notifications on (stateless HTTP): use get_events with wait_ms, or subscriptions/listen on whatsapp:// resources",
    )
}

async fn unsubscribe_events(ctx: Ctx, a: UnsubscribeArgs) -> ToolResult<Output> {
    let session = ctx.session.clone().ok_or_else(no_session)?;
    if !session.unsubscribe(&a.subscription_id) {
        return Err(ToolError::not_found("subscription", &a.subscription_id));
    }
    Output::json(json!({ "unsubscribed": a.subscription_id }))
}

async fn list_subscriptions(ctx: Ctx, _: NoArgs) -> ToolResult<Output> {
    let subs = ctx.session.as_ref().map(|s| s.subscriptions()).unwrap_or_default();
    Output::json(json!({ "subscriptions": subs }))
}

async fn get_events(ctx: Ctx, a: GetEventsArgs) -> ToolResult<Output> {
    let accounts = match &a.account_id {
        Some(id) => vec![ctx.account_by_id(id)?.id],
        None => ctx.account_ids()?,
    };
    // Only the events whose data the key may read (as in pushed notifications).
    let types = ctx.grant.readable_types(parse_types(&a.types));
    // A key limited to some chats reads only their events.
    let chats = chat_ids(&ctx, &a.chats, a.account_id.as_ref())?.or_else(|| ctx.allowed_chats().map(<[_]>::to_vec));
    let limit = a.limit.map_or(DEFAULT_EVENTS, |l| l as usize);
    // Listen before reading, so an event landing in between is not missed.
    let mut live = ctx.engine.bus.subscribe();
    let (after, newest_first) = match a.after.as_deref().and_then(parse_event_id) {
        Some(seq) => (seq, false),
        None => (0, true),
    };
    let query = |after: i64| {
        let q = EventQuery {
            accounts: &accounts,
            after,
            types: types.as_deref(),
            chats: chats.as_deref(),
            limit,
        };
        if newest_first {
            ctx.read(|c| events::latest(c, &q))
        } else {
            ctx.read(|c| events::list(c, &q))
        }
    };
    let mut found = query(after)?;
    let wait = Duration::from_millis(a.wait_ms.unwrap_or(0));
    if found.is_empty() && !wait.is_zero() {
        let filter = EventFilter {
            types: types.clone(),
            account_ids: Some(accounts.clone()),
            chat_ids: chats.clone(),
        };
        let latest = ctx.read(events::latest_seq)?;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, live.recv()).await {
                Err(_) => break,
                Ok(Ok(e)) if e.seq > after.max(if newest_first { latest } else { 0 }) && filter.matches(&e) => {
                    found = query(if newest_first { latest } else { after })?;
                    if !found.is_empty() {
                        break;
                    }
                }
                // Missed live events: the log has them.
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                    found = query(if newest_first { latest } else { after })?;
                    if !found.is_empty() {
                        break;
                    }
                }
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
                Ok(Ok(_)) => {}
            }
        }
    }
    let oldest = ctx.read(events::oldest_seq)?;
    // The cursor goes forward: the last event returned, or where the caller already was.
    let cursor = found.last().map(|e| e.seq).unwrap_or(if newest_first {
        ctx.read(events::latest_seq)?
    } else {
        after
    });
    let mut out = json!({
        "events": found.iter().map(Event::clone).collect::<Vec<_>>(),
        "next_cursor": crate::events::event_id(cursor),
    });
    if let (false, Some(oldest)) = (newest_first, oldest) {
        if after + 1 < oldest {
            out["gap"] = json!(format!(
                "events before {} were removed by retention",
                crate::events::event_id(oldest)
            ));
        }
    }
    Ok(Output::json(out)?.untrusted())
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("subscribe_events", "Subscribe to events", Family::Events, Effect::Read,
            "Receive WhatsApp events (new messages, receipts, reactions, edits, typing, presence, group and account changes) as notifications/whatsapp/event on this connection, filtered by type, account and chat. Many clients do not show notifications to the model: to wait for something, prefer get_events with wait_ms. Set claude_channel to push incoming messages into Claude Code as channel messages.",
            subscribe_events),
        tool("unsubscribe_events", "Unsubscribe from events", Family::Events, Effect::Read,
            "Stop a subscription made with subscribe_events.",
            unsubscribe_events),
        tool("list_subscriptions", "List subscriptions", Family::Events, Effect::Read,
            "List this connection's event subscriptions with their filters and how many events each delivered.",
            list_subscriptions),
        tool("get_events", "Get events", Family::Events, Effect::Read,
            "Read the event log in order (every event is kept 30 days): pass `after` = the last event ID you saw (or the previous next_cursor) to get exactly what happened since, with no gaps and no repeats, even across reconnects. Set wait_ms (up to 60000) to wait for the next matching event: the way to wait for a reply after send_message (filter with types [\"message.received\"] and the chat).",
            get_events),
    ]
}
