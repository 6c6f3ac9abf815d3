use serde::Serialize;

use super::is_false;
use crate::ids::{ChatId, ContactId};
use crate::phone::Phone;
use crate::time::{iso, Millis};

/// A person, as shown inside messages and participant lists.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Person {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: ContactId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// The best name: saved, else push, else business name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub is_business: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_whatsapp: Option<bool>,
    /// The 1:1 chat with this person, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    #[serde(with = "iso")]
    pub updated_at: Millis,
}
