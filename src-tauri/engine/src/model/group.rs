use serde::Serialize;

use super::{is_false, Person};
use crate::ids::{AccountId, ChatId, GroupId};
use crate::time::{iso, Millis};
use crate::wa::ParticipantRole;

#[derive(Debug, Clone, Serialize)]
pub struct Participant {
    #[serde(flatten)]
    pub person: Person,
    pub role: ParticipantRole,
    #[serde(skip_serializing_if = "is_false")]
    pub is_me: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub chat_id: ChatId,
    pub account_id: AccountId,
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Person>,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Millis>,
    pub participant_count: i64,
    /// Whether this account is an admin (may change participants, info and the invite link).
    pub is_admin: bool,
    /// Only admins may send.
    #[serde(skip_serializing_if = "is_false")]
    pub announce: bool,
    /// Only admins may edit the group's info.
    #[serde(skip_serializing_if = "is_false")]
    pub locked: bool,
    /// This account left (or was removed from) the group.
    #[serde(skip_serializing_if = "is_false")]
    pub left: bool,
}
