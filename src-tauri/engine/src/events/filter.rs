//! Which events a subscriber wants.

use serde::Serialize;

use super::{Event, EventType};
use crate::ids::{AccountId, ChatId};

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct EventFilter {
    /// Only these types (all when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<EventType>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ids: Option<Vec<AccountId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_ids: Option<Vec<ChatId>>,
}

impl EventFilter {
    pub fn matches(&self, e: &Event) -> bool {
        self.types.as_ref().is_none_or(|t| t.contains(&e.kind))
            && self.account_ids.as_ref().is_none_or(|a| a.contains(&e.account_id))
            && self
                .chat_ids
                .as_ref()
                .is_none_or(|c| e.chat_id.as_ref().is_some_and(|id| c.contains(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: EventType, chat: Option<&str>) -> Event {
        Event {
            id: "evt_1".into(),
            seq: 1,
            kind,
            account_id: AccountId::parse("acc_0000000000000001").unwrap(),
            chat_id: chat.map(|c| ChatId::parse(c).unwrap()),
            occurred_at: 0,
            received_at: 0,
            data: json!({}),
        }
    }

    #[test]
    fn filters_by_type_account_and_chat() {
        let chat = "chat_0000000000000001";
        let any = EventFilter::default();
        assert!(any.matches(&event(EventType::PresenceChanged, None)));
        let typed = EventFilter {
            types: Some(vec![EventType::MessageReceived]),
            ..Default::default()
        };
        assert!(typed.matches(&event(EventType::MessageReceived, Some(chat))));
        assert!(!typed.matches(&event(EventType::MessageSent, Some(chat))));
        let chatty = EventFilter {
            chat_ids: Some(vec![ChatId::parse(chat).unwrap()]),
            ..Default::default()
        };
        assert!(chatty.matches(&event(EventType::MessageSent, Some(chat))));
        assert!(
            !chatty.matches(&event(EventType::PresenceChanged, None)),
            "chat filters skip chat-less events"
        );
        let other = EventFilter {
            account_ids: Some(vec![AccountId::parse("acc_0000000000000002").unwrap()]),
            ..Default::default()
        };
        assert!(!other.matches(&event(EventType::MessageSent, Some(chat))));
    }
}
