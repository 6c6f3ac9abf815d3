use serde::{Deserialize, Serialize};

use super::{is_false, is_zero, MessageType};
use crate::ids::{AccountId, ChatId, ContactId, GroupId, MessageId};
use crate::phone::Phone;
use crate::time::{iso, Millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// One person.
    Direct,
    Group,
    Broadcast,
    Newsletter,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
            Self::Broadcast => "broadcast",
            Self::Newsletter => "newsletter",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "direct" => Self::Direct,
            "group" => Self::Group,
            "broadcast" => Self::Broadcast,
            "newsletter" => Self::Newsletter,
            _ => return None,
        })
    }
}

/// The newest message of a chat, in brief.
#[derive(Debug, Clone, Serialize)]
pub struct LastMessage {
    pub id: MessageId,
    #[serde(skip_serializing_if = "is_false")]
    pub from_me: bool,
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// First 120 characters of the text or caption.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(with = "iso")]
    pub timestamp: Millis,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chat {
    pub id: ChatId,
    pub account_id: AccountId,
    pub kind: ChatKind,
    /// Display name: the group subject, or the person's saved, push or business name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<GroupId>,
    #[serde(skip_serializing_if = "is_zero")]
    pub unread_count: i64,
    #[serde(skip_serializing_if = "is_false")]
    pub marked_unread: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub archived: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub pinned: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub muted: bool,
    /// When the mute ends; absent while muted for ever.
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<Millis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<Millis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<LastMessage>,
}
