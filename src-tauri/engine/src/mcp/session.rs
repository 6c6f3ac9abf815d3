//! Event delivery on one MCP session: subscriptions (`subscribe_events`), legacy
//! resource subscriptions (`resources/subscribe`) and Claude Code channel messages,
//! pushed as notifications on the session's open connection (the streamable HTTP GET
//! stream, the legacy SSE stream, or stdio through the bridge).
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
use crate::engine::Engine;
use crate::error::{ToolError, ToolResult};
use crate::events::{event_id, Event, EventFilter, EventType};
use crate::keys::Principal;
use crate::time::now_ms;
use crate::tools::session::{SessionApi, Subscription};
use crate::tools::Ctx;

pub const EVENT_METHOD: &str = "notifications/whatsapp/event";
pub const MISSED_METHOD: &str = "notifications/whatsapp/events_missed";
pub const CHANNEL_METHOD: &str = "notifications/claude/channel";
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

    /// What this session wants of `event`.
    fn wants(&self, event: &Event) -> Option<Delivery> {
        let mut st = self.state.lock();
        let peer = st.peer.clone()?;
        let principal = st.principal.clone()?;
        let allowed_chat = event
            .chat_id
            .as_ref()
            .map_or(principal.chats.is_none(), |c| principal.may_see_chat(c));
        if !allowed_chat || !Ctx::new(self.engine.clone(), principal).sees_account(&event.account_id) {
            return None;
        }
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
        Some(Delivery {
            peer,
            subs,
            channel,
            uris,
        })
    }
}

/// Where one event goes on one session.
struct Delivery {
    peer: Peer<RoleServer>,
    /// Matching subscriptions.
    subs: Vec<String>,
    /// As a Claude Code channel message too.
    channel: bool,
    /// Subscribed resources it changes.
    uris: Vec<String>,
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

async fn deliver(this: std::sync::Weak<SessionEvents>, mut rx: tokio::sync::broadcast::Receiver<Arc<Event>>) {
    let mut last_seen: Option<i64> = None;
    let mut tools_changed = match this.upgrade() {
        Some(s) => s.engine.permissions.changes(),
        None => return,
    };
    loop {
        let received = tokio::select! {
            r = rx.recv() => r,
            changed = tools_changed.recv() => {
                if matches!(changed, Err(RecvError::Closed)) {
                    return;
                }
                let Some(this) = this.upgrade() else { return };
                let peer = this.state.lock().peer.clone();
                drop(this);
                if let Some(peer) = peer {
                    let _ = tokio::time::timeout(SEND_TIMEOUT, peer.notify_tool_list_changed()).await;
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
            subs,
            channel,
            uris,
        }) = this.wants(&event)
        else {
            continue;
        };
        drop(this);
        if peer.is_transport_closed() {
            return;
        }
        for sub in subs {
            send(
                &peer,
                custom(EVENT_METHOD, json!({ "subscription_id": sub, "event": &*event })),
            )
            .await;
        }
        if channel {
            if let Some(params) = channel_message(&event) {
                send(&peer, custom(CHANNEL_METHOD, params)).await;
            }
        }
        for uri in uris {
            send(
                &peer,
                ServerNotification::ResourceUpdatedNotification(rmcp::model::ResourceUpdatedNotification::new(
                    ResourceUpdatedNotificationParam::new(uri),
                )),
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
