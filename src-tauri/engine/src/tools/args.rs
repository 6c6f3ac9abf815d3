//! Argument types shared by many tools, with validation that names the bad field.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use crate::ids::{ChatId, GroupId};
use crate::phone::Phone;

/// A chat as agents name it: a chat ID, a group ID, or a phone number for a 1:1 chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatRefArg {
    Chat(ChatId),
    Group(GroupId),
    Phone(Phone),
}

impl ChatRefArg {
    pub fn parse(s: &str) -> Result<Self, String> {
        if Phone::looks_like(s) {
            return Phone::parse(s).map(Self::Phone).map_err(|e| e.to_string());
        }
        if ChatId::has_prefix(s) {
            return ChatId::parse(s).map(Self::Chat).map_err(|e| e.to_string());
        }
        if GroupId::has_prefix(s) {
            return GroupId::parse(s).map(Self::Group).map_err(|e| e.to_string());
        }
        Err("expected a chat ID (chat_…), a group ID (grp_…) or a phone number in E.164 form (+14155550198)".into())
    }
}

impl fmt::Display for ChatRefArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Chat(c) => c.fmt(f),
            Self::Group(g) => g.fmt(f),
            Self::Phone(p) => p.fmt(f),
        }
    }
}

impl<'de> Deserialize<'de> for ChatRefArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for ChatRefArg {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChatRef".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A chat ID (chat_…), a group ID (grp_…), or a phone number in E.164 form (+14155550198) for a 1:1 chat",
            "minLength": 1,
            "maxLength": 64,
        })
    }
}

/// Problems found after parsing: (field, problem).
pub type Problems = Vec<(String, String)>;

/// Checks beyond types (ranges, lengths, combinations). Report every problem found.
pub trait Validate {
    fn validate(&self, problems: &mut Problems) {
        let _ = problems;
    }
}

pub fn check_limit(limit: Option<u32>, problems: &mut Problems) {
    if let Some(l) = limit {
        if !(1..=super::paging::MAX_LIMIT as u32).contains(&l) {
            problems.push((
                "limit".into(),
                format!("must be between 1 and {}", super::paging::MAX_LIMIT),
            ));
        }
    }
}

pub fn check_text(field: &str, text: &str, max_chars: usize, problems: &mut Problems) {
    if text.trim().is_empty() {
        problems.push((field.into(), "must not be empty".into()));
    } else if text.chars().count() > max_chars {
        problems.push((field.into(), format!("at most {max_chars} characters")));
    }
}

/// A person as agents name them: a contact ID or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonArg {
    Contact(crate::ids::ContactId),
    Phone(Phone),
}

impl PersonArg {
    pub fn parse(s: &str) -> Result<Self, String> {
        if Phone::looks_like(s) {
            return Phone::parse(s).map(Self::Phone).map_err(|e| e.to_string());
        }
        crate::ids::ContactId::parse(s)
            .map(Self::Contact)
            .map_err(|_| "expected a contact ID (ct_…) or a phone number in E.164 form (+14155550198)".into())
    }
}

impl fmt::Display for PersonArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contact(c) => c.fmt(f),
            Self::Phone(p) => p.fmt(f),
        }
    }
}

impl<'de> Deserialize<'de> for PersonArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for PersonArg {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PersonRef".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A contact ID (ct_…) or a phone number in E.164 form (+14155550198)",
            "minLength": 1,
            "maxLength": 64,
        })
    }
}

pub fn check_idempotency_key(k: Option<&str>, problems: &mut Problems) {
    if let Some(k) = k {
        if k.is_empty() || k.len() > 200 {
            problems.push(("idempotency_key".into(), "1 to 200 characters".into()));
        }
    }
}
