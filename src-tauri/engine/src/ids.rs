//! Typed, stable identifiers (`acc_…`, `chat_…`, `msg_…`, …).
//!
//! Identifiers handed to agents never expose WhatsApp JIDs directly: they are short,
//! prefixed and either random (accounts, keys, media) or derived from the account and
//! the WhatsApp identity (chats, messages, contacts), so the same chat or message keeps
//! the same ID across restarts, re-syncs and re-imports.

use std::fmt;

use rand::RngCore;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Lower-case Crockford base32 (no i, l, o, u): readable and unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// 10 bytes = 80 bits = 16 base32 characters.
const BODY_BYTES: usize = 10;
const BODY_CHARS: usize = 16;

fn encode(bytes: &[u8; BODY_BYTES]) -> String {
    let mut out = String::with_capacity(BODY_CHARS);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
    }
    out
}

fn random_body() -> String {
    let mut bytes = [0u8; BODY_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    encode(&bytes)
}

fn derived_body(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; BODY_BYTES];
    bytes.copy_from_slice(&digest[..BODY_BYTES]);
    encode(&bytes)
}

/// Why a string is not an ID of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("expected an ID starting with `{expected}_`")]
    WrongPrefix { expected: &'static str },
    #[error("malformed ID: expected `{expected}_` followed by 16 characters of [0-9a-z]")]
    Malformed { expected: &'static str },
}

fn check(prefix: &'static str, s: &str) -> Result<(), IdError> {
    let body = s
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .ok_or(IdError::WrongPrefix { expected: prefix })?;
    if body.len() == BODY_CHARS && body.bytes().all(|b| ALPHABET.contains(&b)) {
        Ok(())
    } else {
        Err(IdError::Malformed { expected: prefix })
    }
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[cfg_attr(feature = "specta", derive(specta::Type), specta(transparent))]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh random ID.
            pub fn random() -> Self {
                Self(format!("{}_{}", $prefix, random_body()))
            }

            /// The ID derived from stable identity parts (same parts, same ID).
            pub fn derive(parts: &[&str]) -> Self {
                Self(format!("{}_{}", $prefix, derived_body(parts)))
            }

            pub fn parse(s: &str) -> Result<Self, IdError> {
                check($prefix, s)?;
                Ok(Self(s.to_owned()))
            }

            /// Whether `s` looks like an ID of this kind (prefix only).
            pub fn has_prefix(s: &str) -> bool {
                s.strip_prefix($prefix).is_some_and(|r| r.starts_with('_'))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// For rows read back from the store, which only ever holds valid IDs.
            pub(crate) fn from_trusted(s: String) -> Self {
                debug_assert!(check($prefix, &s).is_ok(), "bad stored id {s}");
                Self(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let s = String::column_result(v)?;
                Ok(Self::from_trusted(s))
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn inline_schema() -> bool {
                true
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": concat!("^", $prefix, "_[0-9a-z]{16}$"),
                })
            }
        }
    };
}

typed_id!(/// A paired (or pairing) WhatsApp account.
    AccountId, "acc");
typed_id!(/// A chat of one account: a person, a group or a broadcast list.
    ChatId, "chat");
typed_id!(/// A message in a chat.
    MessageId, "msg");
typed_id!(/// A media blob (uploaded by an agent or received).
    MediaId, "med");
typed_id!(/// A group of one account (its chat has the same suffix with `chat_`).
    GroupId, "grp");
typed_id!(/// A person known to one account (phone number and LID unified).
    ContactId, "ct");
typed_id!(/// An API key (the ID, never the secret).
    KeyId, "key");
typed_id!(/// A call waiting for a person's yes.
    ApprovalId, "apr");

impl GroupId {
    /// The chat that holds this group's messages.
    pub fn chat_id(&self) -> ChatId {
        ChatId::from_trusted(format!("chat_{}", &self.0[4..]))
    }
}

impl ChatId {
    /// The group ID with the same suffix (meaningful only for group chats).
    pub fn group_id(&self) -> GroupId {
        GroupId::from_trusted(format!("grp_{}", &self.0[5..]))
    }

    fn body(&self) -> &str {
        &self.0[5..]
    }
}

/// How many characters of its chat's ID a message ID begins with.
const CHAT_PREFIX_CHARS: usize = 4;

impl MessageId {
    /// The ID derived from identity parts within `chat`: the chat's first characters,
    /// then a hash. One conversation's messages thus sit together in the ID index, and
    /// a history that arrives conversation by conversation writes to a few index pages
    /// instead of a random page per message.
    pub fn derive_in(chat: &ChatId, parts: &[&str]) -> Self {
        let hash = derived_body(parts);
        Self(format!(
            "msg_{}{}",
            &chat.body()[..CHAT_PREFIX_CHARS],
            &hash[..BODY_CHARS - CHAT_PREFIX_CHARS]
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_begin_with_their_chat() {
        let chat = ChatId::derive(&["acc_x", "123@s.whatsapp.net"]);
        let a = MessageId::derive_in(&chat, &["them", "3EB0A"]);
        let b = MessageId::derive_in(&chat, &["them", "3EB0B"]);
        assert!(MessageId::parse(a.as_str()).is_ok(), "{a}");
        assert_eq!(a.as_str()[4..8], chat.as_str()[5..9]);
        assert_eq!(a.as_str()[..8], b.as_str()[..8]);
        assert_ne!(a, b);
        assert_eq!(a, MessageId::derive_in(&chat, &["them", "3EB0A"]));
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = ChatId::derive(&["acc_x", "1@s.whatsapp.net"]);
        let b = ChatId::derive(&["acc_x", "1@s.whatsapp.net"]);
        let c = ChatId::derive(&["acc_y", "1@s.whatsapp.net"]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert!(ChatId::parse(a.as_str()).is_ok());
        assert_eq!(a.as_str().len(), "chat_".len() + 16);
    }

    #[test]
    fn parse_rejects_wrong_prefix_and_bad_bodies() {
        let id = MessageId::random();
        assert!(matches!(ChatId::parse(id.as_str()), Err(IdError::WrongPrefix { .. })));
        assert!(MessageId::parse("msg_short").is_err());
        assert!(MessageId::parse("msg_ABCDEFGHJKMNPQRS").is_err());
        assert!(MessageId::parse("msg_0123456789abcdeu").is_err());
        assert!(MessageId::parse("msg_0123456789abcdef").is_ok());
    }

    #[test]
    fn group_and_chat_ids_share_a_suffix() {
        let chat = ChatId::derive(&["acc", "123-456@g.us"]);
        let group = chat.group_id();
        assert!(group.as_str().starts_with("grp_"));
        assert_eq!(group.chat_id(), chat);
    }
}
