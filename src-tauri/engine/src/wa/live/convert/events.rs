//! The library's events as ours. History sync payloads and new groups need more
//! than the event itself (decompression, a metadata query), so they are the live
//! client's to handle; everything else converts here, purely.

use whatsapp_rust::types::events::Event;
use whatsapp_rust::types::presence::{ChatPresence, ChatPresenceMedia, ReceiptType};
use whatsapp_rust::wacore::stanza::groups::{GroupNotificationAction, GroupParticipantInfo};

use super::inbound::{live, pair};
use super::{jid, millis, non_empty, Me};
use crate::time::{now_ms, Millis};
use crate::wa::{
    AppStateChange, ChatState, DisconnectReason, GroupInfoChange, Jid, MsgKey, OfflineSync, ParticipantAction,
    ReceiptKind, WaEvent,
};

/// What an event means for this account.
pub fn convert(event: &Event, me: &Me) -> Vec<WaEvent> {
    match event {
        // Pairing and connection.
        Event::PairingQrCode(q) => vec![WaEvent::PairingQr {
            code: q.code.clone(),
            valid_ms: u64::try_from(q.timeout.as_millis()).unwrap_or(u64::MAX),
        }],
        Event::PairingCode(c) => vec![WaEvent::PairingCode { code: c.code.clone() }],
        Event::PairSuccess(p) => vec![WaEvent::Paired {
            pn: jid(&p.id)
                .into_iter()
                .find(Jid::is_pn)
                .unwrap_or_else(|| Jid::new(p.id.user.as_str(), "s.whatsapp.net")),
            lid: jid(&p.lid).filter(Jid::is_lid),
            push_name: non_empty(Some(p.business_name.as_str())),
        }],
        Event::PairError(e) => vec![WaEvent::PairingFailed {
            reason: format!("the phone's answer could not be verified: {}", e.error),
        }],
        Event::QrScannedWithoutMultidevice(_) => vec![WaEvent::PairingFailed {
            reason: "the phone scanned the code, but its WhatsApp does not support linked devices; update it".into(),
        }],
        Event::PairingCodeError(e) => vec![WaEvent::PairingFailed {
            reason: format!("WhatsApp refused the pairing code request: {}", e.error),
        }],
        Event::PairingQrCodesExhausted(_) => vec![WaEvent::PairingExpired],
        Event::Connected(_) => vec![WaEvent::Connected],
        // The library reconnects on its own after a drop (backoff with jitter).
        Event::Disconnected(_) => vec![WaEvent::Disconnected(DisconnectReason::Network)],
        Event::LoggedOut(l) => {
            let text = l
                .logout_message
                .as_ref()
                .and_then(|m| m.header.clone().or_else(|| m.subtext.clone()));
            vec![WaEvent::LoggedOut {
                reason: text.unwrap_or_else(|| {
                    if l.on_connect {
                        format!("WhatsApp no longer knows this device ({:?})", l.reason)
                    } else {
                        "this device was unlinked from the phone".into()
                    }
                }),
            }]
        }
        Event::StreamReplaced(_) => vec![WaEvent::Disconnected(DisconnectReason::StreamReplaced)],
        Event::TemporaryBan(b) => vec![WaEvent::Disconnected(DisconnectReason::TemporaryBan {
            until: Some(now_ms() + b.expire.num_milliseconds()),
        })],
        Event::ClientOutdated(_) => vec![WaEvent::Disconnected(DisconnectReason::ClientOutdated)],
        // 500/503: the library tries again.
        Event::ConnectFailure(f) if f.reason.should_reconnect() => vec![WaEvent::Unreachable {
            detail: format!("WhatsApp is temporarily unavailable ({:?})", f.reason),
        }],
        Event::ConnectFailure(f) => vec![WaEvent::Disconnected(DisconnectReason::Refused {
            detail: crate::wa::redact::redact(&f.message.clone().unwrap_or_else(|| format!("{:?}", f.reason)))
                .into_owned(),
        })],

        // Messages and what happens to them.
        Event::Messages(batch) => batch
            .messages
            .iter()
            .flat_map(|m| live(&m.message, &m.info, me))
            .collect(),
        Event::Receipt(r) => {
            let kind = match r.r#type {
                ReceiptType::Delivered => ReceiptKind::Delivered,
                ReceiptType::Read => ReceiptKind::Read,
                ReceiptType::Played => ReceiptKind::Played,
                _ => return vec![],
            };
            let (Some(chat), Some(from)) = (jid(&r.source.chat), jid(&r.source.sender)) else {
                return vec![];
            };
            vec![WaEvent::Receipt {
                chat,
                ids: r.message_ids.iter().map(|i| i.to_string()).collect(),
                from,
                kind,
                ts: millis(&r.timestamp),
            }]
        }
        // Stays undecryptable after the library's retries (WhatsApp shows "Waiting for
        // this message"): agents hear that something arrived they cannot read.
        Event::UndecryptableMessage(u) => {
            let (Some(chat), Some(sender)) = (jid(&u.info.source.chat), jid(&u.info.source.sender)) else {
                return vec![];
            };
            vec![WaEvent::Undecryptable {
                chat,
                sender,
                id: u.info.id.to_string(),
                ts: millis(&u.info.timestamp),
            }]
        }
        Event::ChatPresence(p) => {
            let (Some(chat), Some(from)) = (jid(&p.source.chat), jid(&p.source.sender)) else {
                return vec![];
            };
            let state = match (p.state, p.media) {
                (ChatPresence::Paused, _) => ChatState::Paused,
                (ChatPresence::Composing, ChatPresenceMedia::Audio) => ChatState::Recording,
                (ChatPresence::Composing, _) => ChatState::Typing,
            };
            vec![WaEvent::ChatState {
                chat,
                from,
                state,
                ts: now_ms(),
            }]
        }
        Event::Presence(p) => jid(&p.from)
            .map(|who| WaEvent::Presence {
                who,
                online: !p.unavailable,
                last_seen: p.last_seen.as_ref().map(millis),
                ts: now_ms(),
            })
            .into_iter()
            .collect(),

        // People.
        Event::PushNameUpdate(p) => person(&p.jid, None, non_empty(Some(p.new_push_name.as_str())), me),
        Event::ContactUpdate(c) => {
            let saved = non_empty(c.action.full_name.as_deref()).or_else(|| non_empty(c.action.first_name.as_deref()));
            let mut out = person(&c.jid, saved, None, me);
            let pn = super::jid_str(c.action.pn_jid.as_deref());
            let lid = super::jid_str(c.action.lid_jid.as_deref());
            out.extend(jid(&c.jid).and_then(|who| pair(who, pn.or(lid)?)));
            out
        }
        Event::ContactNumberChanged(c) => [
            (Some(&c.new_jid), c.new_lid.as_ref()),
            (Some(&c.old_jid), c.old_lid.as_ref()),
        ]
        .into_iter()
        .filter_map(|(a, b)| pair(jid(a?)?, jid(b?)?))
        .collect(),
        Event::SelfPushNameUpdated(s) => vec![WaEvent::SelfProfile {
            push_name: non_empty(Some(s.new_name.as_str())),
            about: None,
        }],
        Event::UserAboutUpdate(u) if jid(&u.jid).is_some_and(|j| me.is(&j)) => vec![WaEvent::SelfProfile {
            push_name: None,
            about: Some(u.status.clone()),
        }],
        Event::PictureUpdate(p) => match jid(&p.jid) {
            Some(g) if g.is_group() => vec![WaEvent::GroupInfoChanged {
                group: g,
                change: GroupInfoChange::Picture,
                by: p.author.as_ref().and_then(jid),
                ts: millis(&p.timestamp),
            }],
            _ => vec![],
        },

        // Groups.
        Event::GroupUpdate(u) => {
            let Some(group) = jid(&u.group_jid) else { return vec![] };
            let by = u.participant_pn.as_ref().or(u.participant.as_ref()).and_then(jid);
            let ts = millis(&u.timestamp);
            let mut out: Vec<WaEvent> = u
                .participant
                .as_ref()
                .zip(u.participant_pn.as_ref())
                .and_then(|(a, b)| pair(jid(a)?, jid(b)?))
                .into_iter()
                .collect();
            let info = |change| WaEvent::GroupInfoChanged {
                group: group.clone(),
                change,
                by: by.clone(),
                ts,
            };
            let members = |action, ps: &[GroupParticipantInfo], out: &mut Vec<WaEvent>| {
                let who = ps
                    .iter()
                    .filter_map(|p| {
                        let main = jid(&p.jid)?;
                        if let Some(l) = p
                            .phone_number
                            .as_ref()
                            .and_then(jid)
                            .and_then(|pn| pair(main.clone(), pn))
                        {
                            out.push(l);
                        }
                        Some(main)
                    })
                    .collect();
                WaEvent::Participants {
                    group: group.clone(),
                    action,
                    who,
                    by: by.clone(),
                    ts,
                }
            };
            let change = match &u.action {
                GroupNotificationAction::Add { participants, .. } => {
                    members(ParticipantAction::Add, participants, &mut out)
                }
                GroupNotificationAction::Remove { participants, .. } => {
                    members(ParticipantAction::Remove, participants, &mut out)
                }
                GroupNotificationAction::Promote { participants } => {
                    members(ParticipantAction::Promote, participants, &mut out)
                }
                GroupNotificationAction::Demote { participants } => {
                    members(ParticipantAction::Demote, participants, &mut out)
                }
                GroupNotificationAction::Subject { subject, .. } => info(GroupInfoChange::Subject(subject.clone())),
                GroupNotificationAction::Description { description, .. } => info(GroupInfoChange::Description(
                    description.clone().filter(|d| !d.is_empty()),
                )),
                GroupNotificationAction::Locked { .. } => info(GroupInfoChange::Locked(true)),
                GroupNotificationAction::Unlocked => info(GroupInfoChange::Locked(false)),
                GroupNotificationAction::Announce => info(GroupInfoChange::Announce(true)),
                GroupNotificationAction::NotAnnounce => info(GroupInfoChange::Announce(false)),
                // A new group needs its metadata queried: see `group_created`.
                _ => return out,
            };
            out.push(change);
            out
        }

        // Chat and message state synced from the phone (app state).
        Event::ArchiveUpdate(a) => app_state(&a.jid, &a.timestamp, |chat| AppStateChange::Archive {
            chat,
            archived: a.action.archived.unwrap_or(false),
        }),
        Event::PinUpdate(p) => app_state(&p.jid, &p.timestamp, |chat| AppStateChange::Pin {
            chat,
            pinned: p.action.pinned.unwrap_or(false),
        }),
        Event::MuteUpdate(m) => app_state(&m.jid, &m.timestamp, |chat| AppStateChange::Mute {
            chat,
            until: m
                .action
                .muted
                .unwrap_or(false)
                .then(|| m.action.mute_end_timestamp.filter(|t| *t > 0).unwrap_or(-1)),
        }),
        Event::MarkChatAsReadUpdate(r) => app_state(&r.jid, &r.timestamp, |chat| AppStateChange::MarkUnread {
            chat,
            unread: !r.action.read.unwrap_or(true),
        }),
        Event::DeleteChatUpdate(d) => app_state(&d.jid, &d.timestamp, |chat| AppStateChange::DeleteChat { chat }),
        Event::StarUpdate(s) => app_state(&s.chat_jid, &s.timestamp, |chat| AppStateChange::Star {
            message: key(chat, &s.message_id, s.from_me, s.participant_jid.as_ref()),
            starred: s.action.starred.unwrap_or(false),
        }),
        Event::DeleteMessageForMeUpdate(d) => {
            app_state(&d.chat_jid, &d.timestamp, |chat| AppStateChange::DeleteForMe {
                message: key(chat, &d.message_id, d.from_me, d.participant_jid.as_ref()),
            })
        }
        // A person's security code changed: announced by LID or number, whichever
        // the store knows them by (the contact is found by either).
        Event::IdentityChange(c) => jid(&c.user)
            .filter(|who| who.is_person() && !me.is(who))
            .map(|who| WaEvent::IdentityChanged { who, ts: now_ms() })
            .into_iter()
            .collect(),
        Event::OfflineSyncPreview(p) => vec![WaEvent::OfflineSync(OfflineSync::Started {
            total: u32::try_from(p.total).unwrap_or(0),
            messages: u32::try_from(p.messages).unwrap_or(0),
        })],
        Event::OfflineSyncCompleted(c) => vec![WaEvent::OfflineSync(OfflineSync::Done {
            count: u32::try_from(c.count).unwrap_or(0),
        })],
        Event::AppStateSyncFailed(f) => {
            let fatal = !f.fatal.is_empty();
            let collections: Vec<String> = f.fatal.iter().chain(&f.retryable).cloned().collect();
            if collections.is_empty() {
                return vec![];
            }
            vec![WaEvent::AppStateSyncFailed { collections, fatal }]
        }
        // The server's answer to a message we sent: the send waiting for it has it
        // (see `acks`); nothing to store.
        Event::ServerAck(_) => vec![],
        // Nothing disappears silently: what the product does not use yet is named
        // in the debug log (the library's Debug prints only the event's name).
        other => {
            tracing::debug!(event = ?other, "a WhatsApp event the engine does not use");
            vec![]
        }
    }
}

/// A group someone just created with us in it (or we did, from another device):
/// its JID, creator and time. Its metadata has to be queried.
pub fn group_created(event: &Event) -> Option<(Jid, Option<Jid>, Millis)> {
    let Event::GroupUpdate(u) = event else { return None };
    if !matches!(u.action, GroupNotificationAction::Create { .. }) {
        return None;
    }
    let by = u.participant_pn.as_ref().or(u.participant.as_ref()).and_then(jid);
    Some((jid(&u.group_jid)?, by, millis(&u.timestamp)))
}

fn person(who: &whatsapp_rust::Jid, saved: Option<String>, push: Option<String>, me: &Me) -> Vec<WaEvent> {
    let Some(who) = jid(who).filter(|j| j.is_person() && !me.is(j)) else {
        return vec![];
    };
    if saved.is_none() && push.is_none() {
        return vec![];
    }
    vec![WaEvent::Contact(super::contact(&who, saved, push))]
}

fn app_state(
    chat: &whatsapp_rust::Jid,
    at: &chrono::DateTime<chrono::Utc>,
    change: impl FnOnce(Jid) -> AppStateChange,
) -> Vec<WaEvent> {
    jid(chat)
        .map(|c| WaEvent::AppState {
            change: change(c),
            ts: millis(at),
        })
        .into_iter()
        .collect()
}

fn key(chat: Jid, id: &str, from_me: bool, participant: Option<&whatsapp_rust::Jid>) -> MsgKey {
    MsgKey {
        chat,
        id: id.to_owned(),
        from_me,
        sender: if from_me { None } else { participant.and_then(jid) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use whatsapp_rust::types::events::*;
    use whatsapp_rust::types::message::{MessageInfo, MessageSource};
    use whatsapp_rust::waproto::whatsapp as wa;
    use whatsapp_rust::Jid as LibJid;

    fn lj(s: &str) -> LibJid {
        s.parse().unwrap()
    }
    use crate::wa::live::convert::fixtures::{j, me};
    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }
    const BOB: &str = "14155550100@s.whatsapp.net";
    const GROUP: &str = "120363025246125244@g.us";

    #[test]
    fn pairing_and_connection_events() {
        let qr = Event::PairingQrCode(
            PairingQrCode::builder()
                .code("2@ref,a,b,c".into())
                .timeout(std::time::Duration::from_secs(60))
                .build(),
        );
        assert_eq!(
            convert(&qr, &me()),
            vec![WaEvent::PairingQr {
                code: "2@ref,a,b,c".into(),
                valid_ms: 60_000
            }]
        );
        let paired = Event::PairSuccess(
            PairSuccess::builder()
                .id(lj("14155550111:4@s.whatsapp.net"))
                .lid(lj("900:4@lid"))
                .business_name(String::new())
                .platform("android".into())
                .build(),
        );
        assert_eq!(
            convert(&paired, &me()),
            vec![WaEvent::Paired {
                pn: j("14155550111@s.whatsapp.net"),
                lid: Some(j("900@lid")),
                push_name: None
            }]
        );
        assert_eq!(
            convert(
                &Event::PairingQrCodesExhausted(PairingQrCodesExhausted::builder().disconnected(true).build()),
                &me()
            ),
            vec![WaEvent::PairingExpired]
        );
        assert_eq!(
            convert(&Event::Connected(Connected::builder().build()), &me()),
            vec![WaEvent::Connected]
        );
        assert_eq!(
            convert(&Event::StreamReplaced(StreamReplaced::builder().build()), &me()),
            vec![WaEvent::Disconnected(DisconnectReason::StreamReplaced)]
        );
        assert_eq!(
            convert(&Event::ClientOutdated(ClientOutdated::builder().build()), &me()),
            vec![WaEvent::Disconnected(DisconnectReason::ClientOutdated)]
        );
        let ban = Event::TemporaryBan(
            TemporaryBan::builder()
                .code(TempBanReason::SentToTooManyPeople)
                .expire(chrono::Duration::hours(2))
                .build(),
        );
        let [WaEvent::Disconnected(DisconnectReason::TemporaryBan { until: Some(until) })] = convert(&ban, &me())[..]
        else {
            panic!()
        };
        assert!((until - now_ms() - 7_200_000).abs() < 5_000);
        let logged_out = Event::LoggedOut(
            LoggedOut::builder()
                .on_connect(true)
                .reason(ConnectFailureReason::LoggedOut)
                .build(),
        );
        assert!(
            matches!(&convert(&logged_out, &me())[..], [WaEvent::LoggedOut { reason }] if reason.contains("no longer knows"))
        );
        // A 503 is retried by the library; a 403-like refusal is final.
        let retry = Event::ConnectFailure(
            ConnectFailure::builder()
                .reason(ConnectFailureReason::ServiceUnavailable)
                .build(),
        );
        assert!(
            matches!(&convert(&retry, &me())[..], [WaEvent::Unreachable { detail }] if detail.contains("unavailable"))
        );
        let refused = Event::ConnectFailure(
            ConnectFailure::builder()
                .reason(ConnectFailureReason::BadUserAgent)
                .message("bad agent".into())
                .build(),
        );
        assert_eq!(
            convert(&refused, &me()),
            vec![WaEvent::Disconnected(DisconnectReason::Refused {
                detail: "bad agent".into()
            })]
        );
        let failed = Event::PairError(
            PairError::builder()
                .id(lj(BOB))
                .lid(lj("1@lid"))
                .business_name(String::new())
                .platform(String::new())
                .error("bad signature".into())
                .build(),
        );
        assert!(
            matches!(&convert(&failed, &me())[..], [WaEvent::PairingFailed { reason }] if reason.contains("bad signature"))
        );
    }

    #[test]
    fn a_batch_of_messages() {
        let info = MessageInfo {
            source: MessageSource {
                chat: lj(BOB),
                sender: lj(BOB),
                ..Default::default()
            },
            id: "M1".into(),
            timestamp: at(),
            ..Default::default()
        };
        let msg = wa::Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        let batch = MessageBatch::builder()
            .messages(Arc::from(vec![InboundMessage::builder()
                .message(Arc::new(msg))
                .info(Arc::new(info))
                .build()]))
            .origin(BatchOrigin::Live)
            .hook_committed(false)
            .build();
        let out = convert(&Event::Messages(batch), &me());
        assert!(matches!(&out[..], [WaEvent::Message(m)] if m.key.id == "M1" && m.ts == 1_700_000_000_000));
    }

    #[test]
    fn receipts_typing_and_presence() {
        let receipt = Event::Receipt(
            Receipt::builder()
                .source(MessageSource {
                    chat: lj(GROUP),
                    sender: lj("14155550122:2@s.whatsapp.net"),
                    is_group: true,
                    ..Default::default()
                })
                .message_ids(vec!["A".into(), "B".into()])
                .timestamp(at())
                .r#type(ReceiptType::Read)
                .offline(false)
                .build(),
        );
        assert_eq!(
            convert(&receipt, &me()),
            vec![WaEvent::Receipt {
                chat: j(GROUP),
                ids: vec!["A".into(), "B".into()],
                from: j("14155550122@s.whatsapp.net"),
                kind: ReceiptKind::Read,
                ts: 1_700_000_000_000
            }]
        );
        let retry = Event::Receipt(
            Receipt::builder()
                .source(MessageSource::default())
                .message_ids(vec![])
                .timestamp(at())
                .r#type(ReceiptType::Retry)
                .offline(false)
                .build(),
        );
        assert!(convert(&retry, &me()).is_empty());

        let typing = |state, media| {
            Event::ChatPresence(
                ChatPresenceUpdate::builder()
                    .source(MessageSource {
                        chat: lj(BOB),
                        sender: lj(BOB),
                        ..Default::default()
                    })
                    .state(state)
                    .media(media)
                    .build(),
            )
        };
        for (state, media, ours) in [
            (ChatPresence::Composing, ChatPresenceMedia::Text, ChatState::Typing),
            (ChatPresence::Composing, ChatPresenceMedia::Audio, ChatState::Recording),
            (ChatPresence::Paused, ChatPresenceMedia::Text, ChatState::Paused),
        ] {
            assert!(matches!(&convert(&typing(state, media), &me())[..],
                [WaEvent::ChatState { state, from, .. }] if *state == ours && *from == j(BOB)));
        }
        let presence = Event::Presence(
            PresenceUpdate::builder()
                .from(lj(BOB))
                .unavailable(true)
                .last_seen(at())
                .build(),
        );
        assert!(matches!(
            &convert(&presence, &me())[..],
            [WaEvent::Presence {
                online: false,
                last_seen: Some(1_700_000_000_000),
                ..
            }]
        ));
    }

    #[test]
    fn names_and_identities() {
        let push = Event::PushNameUpdate(
            PushNameUpdate::builder()
                .jid(lj(BOB))
                .message(Box::default())
                .old_push_name("B".into())
                .new_push_name("Bob".into())
                .build(),
        );
        assert!(matches!(&convert(&push, &me())[..],
            [WaEvent::Contact(c)] if c.push_name.as_deref() == Some("Bob") && c.pn == Some(j(BOB))));
        // Our own push name is not a contact.
        let own = Event::PushNameUpdate(
            PushNameUpdate::builder()
                .jid(lj("14155550111@s.whatsapp.net"))
                .message(Box::default())
                .old_push_name(String::new())
                .new_push_name("Me".into())
                .build(),
        );
        assert!(convert(&own, &me()).is_empty());

        let book = Event::ContactUpdate(
            ContactUpdate::builder()
                .jid(lj(BOB))
                .timestamp(at())
                .action(Box::new(wa::sync_action_value::ContactAction {
                    full_name: Some("Robert Smith".into()),
                    lid_jid: Some("555@lid".into()),
                    ..Default::default()
                }))
                .from_full_sync(true)
                .build(),
        );
        let out = convert(&book, &me());
        assert!(matches!(&out[0], WaEvent::Contact(c) if c.saved_name.as_deref() == Some("Robert Smith")));
        assert_eq!(
            out[1],
            WaEvent::IdentityLink {
                pn: j(BOB),
                lid: j("555@lid")
            }
        );

        let changed = Event::ContactNumberChanged(
            ContactNumberChanged::builder()
                .old_jid(lj(BOB))
                .new_jid(lj("14155550199@s.whatsapp.net"))
                .new_lid(lj("555@lid"))
                .timestamp(at())
                .build(),
        );
        assert_eq!(
            convert(&changed, &me()),
            vec![WaEvent::IdentityLink {
                pn: j("14155550199@s.whatsapp.net"),
                lid: j("555@lid")
            }]
        );
        let own_name = Event::SelfPushNameUpdated(
            SelfPushNameUpdated::builder()
                .from_server(true)
                .old_name(String::new())
                .new_name("Alice".into())
                .build(),
        );
        assert_eq!(
            convert(&own_name, &me()),
            vec![WaEvent::SelfProfile {
                push_name: Some("Alice".into()),
                about: None
            }]
        );
    }

    fn group_update(action: GroupNotificationAction) -> Event {
        Event::GroupUpdate(
            GroupUpdate::builder()
                .group_jid(lj(GROUP))
                .participant(lj("555@lid"))
                .participant_pn(lj(BOB))
                .timestamp(at())
                .is_lid_addressing_mode(true)
                .action(action)
                .build(),
        )
    }

    #[test]
    fn group_notifications() {
        let info = |jid: &str, pn: Option<&str>| GroupParticipantInfo {
            jid: lj(jid),
            phone_number: pn.map(lj),
            display_name: None,
            r#type: None,
            lid: None,
            username: None,
            join_time: None,
            group_history_sent_state: None,
        };
        let add = group_update(GroupNotificationAction::Add {
            participants: vec![info("777@lid", Some("14155550122@s.whatsapp.net"))],
            reason: None,
        });
        let out = convert(&add, &me());
        assert_eq!(
            out[0],
            WaEvent::IdentityLink {
                pn: j(BOB),
                lid: j("555@lid")
            }
        );
        assert_eq!(
            out[1],
            WaEvent::IdentityLink {
                pn: j("14155550122@s.whatsapp.net"),
                lid: j("777@lid")
            }
        );
        assert_eq!(
            out[2],
            WaEvent::Participants {
                group: j(GROUP),
                action: ParticipantAction::Add,
                who: vec![j("777@lid")],
                by: Some(j(BOB)),
                ts: 1_700_000_000_000
            }
        );
        let subject = group_update(GroupNotificationAction::Subject {
            subject: "New name".into(),
            subject_owner: None,
            subject_time: None,
        });
        assert!(matches!(convert(&subject, &me()).last(),
            Some(WaEvent::GroupInfoChanged { change: GroupInfoChange::Subject(s), .. }) if s == "New name"));
        let locked = group_update(GroupNotificationAction::Locked { threshold: None });
        assert!(matches!(
            convert(&locked, &me()).last(),
            Some(WaEvent::GroupInfoChanged {
                change: GroupInfoChange::Locked(true),
                ..
            })
        ));
        let announce = group_update(GroupNotificationAction::NotAnnounce);
        assert!(matches!(
            convert(&announce, &me()).last(),
            Some(WaEvent::GroupInfoChanged {
                change: GroupInfoChange::Announce(false),
                ..
            })
        ));
        let desc = group_update(GroupNotificationAction::Description {
            id: "d1".into(),
            description: None,
        });
        assert!(matches!(
            convert(&desc, &me()).last(),
            Some(WaEvent::GroupInfoChanged {
                change: GroupInfoChange::Description(None),
                ..
            })
        ));

        assert_eq!(group_created(&add), None);
    }

    #[test]
    fn app_state_changes() {
        let archive = Event::ArchiveUpdate(
            ArchiveUpdate::builder()
                .jid(lj(BOB))
                .timestamp(at())
                .action(Box::new(wa::sync_action_value::ArchiveChatAction {
                    archived: Some(true),
                    ..Default::default()
                }))
                .from_full_sync(false)
                .build(),
        );
        assert_eq!(
            convert(&archive, &me()),
            vec![WaEvent::AppState {
                change: AppStateChange::Archive {
                    chat: j(BOB),
                    archived: true
                },
                ts: 1_700_000_000_000
            }]
        );
        let mute = |muted, end| {
            Event::MuteUpdate(
                MuteUpdate::builder()
                    .jid(lj(BOB))
                    .timestamp(at())
                    .action(Box::new(wa::sync_action_value::MuteAction {
                        muted: Some(muted),
                        mute_end_timestamp: end,
                        ..Default::default()
                    }))
                    .from_full_sync(false)
                    .build(),
            )
        };
        for (event, until) in [
            (mute(true, Some(1_800_000_000_000)), Some(1_800_000_000_000)),
            (mute(true, Some(-1)), Some(-1)),
            (mute(false, None), None),
        ] {
            assert!(matches!(&convert(&event, &me())[..],
                [WaEvent::AppState { change: AppStateChange::Mute { until: u, .. }, .. }] if *u == until));
        }
        let star = Event::StarUpdate(
            StarUpdate::builder()
                .chat_jid(lj(GROUP))
                .participant_jid(lj(BOB))
                .message_id("S1".into())
                .from_me(false)
                .timestamp(at())
                .action(Box::new(wa::sync_action_value::StarAction { starred: Some(true) }))
                .from_full_sync(false)
                .build(),
        );
        assert!(matches!(&convert(&star, &me())[..],
            [WaEvent::AppState { change: AppStateChange::Star { message, starred: true }, .. }]
            if message.id == "S1" && message.sender == Some(j(BOB)) && !message.from_me));
        let read = Event::MarkChatAsReadUpdate(
            MarkChatAsReadUpdate::builder()
                .jid(lj(BOB))
                .timestamp(at())
                .action(Box::new(wa::sync_action_value::MarkChatAsReadAction {
                    read: Some(false),
                    ..Default::default()
                }))
                .from_full_sync(false)
                .build(),
        );
        assert!(matches!(
            &convert(&read, &me())[..],
            [WaEvent::AppState {
                change: AppStateChange::MarkUnread { unread: true, .. },
                ..
            }]
        ));
    }
}
