//! Between `whatsapp-rust`'s values (protobuf messages, events, JIDs, errors) and the
//! backend-neutral ones of [`crate::wa`]. Pure functions: each is unit-tested on
//! values built by hand, so what a live account stores and reports is checked
//! without a phone.

pub mod content;
pub mod errors;
pub mod events;
pub mod groups;
pub mod history;
pub mod inbound;

use whatsapp_rust::{Jid as LibJid, Server};

use crate::time::Millis;
use crate::wa::{Jid, LID_SERVER, USER_SERVER};

/// This account's own addresses, to tell its messages and reactions from others'.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Me {
    pub pn: Option<Jid>,
    pub lid: Option<Jid>,
}

impl Me {
    pub fn is(&self, jid: &Jid) -> bool {
        self.pn.as_ref() == Some(jid) || self.lid.as_ref() == Some(jid)
    }
}

/// A library JID as ours: bare (no device), hosted-device servers folded into the
/// person's phone-number or LID address. `None` for addresses we do not model
/// (`@call`, bots, interop).
pub fn jid(j: &LibJid) -> Option<Jid> {
    let server = match j.server {
        Server::Pn | Server::Hosted | Server::Legacy => USER_SERVER,
        Server::Lid | Server::HostedLid => LID_SERVER,
        Server::Group => crate::wa::GROUP_SERVER,
        Server::Broadcast => crate::wa::BROADCAST_SERVER,
        Server::Newsletter => crate::wa::NEWSLETTER_SERVER,
        _ => return None,
    };
    if j.user.is_empty() {
        return None;
    }
    Some(Jid::new(j.user.as_str(), server))
}

/// A JID string from a protobuf field (`remote_jid`, `participant`, …) as ours.
pub fn jid_str(s: Option<&str>) -> Option<Jid> {
    let s = s?.trim();
    if s.is_empty() {
        return None;
    }
    match s.parse::<LibJid>() {
        Ok(j) => jid(&j),
        Err(_) => Jid::parse(s).ok(),
    }
}

/// Our JID as the library's.
pub fn lib_jid(j: &Jid) -> LibJid {
    let server = match j.server() {
        USER_SERVER => Server::Pn,
        LID_SERVER => Server::Lid,
        crate::wa::GROUP_SERVER => Server::Group,
        crate::wa::BROADCAST_SERVER => Server::Broadcast,
        crate::wa::NEWSLETTER_SERVER => Server::Newsletter,
        // Ours only ever holds the servers above (see `jid`); parse anything else.
        other => {
            return format!("{}@{other}", j.user())
                .parse()
                .unwrap_or_else(|_| LibJid::new(j.user(), Server::Pn))
        }
    };
    LibJid::new(j.user(), server)
}

/// A person as the store learns them: by phone number or LID, with what they are called.
pub fn contact(who: &Jid, saved: Option<String>, push: Option<String>) -> crate::wa::WaContact {
    crate::wa::WaContact {
        pn: who.is_pn().then(|| who.clone()),
        lid: who.is_lid().then(|| who.clone()),
        saved_name: saved,
        push_name: push,
        ..Default::default()
    }
}

/// Seconds since the epoch (protobuf timestamps) as milliseconds.
pub fn secs(s: u64) -> Millis {
    i64::try_from(s).unwrap_or(i64::MAX / 1000).saturating_mul(1000)
}

pub fn millis(t: &chrono::DateTime<chrono::Utc>) -> Millis {
    t.timestamp_millis()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn unb64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Text from someone else's device: absent when empty.
fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim_end).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// What the conversion tests share: JIDs from strings, and this account.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Me;
    use crate::wa::Jid;

    pub fn j(s: &str) -> Jid {
        Jid::parse(s).unwrap()
    }

    pub fn me() -> Me {
        Me {
            pn: Some(j("14155550111@s.whatsapp.net")),
            lid: Some(j("900@lid")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_lose_devices_and_fold_hosted_servers() {
        let device: LibJid = "14155550198:3@s.whatsapp.net".parse().unwrap();
        assert_eq!(jid(&device).unwrap().to_string(), "14155550198@s.whatsapp.net");
        let lid: LibJid = "123456789012345:2@lid".parse().unwrap();
        assert_eq!(jid(&lid).unwrap().to_string(), "123456789012345@lid");
        let hosted = LibJid::new("14155550198", Server::Hosted);
        assert_eq!(jid(&hosted).unwrap().to_string(), "14155550198@s.whatsapp.net");
        let hosted_lid = LibJid::new("777", Server::HostedLid);
        assert_eq!(jid(&hosted_lid).unwrap().to_string(), "777@lid");
        assert!(jid(&LibJid::new("x", Server::Call)).is_none());
        assert!(jid(&LibJid::new("", Server::Pn)).is_none());
    }

    #[test]
    fn jid_strings_round_trip() {
        for s in [
            "14155550198@s.whatsapp.net",
            "123456789@lid",
            "120363025246125244@g.us",
            "status@broadcast",
            "120363144038483540@newsletter",
        ] {
            let ours = jid_str(Some(s)).unwrap();
            assert_eq!(ours.to_string(), s);
            assert_eq!(lib_jid(&ours).to_string(), s);
        }
        assert_eq!(
            jid_str(Some("14155550198:12@s.whatsapp.net")).unwrap().to_string(),
            "14155550198@s.whatsapp.net"
        );
        assert!(jid_str(Some("")).is_none());
        assert!(jid_str(None).is_none());
    }

    #[test]
    fn me_knows_both_addresses() {
        let me = Me {
            pn: Jid::parse("1@s.whatsapp.net").ok(),
            lid: Jid::parse("2@lid").ok(),
        };
        assert!(me.is(&Jid::parse("1@s.whatsapp.net").unwrap()));
        assert!(me.is(&Jid::parse("2@lid").unwrap()));
        assert!(!me.is(&Jid::parse("3@s.whatsapp.net").unwrap()));
    }

    #[test]
    fn timestamps() {
        assert_eq!(secs(1_700_000_000), 1_700_000_000_000);
        assert_eq!(secs(u64::MAX), (i64::MAX / 1000) * 1000);
    }
}
