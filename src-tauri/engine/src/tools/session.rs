//! What the event tools need from the MCP session they run in: subscriptions live
//! as long as the session (its connection), and deliver on it.

use serde::Serialize;

use crate::error::ToolResult;
use crate::events::EventFilter;
use crate::keys::Principal;
use crate::time::{iso, Millis};

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    #[serde(flatten)]
    pub filter: EventFilter,
    /// Also deliver incoming messages as Claude Code channel notifications.
    pub claude_channel: bool,
    #[serde(with = "iso")]
    pub created_at: Millis,
    /// Events delivered so far on this subscription.
    pub delivered: u64,
}

pub trait SessionApi: Send + Sync {
    /// Starts delivering matching events on this session.
    fn subscribe(&self, principal: &Principal, filter: EventFilter, claude_channel: bool) -> ToolResult<Subscription>;
    /// Stops one subscription; false when there was none by that ID.
    fn unsubscribe(&self, id: &str) -> bool;
    fn subscriptions(&self) -> Vec<Subscription>;
}
