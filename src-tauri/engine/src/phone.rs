//! E.164 phone numbers, the way agents name a person.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A phone number in E.164 form: `+` then 8 to 15 digits, no leading zero.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an E.164 phone number (expected `+` and 8 to 15 digits, e.g. +14155550198)")]
pub struct PhoneError;

impl Phone {
    /// Accepts `+14155550198`, also written with spaces, dashes, dots or parentheses
    /// (`+1 (415) 555-0198`), which people copy from contact cards. Nothing else.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let s = s.trim();
        let rest = s.strip_prefix('+').ok_or(PhoneError)?;
        let mut digits = String::with_capacity(15);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(PhoneError);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// Whether `s` is meant as a phone number rather than an ID.
    pub fn looks_like(s: &str) -> bool {
        s.trim_start().starts_with('+')
    }

    /// From the user part of a WhatsApp phone-number JID (`14155550198`).
    pub fn from_jid_user(user: &str) -> Option<Self> {
        Self::parse(&format!("+{user}")).ok()
    }

    /// The digits without `+`, as used in JIDs.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Phone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Phone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Phone {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Phone".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Phone number in E.164 form, e.g. +14155550198",
            "pattern": "^\\+[1-9][0-9 ().-]{7,20}$",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_e164_and_common_separators() {
        assert_eq!(Phone::parse("+14155550198").unwrap().as_str(), "+14155550198");
        assert_eq!(Phone::parse(" +1 (415) 555-0198 ").unwrap().as_str(), "+14155550198");
        assert_eq!(Phone::parse("+55.11.91234.5678").unwrap().digits(), "5511912345678");
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "14155550198",
            "+0123456789",
            "+1234567",
            "+1234567890123456",
            "+1415abc0198",
            "",
            "+",
            "++14155550198",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_roundtrips(s in "\\PC*") {
            if let Ok(p) = Phone::parse(&s) {
                prop_assert_eq!(Phone::parse(p.as_str()).unwrap(), p.clone());
                prop_assert!(p.digits().chars().all(|c| c.is_ascii_digit()));
            }
        }
    }
}
