//! The phone's history sync (a `HistorySync` protobuf, many per pairing) as pages
//! of our history: people and their names, phone-number/LID pairs, groups, chat
//! state (archived, pinned, muted, unread), messages, and reactions.

use whatsapp_rust::waproto::whatsapp as wa;

use super::inbound::{classify, Envelope};
use super::{contact, jid_str, non_empty, secs, Me};
use crate::model::MessageStatus;
use crate::wa::{
    HistoryBatch, HistoryChunk, Jid, MsgKey, ParticipantRole, WaChatMeta, WaContact, WaEvent, WaGroup, WaParticipant,
};

use wa::group_participant::Rank;
use wa::web_message_info::Status;

/// Which chunk of the phone's sync a payload is, from what its notification said.
pub fn chunk(h: &whatsapp_rust::types::events::LazyHistorySync) -> HistoryChunk {
    let sync_type = match h.sync_type() {
        0 => "initial_bootstrap",
        1 => "initial_status",
        2 => "full",
        3 => "recent",
        4 => "push_name",
        5 => "non_blocking_data",
        6 => "on_demand",
        _ => "other",
    };
    HistoryChunk {
        sync_type: sync_type.into(),
        order: h.chunk_order(),
        progress: h.progress().map(|p| p.min(100) as u8),
        request: h.peer_data_request_session_id().map(str::to_owned),
    }
}

/// One history payload as a page of ours. Edits and revokes found in history are
/// applied to their targets in place (the page stores the outcome, not the steps).
/// The page is as of its newest time: the phone made it after everything in it.
pub fn batch(h: &wa::HistorySync, me: &Me) -> HistoryBatch {
    let mut out = HistoryBatch::default();
    for p in &h.pushnames {
        let (Some(who), Some(name)) = (jid_str(p.id.as_deref()), non_empty(p.pushname.as_deref())) else {
            continue;
        };
        if who.is_person() && !me.is(&who) {
            out.contacts.push(contact(&who, None, Some(name)));
        }
    }
    for m in &h.phone_number_to_lid_mappings {
        if let (Some(pn), Some(lid)) = (jid_str(m.pn_jid.as_deref()), jid_str(m.lid_jid.as_deref())) {
            if pn.is_pn() && lid.is_lid() {
                out.contacts.push(WaContact {
                    pn: Some(pn),
                    lid: Some(lid),
                    ..Default::default()
                });
            }
        }
    }
    for c in &h.conversations {
        conversation(c, me, &mut out);
    }
    let newest_activity = h
        .conversations
        .iter()
        .filter_map(|c| c.conversation_timestamp.max(c.last_msg_timestamp))
        .max()
        .map(secs);
    out.as_of = out
        .messages
        .iter()
        .map(|m| m.ts)
        .chain(newest_activity)
        .max()
        .unwrap_or(0);
    out
}

fn conversation(c: &wa::Conversation, me: &Me, out: &mut HistoryBatch) {
    let Some(chat) = jid_str(Some(c.id.as_str())) else {
        return;
    };
    if chat.to_string() == "status@broadcast" {
        return;
    }
    // A 1:1 chat may be named by LID with its phone number beside it (or the other way round).
    if let (Some(pn), Some(lid)) = (jid_str(c.pn_jid.as_deref()), jid_str(c.lid_jid.as_deref())) {
        if pn.is_pn() && lid.is_lid() {
            out.contacts.push(WaContact {
                pn: Some(pn),
                lid: Some(lid),
                ..Default::default()
            });
        }
    }
    let name = non_empty(c.name.as_deref()).or_else(|| non_empty(c.display_name.as_deref()));
    if chat.is_group() && !c.participant.is_empty() {
        out.groups.push(WaGroup {
            jid: chat.clone(),
            subject: name.clone().unwrap_or_default(),
            description: non_empty(c.description.as_deref()),
            owner: jid_str(c.created_by.as_deref()),
            created_at: c.created_at.filter(|t| *t > 0).map(secs),
            participants: c
                .participant
                .iter()
                .filter_map(|p| {
                    Some(WaParticipant {
                        jid: jid_str(Some(p.user_jid.as_str()))?,
                        role: match p.rank {
                            Some(Rank::ADMIN) => ParticipantRole::Admin,
                            Some(Rank::SUPERADMIN) => ParticipantRole::Superadmin,
                            _ => ParticipantRole::Member,
                        },
                    })
                })
                .collect(),
            announce: false,
            locked: c.locked.unwrap_or(false),
        });
    }
    out.chats.push(WaChatMeta {
        jid: Some(chat.clone()),
        // A person's chat is named after the person, not stored as a chat name.
        name: if chat.is_person() { None } else { name },
        archived: c.archived.unwrap_or(false),
        pinned_at: c.pinned.filter(|p| *p > 0).map(|p| secs(u64::from(p))),
        muted_until: c.mute_end_time.filter(|t| *t > 0).map(|t| {
            // WhatsApp writes "for ever" as a far-future time.
            if t >= u64::from(u32::MAX) {
                -1
            } else {
                secs(t)
            }
        }),
        unread_count: i64::from(c.unread_count.unwrap_or(0)),
        marked_unread: c.marked_as_unread.unwrap_or(false),
        labels: Vec::new(),
        older_on_phone: c.end_of_history_transfer_type.map(|t| {
            use wa::conversation::EndOfHistoryTransferType as End;
            // "More remain, but no access" is nothing an on-demand request could fetch.
            matches!(
                t,
                End::COMPLETE_BUT_MORE_MESSAGES_REMAIN_ON_PRIMARY
                    | End::COMPLETE_ON_DEMAND_SYNC_BUT_MORE_MSG_REMAIN_ON_PRIMARY
            )
        }),
    });
    for hm in &c.messages {
        if let Some(w) = hm.message.as_option() {
            message(&chat, w, me, out);
        }
    }
}

fn message(chat: &Jid, w: &wa::WebMessageInfo, me: &Me, out: &mut HistoryBatch) {
    let Some(key) = w.key.as_option() else { return };
    let Some(id) = non_empty(key.id.as_deref()) else { return };
    let from_me = key.from_me.unwrap_or(false);
    let author = if from_me {
        None
    } else if chat.is_group() {
        jid_str(w.participant.as_deref()).or_else(|| jid_str(key.participant.as_deref()))
    } else {
        Some(chat.clone())
    };
    let env = Envelope {
        chat: chat.clone(),
        id: id.clone(),
        from_me,
        author: author.clone(),
        ts: w.message_timestamp.map(secs).unwrap_or_default(),
        push_name: non_empty(w.push_name.as_deref()),
    };
    let target = MsgKey {
        chat: chat.clone(),
        id,
        from_me,
        sender: author,
    };
    for r in &w.reactions {
        let Some(emoji) = non_empty(r.text.as_deref()) else {
            continue;
        };
        let from = match r.key.as_option() {
            Some(k) if k.from_me == Some(true) => me.pn.clone().or_else(|| me.lid.clone()),
            Some(k) => jid_str(k.participant.as_deref()).or_else(|| (!chat.is_group()).then(|| chat.clone())),
            None => None,
        };
        if let Some(from) = from {
            let ts = r.sender_timestamp_ms.filter(|t| *t > 0).unwrap_or(env.ts);
            out.reactions.push((target.clone(), from, emoji, ts));
        }
    }
    let Some(m) = w.message.as_option() else { return };
    match classify(m, &env, me) {
        Some(WaEvent::Message(mut msg)) => {
            msg.starred = w.starred.unwrap_or(false);
            msg.status = from_me.then(|| status(w.status)).flatten();
            out.messages.push(msg);
        }
        Some(WaEvent::Edited { key, content, ts: _ }) => {
            // The target usually came earlier in this page: show its last version.
            if let Some(t) = out.messages.iter_mut().rev().find(|m| m.key.id == key.id) {
                t.content = content;
            }
        }
        Some(WaEvent::Revoked { key, .. }) => out.messages.retain(|m| m.key.id != key.id),
        // Reactions in history come on their target (`reactions` above).
        _ => {}
    }
}

fn status(s: Option<Status>) -> Option<MessageStatus> {
    Some(match s? {
        Status::ERROR => MessageStatus::Failed,
        Status::PENDING => MessageStatus::Pending,
        Status::SERVER_ACK => MessageStatus::Sent,
        Status::DELIVERY_ACK => MessageStatus::Delivered,
        Status::READ => MessageStatus::Read,
        Status::PLAYED => MessageStatus::Played,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wa::WaContent;
    use whatsapp_rust::buffa::MessageField;

    use crate::wa::live::convert::fixtures::{j, me};

    fn web(id: &str, from_me: bool, participant: Option<&str>, ts: u64, m: wa::Message) -> wa::HistorySyncMsg {
        wa::HistorySyncMsg {
            message: MessageField::some(wa::WebMessageInfo {
                key: MessageField::some(wa::MessageKey {
                    id: Some(id.into()),
                    from_me: Some(from_me),
                    ..Default::default()
                }),
                participant: participant.map(Into::into),
                message_timestamp: Some(ts),
                message: MessageField::some(m),
                push_name: (!from_me).then(|| "Ann".into()),
                status: from_me.then_some(Status::READ),
                starred: Some(id == "S"),
                ..Default::default()
            }),
            msg_order_id: None,
        }
    }

    fn text(t: &str) -> wa::Message {
        wa::Message {
            conversation: Some(t.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_payload_becomes_people_groups_chats_and_messages() {
        let ann = "14155550100@s.whatsapp.net";
        let group = "120363025246125244@g.us";
        let mut dm = wa::Conversation {
            id: ann.into(),
            archived: Some(true),
            pinned: Some(1_700_000_000),
            mute_end_time: Some(u64::MAX),
            unread_count: Some(2),
            marked_as_unread: Some(true),
            name: Some("not used for people".into()),
            lid_jid: Some("555@lid".into()),
            pn_jid: Some(ann.into()),
            ..Default::default()
        };
        dm.messages = vec![
            web("A1", false, None, 1_700_000_000, text("hello")),
            web("S", true, None, 1_700_000_010, text("hi back")),
        ];
        let mut g = wa::Conversation {
            id: group.into(),
            name: Some("Hiking".into()),
            description: Some("Sundays".into()),
            created_by: Some(ann.into()),
            created_at: Some(1_600_000_000),
            ..Default::default()
        };
        g.participant = vec![
            wa::GroupParticipant {
                user_jid: ann.into(),
                rank: Some(Rank::SUPERADMIN),
                ..Default::default()
            },
            wa::GroupParticipant {
                user_jid: "14155550111@s.whatsapp.net".into(),
                rank: Some(Rank::REGULAR),
                ..Default::default()
            },
        ];
        g.messages = vec![web("G1", false, Some(ann), 1_700_000_020, text("walk?"))];
        let h = wa::HistorySync {
            progress: Some(40),
            conversations: vec![dm, g],
            pushnames: vec![
                wa::Pushname {
                    id: Some(ann.into()),
                    pushname: Some("Ann".into()),
                },
                wa::Pushname {
                    id: Some("14155550111@s.whatsapp.net".into()),
                    pushname: Some("Me".into()),
                },
            ],
            phone_number_to_lid_mappings: vec![wa::PhoneNumberToLIDMapping {
                pn_jid: Some("14155550122@s.whatsapp.net".into()),
                lid_jid: Some("777@lid".into()),
            }],
            ..Default::default()
        };
        let b = batch(&h, &me());
        // As of its newest message (the group's walk, 1_700_000_020 s).
        assert_eq!(b.as_of, 1_700_000_020_000);
        // Ann's push name (not our own), one mapping, and the DM's pn/lid pair.
        assert_eq!(b.contacts.len(), 3);
        assert_eq!(b.contacts[0].push_name.as_deref(), Some("Ann"));
        assert_eq!(b.contacts[1].lid, Some(j("777@lid")));
        assert_eq!(
            (b.contacts[2].pn.clone(), b.contacts[2].lid.clone()),
            (Some(j(ann)), Some(j("555@lid")))
        );

        assert_eq!(b.groups.len(), 1);
        let grp = &b.groups[0];
        assert_eq!(
            (grp.subject.as_str(), grp.description.as_deref()),
            ("Hiking", Some("Sundays"))
        );
        assert_eq!(grp.owner, Some(j(ann)));
        assert_eq!(grp.created_at, Some(1_600_000_000_000));
        assert_eq!(grp.participants[0].role, ParticipantRole::Superadmin);
        assert_eq!(grp.participants[1].role, ParticipantRole::Member);

        let meta = &b.chats[0];
        assert!(meta.archived && meta.marked_unread);
        assert_eq!(meta.pinned_at, Some(1_700_000_000_000));
        assert_eq!(meta.muted_until, Some(-1));
        assert_eq!(meta.unread_count, 2);
        assert_eq!(meta.name, None);
        assert_eq!(b.chats[1].name.as_deref(), Some("Hiking"));

        assert_eq!(b.messages.len(), 3);
        let (a1, s, g1) = (&b.messages[0], &b.messages[1], &b.messages[2]);
        assert_eq!((a1.key.from_me, a1.key.sender.clone()), (false, Some(j(ann))));
        assert_eq!(a1.push_name.as_deref(), Some("Ann"));
        assert_eq!(a1.ts, 1_700_000_000_000);
        assert_eq!(a1.status, None);
        assert!(s.key.from_me && s.starred);
        assert_eq!(s.status, Some(MessageStatus::Read));
        assert_eq!(g1.key.chat, j(group));
        assert_eq!(g1.key.sender, Some(j(ann)));
    }

    #[test]
    fn reactions_edits_and_revokes_in_history() {
        let ann = "14155550100@s.whatsapp.net";
        let mut first = web("M1", false, None, 1_700_000_000, text("typo"));
        if let Some(w) = first.message.as_option_mut() {
            w.reactions = vec![
                wa::Reaction {
                    key: MessageField::some(wa::MessageKey {
                        from_me: Some(true),
                        ..Default::default()
                    }),
                    text: Some("👍".into()),
                    sender_timestamp_ms: Some(1_700_000_001_000),
                    ..Default::default()
                },
                wa::Reaction {
                    key: MessageField::some(wa::MessageKey::default()),
                    text: Some("".into()),
                    ..Default::default()
                },
            ];
        }
        let edit = wa::Message {
            protocol_message: MessageField::some(wa::message::ProtocolMessage {
                r#type: Some(wa::message::protocol_message::Type::MESSAGE_EDIT),
                key: MessageField::some(wa::MessageKey {
                    id: Some("M1".into()),
                    from_me: Some(true),
                    ..Default::default()
                }),
                edited_message: MessageField::some(text("fixed")),
                ..Default::default()
            }),
            ..Default::default()
        };
        let revoke = wa::Message {
            protocol_message: MessageField::some(wa::message::ProtocolMessage {
                r#type: Some(wa::message::protocol_message::Type::REVOKE),
                key: MessageField::some(wa::MessageKey {
                    id: Some("M2".into()),
                    from_me: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut c = wa::Conversation {
            id: ann.into(),
            ..Default::default()
        };
        c.messages = vec![
            first,
            web("E", false, None, 1_700_000_002, edit),
            web("M2", false, None, 1_700_000_003, text("oops")),
            web("R", false, None, 1_700_000_004, revoke),
        ];
        let b = batch(
            &wa::HistorySync {
                conversations: vec![c],
                ..Default::default()
            },
            &me(),
        );
        assert_eq!(b.messages.len(), 1);
        assert_eq!(b.messages[0].content, WaContent::text("fixed"));
        assert_eq!(b.reactions.len(), 1);
        let (target, from, emoji, ts) = &b.reactions[0];
        assert_eq!((target.id.as_str(), target.from_me), ("M1", false));
        assert_eq!(from, &j("14155550111@s.whatsapp.net"));
        assert_eq!((emoji.as_str(), *ts), ("👍", 1_700_000_001_000));
    }

    #[test]
    fn broken_entries_are_skipped_not_fatal() {
        let mut c = wa::Conversation {
            id: "not a jid".into(),
            ..Default::default()
        };
        c.messages = vec![wa::HistorySyncMsg::default()];
        let mut ok = wa::Conversation {
            id: "14155550100@s.whatsapp.net".into(),
            ..Default::default()
        };
        ok.messages = vec![
            wa::HistorySyncMsg::default(),
            web("", false, None, 1, text("no id")),
            web("X", false, None, 1, wa::Message::default()),
        ];
        let b = batch(
            &wa::HistorySync {
                conversations: vec![c, ok, wa::Conversation::default()],
                pushnames: vec![wa::Pushname::default()],
                ..Default::default()
            },
            &me(),
        );
        assert!(b.messages.is_empty());
        assert_eq!(b.chats.len(), 1);
        assert!(b.contacts.is_empty());
    }
}
