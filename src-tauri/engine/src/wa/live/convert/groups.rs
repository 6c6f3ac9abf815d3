//! Group metadata and participant changes from the library's group calls.

use whatsapp_rust::features::{GroupMetadata, ParticipantChangeResponse, ParticipantType};

use super::inbound::pair;
use super::{jid, secs};
use crate::wa::{ParticipantResult, ParticipantRole, WaEvent, WaGroup, WaParticipant};

/// A group as the store keeps it, and the phone-number/LID pairs its member
/// list reveals.
pub fn group(m: &GroupMetadata) -> Option<(WaGroup, Vec<WaEvent>)> {
    let gid = jid(&m.id)?;
    let mut links = Vec::new();
    let participants = m
        .participants
        .iter()
        .filter_map(|p| {
            let who = jid(&p.jid)?;
            for other in [p.phone_number.as_ref(), p.lid.as_ref()].into_iter().flatten() {
                if let Some(link) = jid(other).and_then(|o| pair(who.clone(), o)) {
                    if !links.contains(&link) {
                        links.push(link);
                    }
                }
            }
            Some(WaParticipant {
                jid: who,
                role: match p.participant_type {
                    ParticipantType::Admin => ParticipantRole::Admin,
                    ParticipantType::SuperAdmin => ParticipantRole::Superadmin,
                    _ => ParticipantRole::Member,
                },
            })
        })
        .collect();
    let owner = m.creator_pn.as_ref().or(m.creator.as_ref()).and_then(jid);
    Some((
        WaGroup {
            jid: gid,
            subject: m.subject.clone(),
            description: m.description.clone().filter(|d| !d.is_empty()),
            owner,
            created_at: m.creation_time.filter(|t| *t > 0).map(secs),
            participants,
            announce: m.is_announcement,
            locked: m.is_locked,
        },
        links,
    ))
}

/// Per-person outcome of adding, removing, promoting or demoting.
pub fn results(rs: &[ParticipantChangeResponse]) -> Vec<ParticipantResult> {
    rs.iter()
        .filter_map(|r| {
            let who = r.phone_number.as_ref().or(Some(&r.jid)).and_then(jid)?;
            Some(ParticipantResult {
                jid: who,
                error: (!r.is_ok()).then(|| describe(r.error.as_deref(), r.status.as_deref())),
            })
        })
        .collect()
}

/// WhatsApp's participant error codes in words.
fn describe(error: Option<&str>, status: Option<&str>) -> String {
    match error.or(status).unwrap_or("") {
        "403" => "their privacy settings do not allow being added; invite them with the group link".into(),
        "404" => "not on WhatsApp".into(),
        "408" => "they left the group recently and cannot be added yet".into(),
        "409" => "already in the group".into(),
        "500" => "the group is full".into(),
        "" => "WhatsApp refused the change".into(),
        code => format!("WhatsApp refused the change ({code})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whatsapp_rust::features::GroupParticipant;
    use whatsapp_rust::Jid as LibJid;

    fn lj(s: &str) -> LibJid {
        s.parse().unwrap()
    }

    #[test]
    fn metadata_becomes_a_group_and_links() {
        let m = GroupMetadata {
            id: lj("120363025246125244@g.us"),
            subject: "Hiking".into(),
            description: Some("Sundays".into()),
            creator: Some(lj("555@lid")),
            creator_pn: Some(lj("14155550100@s.whatsapp.net")),
            creation_time: Some(1_600_000_000),
            is_announcement: true,
            participants: vec![
                GroupParticipant {
                    jid: lj("555@lid"),
                    phone_number: Some(lj("14155550100@s.whatsapp.net")),
                    lid: None,
                    username: None,
                    participant_type: ParticipantType::SuperAdmin,
                    details: None,
                },
                GroupParticipant {
                    jid: lj("14155550122@s.whatsapp.net"),
                    phone_number: None,
                    lid: Some(lj("777@lid")),
                    username: None,
                    participant_type: ParticipantType::Member,
                    details: None,
                },
            ],
            ..Default::default()
        };
        let (g, links) = group(&m).unwrap();
        assert_eq!(g.jid.to_string(), "120363025246125244@g.us");
        assert_eq!(g.subject, "Hiking");
        assert_eq!(g.description.as_deref(), Some("Sundays"));
        assert_eq!(g.owner.unwrap().to_string(), "14155550100@s.whatsapp.net");
        assert_eq!(g.created_at, Some(1_600_000_000_000));
        assert!(g.announce && !g.locked);
        assert_eq!(g.participants[0].role, ParticipantRole::Superadmin);
        assert_eq!(g.participants[1].role, ParticipantRole::Member);
        assert_eq!(links.len(), 2);
        assert!(matches!(&links[1], WaEvent::IdentityLink { pn, lid }
            if pn.to_string() == "14155550122@s.whatsapp.net" && lid.to_string() == "777@lid"));
    }

    #[test]
    fn participant_errors_in_words() {
        assert_eq!(
            describe(Some("403"), None).split(';').next(),
            Some("their privacy settings do not allow being added")
        );
        assert_eq!(describe(None, Some("409")), "already in the group");
        assert_eq!(describe(Some("499"), None), "WhatsApp refused the change (499)");
        assert_eq!(describe(None, None), "WhatsApp refused the change");
    }
}
