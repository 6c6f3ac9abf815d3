use serde::{Deserialize, Serialize};

use super::{is_false, Person};
use crate::ids::{AccountId, ChatId, MediaId, MessageId};
use crate::time::{iso, Millis};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    Text,
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    Location,
    Contact,
    /// Deleted for everyone by its sender; the content is gone.
    Revoked,
    /// Group notices (someone joined, the subject changed, …).
    System,
    /// A kind this version does not render (polls, payments, …).
    Unsupported,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
            Self::Location => "location",
            Self::Contact => "contact",
            Self::Revoked => "revoked",
            Self::System => "system",
            Self::Unsupported => "unsupported",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => Self::Text,
            "image" => Self::Image,
            "video" => Self::Video,
            "audio" => Self::Audio,
            "document" => Self::Document,
            "sticker" => Self::Sticker,
            "location" => Self::Location,
            "contact" => Self::Contact,
            "revoked" => Self::Revoked,
            "system" => Self::System,
            "unsupported" => Self::Unsupported,
            _ => return None,
        })
    }
}

/// Delivery state of a message this account sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Failed,
    Pending,
    Sent,
    Delivered,
    Read,
    Played,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "failed" => Self::Failed,
            "pending" => Self::Pending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "played" => Self::Played,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContactCard {
    pub display_name: String,
    pub vcard: String,
}

/// Media attached to a message (the bytes come from `download_media`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MediaInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<MediaId>,
    pub mime: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// A voice note (push-to-talk audio).
    #[serde(default, skip_serializing_if = "is_false")]
    pub voice_note: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reaction {
    pub emoji: String,
    #[serde(skip_serializing_if = "is_false")]
    pub from_me: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Person>,
    #[serde(with = "iso")]
    pub timestamp: Millis,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub account_id: AccountId,
    #[serde(skip_serializing_if = "is_false")]
    pub from_me: bool,
    /// Who wrote it (absent for own messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Person>,
    #[serde(with = "iso")]
    pub timestamp: Millis,
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// The body, or the caption of media.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactCard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    #[serde(skip_serializing_if = "is_false")]
    pub forwarded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<MessageStatus>,
    #[serde(skip_serializing_if = "is_false")]
    pub starred: bool,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Millis>,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Millis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}
