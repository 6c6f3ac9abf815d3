//! What a caller asks to do, and which tools each way in needs: a resource or a
//! notification needs the tools that would read the same data.

use crate::events::EventType;
use crate::ids::{AccountId, ChatId};

/// One way into the product, as the gate sees it.
#[derive(Debug, Clone, Copy)]
pub enum Access<'a> {
    /// A tool call, by name (the chats and accounts it touches are checked on the
    /// grant as the handler resolves them).
    Tool(&'a str),
    /// `tools/list`: which tools the key sees.
    ToolList,
    /// A resource read, or a subscription to its updates.
    Resource { op: ResourceOp, resource: Resource<'a> },
    /// `resources/list` (and the templates).
    ResourceList,
    /// A notification about to be pushed to a session.
    Notify {
        kind: EventType,
        account: &'a AccountId,
        chat: Option<&'a ChatId>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceOp {
    Read,
    Subscribe,
    /// A change notification of a subscribed resource, about to be pushed.
    Updated,
}

impl ResourceOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "resources/read",
            Self::Subscribe => "resources/subscribe",
            Self::Updated => "notifications/resources/updated",
        }
    }
}

/// A `whatsapp://` resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    Accounts,
    Events,
    Chat(&'a ChatId),
}

/// What a chat resource mirrors: the chat and its messages.
pub const CHAT_TOOLS: &[&str] = &["get_chat", "list_messages"];

impl Resource<'_> {
    /// The tools it mirrors: a key may read it only with all of them on.
    pub fn needs(self) -> &'static [&'static str] {
        match self {
            Self::Accounts => &["list_accounts"],
            Self::Events => &["get_events"],
            Self::Chat(_) => CHAT_TOOLS,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Accounts => "whatsapp://accounts",
            Self::Events => "whatsapp://events",
            Self::Chat(_) => "whatsapp://chats/{chat_id}",
        }
    }
}

/// The tool that reads what an event carries: a key sees the event only with it on.
pub fn tool_for_event(kind: EventType) -> &'static str {
    use EventType as E;
    match kind {
        E::MessageReceived
        | E::MessageSent
        | E::MessageEdited
        | E::MessageDeleted
        | E::MessageRead
        | E::MessageUndecryptable
        | E::ReactionAdded
        | E::ReactionRemoved
        | E::HistorySynced
        // An approval shows what would be sent to the chat.
        | E::ApprovalRequested
        | E::ApprovalResolved => "list_messages",
        E::ContactIdentityChanged => "get_contact",
        E::TypingStarted | E::TypingStopped | E::PresenceChanged => "get_contact_presence",
        E::GroupCreated | E::GroupUpdated | E::GroupParticipantAdded | E::GroupParticipantRemoved => "get_group",
        E::AccountPaired | E::AccountConnected | E::AccountDisconnected | E::AccountUnpaired => "list_accounts",
    }
}

/// What a person does from the window or the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Window,
    Cli,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Window => "window",
            Self::Cli => "cli",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event type maps to a tool that exists and reads.
    #[test]
    fn every_event_needs_a_reading_tool() {
        let registry = crate::tools::Registry::standard();
        for kind in EventType::ALL {
            let tool = registry.get(tool_for_event(*kind)).expect("a real tool");
            assert_eq!(tool.effect, crate::tools::Effect::Read, "{kind:?}");
        }
        for r in [Resource::Accounts, Resource::Events] {
            for t in r.needs() {
                assert!(registry.get(t).is_some(), "{t}");
            }
        }
    }
}
