//! Product events (SPEC "Notifications"): what happened on an account, kept in a
//! durable log and fanned out live to subscribers.

mod bus;
mod filter;

pub use bus::{Emitter, EventBus, DEFAULT_CAPACITY as DEFAULT_EVENT_BUFFER};
pub use filter::EventFilter;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{AccountId, ChatId};
use crate::time::{iso, Millis};

macro_rules! event_types {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// The event types agents can subscribe to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum EventType {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($name => Some(EventType::$variant),)* _ => None }
            }
        }
    };
}

event_types! {
    MessageReceived => "message.received",
    MessageSent => "message.sent",
    MessageEdited => "message.edited",
    MessageDeleted => "message.deleted",
    MessageRead => "message.read",
    MessageUndecryptable => "message.undecryptable",
    ReactionAdded => "message.reaction.added",
    ReactionRemoved => "message.reaction.removed",
    AccountPaired => "account.paired",
    AccountConnected => "account.connected",
    AccountDisconnected => "account.disconnected",
    AccountUnpaired => "account.unpaired",
    GroupCreated => "group.created",
    GroupUpdated => "group.updated",
    GroupParticipantAdded => "group.participant_added",
    GroupParticipantRemoved => "group.participant_removed",
    TypingStarted => "typing.started",
    TypingStopped => "typing.stopped",
    PresenceChanged => "presence.changed",
    ContactIdentityChanged => "contact.identity_changed",
    HistorySynced => "history.synced",
    ApprovalRequested => "approval.requested",
    ApprovalResolved => "approval.resolved",
}

/// One event as kept in the log and sent to agents.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// `evt_` + the log sequence number: increasing, never reused; a resume cursor.
    pub id: String,
    #[serde(skip)]
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub account_id: AccountId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    #[serde(with = "iso")]
    pub occurred_at: Millis,
    #[serde(with = "iso")]
    pub received_at: Millis,
    pub data: Value,
}

pub fn event_id(seq: i64) -> String {
    format!("evt_{seq}")
}

/// The sequence number behind an event ID (`evt_42` -> 42).
pub fn parse_event_id(s: &str) -> Option<i64> {
    s.strip_prefix("evt_")?.parse().ok().filter(|n: &i64| *n >= 0)
}
