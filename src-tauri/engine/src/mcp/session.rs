//! Event delivery on one MCP session: subscriptions (`subscribe_events`), legacy
//! resource subscriptions (`resources/subscribe`) and Claude Code channel messages,
//! pushed as notifications on the session's open connection (the streamable HTTP GET
//! stream, the legacy SSE stream, or stdio through the bridge).
//!
//! Every notification asks the policy gate first (`Access::Notify`: the key as it is
//! now, the pause, the tool that reads the event's data, the account and chat), and
//! what is pushed is recorded in the audit log. When the policy changes, the session
//! is told only if its tool list changed, and a subscription that lost its right
//! ends with `notifications/whatsapp/subscription_ended` saying why.
//!
//! One delivery task per session reads the engine's bounded event bus. A client that
//! stops reading only stalls its own task: the bus never waits for it, and once the
//! task falls more than the bus capacity behind, the client is told how many events
//! it missed and where to resume with `get_events`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rmcp::model::{CustomNotification, ResourceUpdatedNotificationParam, ServerNotification};
use rmcp::{Peer, RoleServer};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::AbortHandle;

use super::resources;
use crate::audit::Entry;
use crate::engine::Engine;
use crate::error::{ToolError, ToolResult};
use crate::events::{event_id, Event, EventFilter, EventType};
use crate::keys::Principal;
use crate::policy::{Access, Denied, ResourceOp, Rule};
use crate::time::now_ms;
use crate::tools::session::{SessionApi, Subscription};

pub const EVENT_METHOD: &str = "notifications/whatsapp/event";
pub const MISSED_METHOD: &str = "notifications/whatsapp/events_missed";
pub const CHANNEL_METHOD: &str = "notifications/claude/channel";
pub const ENDED_METHOD: &str = "notifications/whatsapp/subscription_ended";
/// Subscriptions per session.
const MAX_SUBSCRIPTIONS: usize = 32;
/// A notification the client does not take within this long is dropped (and counted).
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
struct State {
    principal: Option<Principal>,
    peer: Option<Peer<RoleServer>>,
    subscriptions: Vec<Subscription>,
    /// Legacy `resources/subscribe` URIs.
    resources: HashSet<String>,
    /// Claude Code sessions get incoming messages as channel notifications.
    auto_channel: bool,
    task: Option<AbortHandle>,
    next_id: u64,
    /// The tools the key saw when last asked (to tell it only of real changes).
    tools_seen: Option<Vec<&'static str>>,
}

pub struct SessionEvents {
    engine: Arc<Engine>,
    state: Mutex<State>,
}

impl Drop for SessionEvents {
    fn drop(&mut self) {
        if let Some(t) = self.state.get_mut().task.take() {
            t.abort();
        }
    }
}

impl SessionEvents {
    pub fn new(engine: Arc<Engine>) -> Arc<Self> {
        Arc::new(Self {
            engine,
            state: Mutex::default(),
        })
    }

    /// Remembers the session's connection and key (on every request: the key is the
    /// one it authenticated with).
    pub fn attach(self: &Arc<Self>, peer: &Peer<RoleServer>, principal: &Principal, claude_code: bool) {
        let mut st = self.state.lock();
        let first = st.peer.is_none();
        if first {
            st.peer = Some(peer.clone());
        }
        if st.principal.as_ref() != Some(principal) {
            st.principal = Some(principal.clone());
        }
        if claude_code && !st.auto_channel {
            st.auto_channel = true;
        }
        drop(st);
        // Every session hears about tool list changes (permissions) from the start.
        if first {
            self.ensure_task();
        }
    }

    pub fn subscribe_resource(self: &Arc<Self>, uri: String) {
        self.state.lock().resources.insert(uri);
        self.ensure_task();
    }

    pub fn unsubscribe_resource(&self, uri: &str) {
        self.state.lock().resources.remove(uri);
    }

    fn ensure_task(self: &Arc<Self>) {
        let mut st = self.state.lock();
        if st.task.as_ref().is_some_and(|t| !t.is_finished()) || st.peer.is_none() {
            return;
        }
        let rx = self.engine.bus.subscribe();
        let this = Arc::downgrade(self);
        st.task = Some(tokio::spawn(deliver(this, rx)).abort_handle());
    }

    /// What this session wants of `event`, as far as the gate lets it.
    fn wants(&self, event: &Event) -> Option<Delivery> {
        let (peer, principal) = {
            let st = self.state.lock();
            (st.peer.clone()?, st.principal.clone()?)
        };
        let notify = Access::Notify {
            kind: event.kind,
            account: &event.account_id,
            chat: event.chat_id.as_ref(),
        };
        let admitted = self.engine.policy.admit(&principal, notify);
        let mut st = self.state.lock();
        let ended = match &admitted {
            // The key is gone: so are its subscriptions.
            Err(d) if d.rule == Rule::Revoked => end_all(&mut st, d),
            _ => Vec::new(),
        };
        let Ok(grant) = admitted else {
            return Some(Delivery {
                peer,
                principal,
                subs: Vec::new(),
                channel: false,
                uris: Vec::new(),
                ended,
            });
        };
        let mut subs = Vec::new();
        let mut channel = st.auto_channel && event.kind == EventType::MessageReceived;
        for s in st.subscriptions.iter_mut().filter(|s| s.filter.matches(event)) {
            s.delivered += 1;
            subs.push(s.id.clone());
            channel |= s.claude_channel && event.kind == EventType::MessageReceived;
        }
        let uris: Vec<String> = resources::touched_by(event)
            .into_iter()
            .filter(|u| st.resources.contains(u))
            .collect();
        drop(st);
        let uris = uris
            .into_iter()
            .filter(|u| resource_right(&self.engine, grant.principal(), u, ResourceOp::Updated).is_ok())
            .collect();
        Some(Delivery {
            peer,
            principal,
            subs,
            channel,
            uris,
            ended,
        })
    }

    /// After a policy change: what to tell this session (its tool list changed; which
    /// subscriptions lost their right).
    fn recheck(&self) -> Option<Recheck> {
        let (peer, principal) = {
            let st = self.state.lock();
            (st.peer.clone()?, st.principal.clone()?)
        };
        let tools: Vec<&'static str> = crate::tools::visible(&self.engine, &principal)
            .into_iter()
            .map(|t| t.name)
            .collect();
        let subscribe = self.engine.policy.admit(&principal, Access::Tool("subscribe_events"));
        let mut st = self.state.lock();
        let tools_changed = st.tools_seen.as_ref() != Some(&tools);
        st.tools_seen = Some(tools);
        let mut ended = Vec::new();
        match subscribe {
            // Paused: subscriptions wait (nothing is pushed meanwhile); events stay in
            // the log for get_events.
            Err(d) if d.rule == Rule::Paused => {}
            Err(d) => ended = end_all(&mut st, &d),
            Ok(grant) => {
                let readable = grant.event_types();
                let mut keep = Vec::new();
                for sub in std::mem::take(&mut st.subscriptions) {
                    let types = sub.filter.types.as_deref().unwrap_or(EventType::ALL);
                    if types.iter().any(|t| readable.contains(t)) {
                        keep.push(sub);
                    } else {
                        let why = Denied::tool_off(
                            crate::policy::tool_for_event(types.first().copied().unwrap_or(EventType::MessageReceived)),
                            Some("the events this subscription asked for"),
                        );
                        ended.push(Ended::subscription(&sub.id, &why));
                    }
                }
                st.subscriptions = keep;
            }
        }
        let uris: Vec<String> = st.resources.iter().cloned().collect();
        drop(st);
        for uri in uris {
            match resource_right(&self.engine, &principal, &uri, ResourceOp::Subscribe) {
                Err(e) if e.rule != Some(Rule::Paused.as_str()) => {
                    self.state.lock().resources.remove(&uri);
                    ended.push(Ended::resource(&uri, &e));
                }
                _ => {}
            }
        }
        Some(Recheck {
            peer,
            principal,
            tools_changed,
            ended,
        })
    }
}

/// Whether the key may still hear of `uri` (without counting against its rate limit).
fn resource_right(engine: &Arc<Engine>, principal: &Principal, uri: &str, op: ResourceOp) -> Result<(), ToolError> {
    resources::admit(engine, principal, uri, op).map(|_| ())
}

fn end_all(st: &mut State, why: &Denied) -> Vec<Ended> {
    let mut ended: Vec<Ended> = st
        .subscriptions
        .drain(..)
        .map(|s| Ended::subscription(&s.id, why))
        .collect();
    ended.extend(
        st.resources
            .drain()
            .map(|u| Ended::resource(&u, &ToolError::from(why.clone()))),
    );
    ended
}

/// A subscription that lost its right, and why.
struct Ended(Value);

impl Ended {
    fn subscription(id: &str, why: &Denied) -> Self {
        Self(json!({
            "subscription_id": id,
            "code": why.code.as_str(),
            "rule": why.rule.as_str(),
            "message": why.message,
        }))
    }

    fn resource(uri: &str, why: &ToolError) -> Self {
        Self(json!({
            "uri": uri,
            "code": why.code.as_str(),
            "rule": why.rule,
            "message": why.message,
        }))
    }
}

struct Recheck {
    peer: Peer<RoleServer>,
    principal: Principal,
    tools_changed: bool,
    ended: Vec<Ended>,
}

/// Where one event goes on one session.
struct Delivery {
    peer: Peer<RoleServer>,
    principal: Principal,
    /// Matching subscriptions.
    subs: Vec<String>,
    /// As a Claude Code channel message too.
    channel: bool,
    /// Subscribed resources it changes.
    uris: Vec<String>,
    /// Subscriptions that lost their right on the way.
    ended: Vec<Ended>,
}

async fn send(peer: &Peer<RoleServer>, n: ServerNotification) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, peer.send_notification(n)).await,
        Ok(Ok(()))
    )
}

fn custom(method: &str, params: Value) -> ServerNotification {
    ServerNotification::CustomNotification(CustomNotification::new(method, Some(params)))
}

/// An incoming message as a Claude Code channel message: the text as `content`, the
/// IDs to act on in `meta` (string values: Claude Code shows them as attributes).
pub fn channel_message(event: &Event) -> Option<Value> {
    let m = event.data.get("message")?;
    let kind = m.get("type").and_then(Value::as_str).unwrap_or("text");
    let text = m.get("text").and_then(Value::as_str);
    let content = match (kind, text) {
        ("text", Some(t)) => t.to_owned(),
        (k, Some(t)) => format!("[{k}] {t}"),
        (k, None) => format!("[{k}]"),
    };
    let sender = m.get("sender");
    let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    Some(json!({
        "content": content,
        "meta": {
            "source": "whatsapp",
            "account_id": event.account_id.to_string(),
            "chat_id": event.chat_id.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            "message_id": s(m.get("id")),
            "sender": s(sender.and_then(|p| p.get("name"))),
            "sender_phone": s(sender.and_then(|p| p.get("phone"))),
            "event_id": event.id,
        }
    }))
}

/// Sends one notification and records it in the audit log under the session's key.
async fn push(
    engine: &Engine,
    peer: &Peer<RoleServer>,
    principal: &Principal,
    what: &str,
    args: Value,
    n: ServerNotification,
) {
    let started = std::time::Instant::now();
    let sent = send(peer, n).await;
    record_push(engine, principal, what, args, sent, started);
}

/// The audit log's line for one notification pushed to a key (or dropped on the way).
pub(super) fn record_push(
    engine: &Engine,
    principal: &Principal,
    what: &str,
    args: Value,
    sent: bool,
    started: std::time::Instant,
) {
    engine.audit.record(Entry {
        at: now_ms(),
        key_id: principal.key_id.clone(),
        key_name: principal.key_name.clone(),
        tool: what.to_owned(),
        args,
        outcome: if sent { "ok" } else { "dropped" }.to_owned(),
        duration_ms: started.elapsed().as_millis() as i64,
    });
}

async fn announce_ended(engine: &Engine, peer: &Peer<RoleServer>, principal: &Principal, ended: Vec<Ended>) {
    for Ended(params) in ended {
        push(
            engine,
            peer,
            principal,
            ENDED_METHOD,
            params.clone(),
            custom(ENDED_METHOD, params),
        )
        .await;
    }
}

async fn deliver(this: std::sync::Weak<SessionEvents>, mut rx: tokio::sync::broadcast::Receiver<Arc<Event>>) {
    let mut last_seen: Option<i64> = None;
    let (mut policy_changed, engine) = match this.upgrade() {
        Some(s) => {
            // What the key sees now, to compare with after a change.
            s.recheck();
            (s.engine.policy.switches.changes(), s.engine.clone())
        }
        None => return,
    };
    loop {
        let received = tokio::select! {
            r = rx.recv() => r,
            changed = policy_changed.recv() => {
                if matches!(changed, Err(RecvError::Closed)) {
                    return;
                }
                let Some(this) = this.upgrade() else { return };
                let recheck = this.recheck();
                drop(this);
                if let Some(Recheck { peer, principal, tools_changed, ended }) = recheck {
                    if tools_changed {
                        let _ = tokio::time::timeout(SEND_TIMEOUT, peer.notify_tool_list_changed()).await;
                    }
                    announce_ended(&engine, &peer, &principal, ended).await;
                }
                continue;
            }
        };
        let event = match received {
            Ok(e) => e,
            Err(RecvError::Closed) => return,
            Err(RecvError::Lagged(missed)) => {
                let Some(this) = this.upgrade() else { return };
                let peer = this.state.lock().peer.clone();
                if let Some(peer) = peer {
                    let resume = last_seen.map(event_id).unwrap_or_else(|| "evt_0".into());
                    send(&peer, custom(MISSED_METHOD, json!({
                        "missed": missed,
                        "resume_after": resume,
                        "hint": "this connection fell behind; call get_events with `after` set to resume_after to page what was missed",
                    })))
                    .await;
                }
                continue;
            }
        };
        last_seen = Some(event.seq);
        let Some(this) = this.upgrade() else { return };
        let Some(Delivery {
            peer,
            principal,
            subs,
            channel,
            uris,
            ended,
        }) = this.wants(&event)
        else {
            continue;
        };
        drop(this);
        if peer.is_transport_closed() {
            return;
        }
        announce_ended(&engine, &peer, &principal, ended).await;
        let about = |extra: Value| {
            let mut args = json!({ "event_id": event.id, "type": event.kind.as_str() });
            if let (Value::Object(a), Value::Object(e)) = (&mut args, extra) {
                a.extend(e);
            }
            args
        };
        for sub in subs {
            let n = custom(EVENT_METHOD, json!({ "subscription_id": sub, "event": &*event }));
            push(
                &engine,
                &peer,
                &principal,
                EVENT_METHOD,
                about(json!({ "subscription_id": sub })),
                n,
            )
            .await;
        }
        if channel {
            if let Some(params) = channel_message(&event) {
                push(
                    &engine,
                    &peer,
                    &principal,
                    CHANNEL_METHOD,
                    about(json!({})),
                    custom(CHANNEL_METHOD, params),
                )
                .await;
            }
        }
        for uri in uris {
            let n = ServerNotification::ResourceUpdatedNotification(rmcp::model::ResourceUpdatedNotification::new(
                ResourceUpdatedNotificationParam::new(uri.clone()),
            ));
            push(
                &engine,
                &peer,
                &principal,
                ResourceOp::Updated.as_str(),
                about(json!({ "uri": uri })),
                n,
            )
            .await;
        }
    }
}

/// `SessionApi` over `Arc<SessionEvents>` (the tools hold it as a trait object).
pub struct Handle(pub Arc<SessionEvents>);

impl SessionApi for Handle {
    fn subscribe(&self, principal: &Principal, filter: EventFilter, claude_channel: bool) -> ToolResult<Subscription> {
        let sub = {
            let mut st = self.0.state.lock();
            if st.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                return Err(ToolError::invalid(
                    "types",
                    format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection; unsubscribe one first"),
                ));
            }
            st.principal = Some(principal.clone());
            st.next_id += 1;
            let sub = Subscription {
                id: format!("sub_{}", st.next_id),
                filter,
                claude_channel,
                created_at: now_ms(),
                delivered: 0,
            };
            st.subscriptions.push(sub.clone());
            sub
        };
        self.0.ensure_task();
        Ok(sub)
    }

    fn unsubscribe(&self, id: &str) -> bool {
        let mut st = self.0.state.lock();
        let before = st.subscriptions.len();
        st.subscriptions.retain(|s| s.id != id);
        st.subscriptions.len() != before
    }

    fn subscriptions(&self) -> Vec<Subscription> {
        self.0.state.lock().subscriptions.clone()
    }
}
