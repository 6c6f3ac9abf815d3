//! WhatsApp addresses (JIDs): `user@server`. Engine-internal; agents see typed IDs.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::phone::Phone;

pub const USER_SERVER: &str = "s.whatsapp.net";
pub const LID_SERVER: &str = "lid";
pub const GROUP_SERVER: &str = "g.us";
pub const BROADCAST_SERVER: &str = "broadcast";
pub const NEWSLETTER_SERVER: &str = "newsletter";

/// A bare JID (no device part): a person by phone number or LID, a group, a list.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Jid {
    user: String,
    server: String,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("malformed JID `{0}`")]
pub struct JidError(String);

impl Jid {
    pub fn new(user: impl Into<String>, server: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            server: server.into(),
        }
    }

    pub fn parse(s: &str) -> Result<Self, JidError> {
        let (user, server) = s.split_once('@').ok_or_else(|| JidError(s.into()))?;
        // Drop an agent/device suffix (`123:4@s.whatsapp.net`, `123.0:4@…`): a bare JID names the
        // person. A LID's user part may itself hold dots, so there only the device goes.
        let user = if server == LID_SERVER {
            user.split(':').next().unwrap_or(user)
        } else {
            user.split([':', '.']).next().unwrap_or(user)
        };
        if user.is_empty() || server.is_empty() || server.contains('@') {
            return Err(JidError(s.into()));
        }
        Ok(Self::new(user, server))
    }

    pub fn from_phone(phone: &Phone) -> Self {
        Self::new(phone.digits(), USER_SERVER)
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn is_group(&self) -> bool {
        self.server == GROUP_SERVER
    }

    pub fn is_lid(&self) -> bool {
        self.server == LID_SERVER
    }

    /// A person addressed by phone number.
    pub fn is_pn(&self) -> bool {
        self.server == USER_SERVER
    }

    pub fn is_person(&self) -> bool {
        self.is_pn() || self.is_lid()
    }

    /// The phone number of a phone-number JID.
    pub fn phone(&self) -> Option<Phone> {
        self.is_pn().then(|| Phone::from_jid_user(&self.user)).flatten()
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.user, self.server)
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl TryFrom<String> for Jid {
    type Error = JidError;
    fn try_from(s: String) -> Result<Self, JidError> {
        Self::parse(&s)
    }
}

impl From<Jid> for String {
    fn from(j: Jid) -> String {
        j.to_string()
    }
}

impl rusqlite::ToSql for Jid {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Owned(self.to_string().into()))
    }
}

impl rusqlite::types::FromSql for Jid {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        Jid::parse(s).map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_strips_devices() {
        let j = Jid::parse("14155550198:12@s.whatsapp.net").unwrap();
        assert_eq!(j.to_string(), "14155550198@s.whatsapp.net");
        assert_eq!(j.phone().unwrap().as_str(), "+14155550198");
        assert!(Jid::parse("120363025246125244@g.us").unwrap().is_group());
        assert!(Jid::parse("1234567@lid").unwrap().is_lid());
        assert_eq!(Jid::parse("1234.5:7@lid").unwrap().to_string(), "1234.5@lid");
        assert!(Jid::parse("nope").is_err());
        assert!(Jid::parse("@s.whatsapp.net").is_err());
    }
}
