//! A decrypted message, live or from history, as what it means for the store: a
//! new message, an edit, a revoke or a reaction. Edits, revokes and reactions
//! travel as messages of their own that point at a target by key; the key's
//! `from_me` is seen from the *sender's* side and is turned to ours here.

use whatsapp_rust::prelude::MessageExt;
use whatsapp_rust::types::message::MessageInfo;
use whatsapp_rust::waproto::whatsapp as wa;

use super::content::body;
use super::{jid, jid_str, millis, non_empty, Me};
use crate::time::Millis;
use crate::wa::{Jid, MsgKey, WaEvent, WaMessage};

use wa::message::protocol_message::Type as ProtocolType;

/// Where a message sits and who wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub chat: Jid,
    pub id: String,
    pub from_me: bool,
    /// The author when it is not this account.
    pub author: Option<Jid>,
    pub ts: Millis,
    pub push_name: Option<String>,
}

impl Envelope {
    /// From a live message's info; `None` for chats we do not keep (status
    /// updates, calls, bots).
    pub fn of(info: &MessageInfo) -> Option<Self> {
        let chat = jid(&info.source.chat)?;
        if chat.to_string() == "status@broadcast" {
            return None;
        }
        let from_me = info.source.is_from_me;
        Some(Self {
            chat,
            id: info.id.to_string(),
            from_me,
            author: if from_me { None } else { jid(&info.source.sender) },
            ts: millis(&info.timestamp),
            push_name: non_empty(Some(info.push_name.as_str())),
        })
    }
}

/// What one live message means: identity links learnt from its addressing
/// first (so the sender resolves to one person), then the message itself.
pub fn live(message: &wa::Message, info: &MessageInfo, me: &Me) -> Vec<WaEvent> {
    let mut out = links(info);
    if let Some(env) = Envelope::of(info) {
        out.extend(classify(message, &env, me));
    }
    out
}

/// Phone-number/LID pairs a message's addressing reveals.
pub fn links(info: &MessageInfo) -> Vec<WaEvent> {
    let s = &info.source;
    [
        (Some(&s.sender), s.sender_alt.as_ref()),
        (Some(&s.chat), s.recipient_alt.as_ref()),
    ]
    .into_iter()
    .filter_map(|(a, b)| pair(jid(a?)?, jid(b?)?))
    .collect()
}

/// An `IdentityLink` when one JID is a phone number and the other a LID.
pub fn pair(a: Jid, b: Jid) -> Option<WaEvent> {
    match (a.is_pn(), b.is_pn(), a.is_lid(), b.is_lid()) {
        (true, _, _, true) => Some(WaEvent::IdentityLink { pn: a, lid: b }),
        (_, true, true, _) => Some(WaEvent::IdentityLink { pn: b, lid: a }),
        _ => None,
    }
}

/// The meaning of one message in its envelope.
pub fn classify(message: &wa::Message, env: &Envelope, me: &Me) -> Option<WaEvent> {
    let m = message.get_base_message();
    if let Some(r) = m.reaction_message.as_option() {
        let target = target(r.key.as_option()?, env, me)?;
        let from = if env.from_me { own(me, env) } else { env.author.clone()? };
        return Some(WaEvent::Reaction {
            target,
            from,
            from_me: env.from_me,
            emoji: non_empty(r.text.as_deref()),
            ts: r.sender_timestamp_ms.filter(|t| *t > 0).unwrap_or(env.ts),
        });
    }
    if let Some(p) = m.protocol_message.as_option() {
        let ts = p.timestamp_ms.filter(|t| *t > 0).unwrap_or(env.ts);
        return match p.r#type {
            Some(ProtocolType::REVOKE) => Some(WaEvent::Revoked {
                key: target(p.key.as_option()?, env, me)?,
                by: env.author.clone(),
                ts,
            }),
            Some(ProtocolType::MESSAGE_EDIT) => {
                let edited = p.edited_message.as_option()?;
                Some(WaEvent::Edited {
                    key: target(p.key.as_option()?, env, me)?,
                    content: body(edited.get_base_message())?.content,
                    ts,
                })
            }
            // Key shares, history notifications, ephemeral settings: the library's business.
            _ => None,
        };
    }
    let b = body(m)?;
    Some(WaEvent::Message(WaMessage {
        key: MsgKey {
            chat: env.chat.clone(),
            id: env.id.clone(),
            from_me: env.from_me,
            sender: env.author.clone(),
        },
        ts: env.ts,
        push_name: if env.from_me { None } else { env.push_name.clone() },
        content: b.content,
        reply_to: b.reply_to,
        forwarded: b.forwarded,
        status: None,
        starred: false,
    }))
}

/// This account's address for its own reactions.
fn own(me: &Me, env: &Envelope) -> Jid {
    me.pn
        .clone()
        .or_else(|| me.lid.clone())
        .unwrap_or_else(|| env.chat.clone())
}

/// The message a reaction, revoke or edit points at, from this account's side.
fn target(key: &wa::MessageKey, env: &Envelope, me: &Me) -> Option<MsgKey> {
    let id = non_empty(key.id.as_deref())?;
    // `None` = this account wrote the target.
    let author: Option<Jid> = if key.from_me == Some(true) {
        // The target is the sender's own.
        env.author.clone()
    } else if let Some(p) = jid_str(key.participant.as_deref()) {
        (!me.is(&p)).then_some(p)
    } else if env.chat.is_group() {
        // A group target with no participant: someone else's, we cannot tell whose.
        return Some(MsgKey {
            chat: env.chat.clone(),
            id,
            from_me: false,
            sender: None,
        });
    } else if env.from_me {
        // Our device pointing at the other side's message.
        Some(env.chat.clone())
    } else {
        // The other side pointing at a message it did not write: ours.
        None
    };
    Some(MsgKey {
        chat: env.chat.clone(),
        id,
        from_me: author.is_none(),
        sender: author,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wa::WaContent;
    use whatsapp_rust::buffa::MessageField;
    use whatsapp_rust::types::message::MessageSource;

    use crate::wa::live::convert::fixtures::{j, me};

    const BOB: &str = "14155550100@s.whatsapp.net";
    const GROUP: &str = "120363025246125244@g.us";

    fn from_bob(chat: &str) -> Envelope {
        Envelope {
            chat: j(chat),
            id: "MSG1".into(),
            from_me: false,
            author: Some(j(BOB)),
            ts: 1_700_000_000_000,
            push_name: Some("Bob".into()),
        }
    }

    fn mine(chat: &str) -> Envelope {
        Envelope {
            chat: j(chat),
            id: "MSG2".into(),
            from_me: true,
            author: None,
            ts: 1_700_000_001_000,
            push_name: None,
        }
    }

    fn key(id: &str, from_me: bool, participant: Option<&str>) -> MessageField<wa::MessageKey> {
        MessageField::some(wa::MessageKey {
            remote_jid: Some("ignored@s.whatsapp.net".into()),
            from_me: Some(from_me),
            id: Some(id.into()),
            participant: participant.map(Into::into),
        })
    }

    fn reaction(k: MessageField<wa::MessageKey>, emoji: &str) -> wa::Message {
        wa::Message {
            reaction_message: MessageField::some(wa::message::ReactionMessage {
                key: k,
                text: Some(emoji.into()),
                sender_timestamp_ms: Some(1_700_000_005_000),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn protocol(t: ProtocolType, k: MessageField<wa::MessageKey>, edited: Option<&str>) -> wa::Message {
        wa::Message {
            protocol_message: MessageField::some(wa::message::ProtocolMessage {
                key: k,
                r#type: Some(t),
                edited_message: edited
                    .map(|t| {
                        MessageField::some(wa::Message {
                            conversation: Some(t.into()),
                            ..Default::default()
                        })
                    })
                    .unwrap_or_default(),
                timestamp_ms: Some(1_700_000_009_000),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_text_from_someone_is_a_message_with_its_sender() {
        let m = wa::Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        let Some(WaEvent::Message(msg)) = classify(&m, &from_bob(BOB), &me()) else {
            panic!()
        };
        assert_eq!(msg.key.chat, j(BOB));
        assert_eq!(msg.key.id, "MSG1");
        assert!(!msg.key.from_me);
        assert_eq!(msg.key.sender, Some(j(BOB)));
        assert_eq!(msg.push_name.as_deref(), Some("Bob"));
        assert_eq!(msg.content, WaContent::text("hi"));
        assert_eq!(msg.ts, 1_700_000_000_000);

        let Some(WaEvent::Message(own)) = classify(&m, &mine(BOB), &me()) else {
            panic!()
        };
        assert!(own.key.from_me);
        assert_eq!(own.key.sender, None);
        assert_eq!(own.push_name, None);
    }

    #[test]
    fn wrappers_are_peeled() {
        let inner = wa::Message {
            conversation: Some("secret".into()),
            ..Default::default()
        };
        let wrapped = wa::Message {
            ephemeral_message: MessageField::some(wa::message::FutureProofMessage {
                message: MessageField::some(wa::Message {
                    view_once_message: MessageField::some(wa::message::FutureProofMessage {
                        message: MessageField::some(inner),
                    }),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        };
        let Some(WaEvent::Message(msg)) = classify(&wrapped, &from_bob(BOB), &me()) else {
            panic!()
        };
        assert_eq!(msg.content, WaContent::text("secret"));
    }

    #[test]
    fn reactions_point_at_the_right_message_from_our_side() {
        // Bob reacts, in our 1:1 chat, to a message he did not write: ours.
        let Some(WaEvent::Reaction {
            target,
            from,
            from_me,
            emoji,
            ts,
        }) = classify(&reaction(key("T1", false, None), "👍"), &from_bob(BOB), &me())
        else {
            panic!()
        };
        assert_eq!(target.id, "T1");
        assert!(target.from_me);
        assert_eq!(target.sender, None);
        assert_eq!(from, j(BOB));
        assert!(!from_me);
        assert_eq!(emoji.as_deref(), Some("👍"));
        assert_eq!(ts, 1_700_000_005_000);

        // Bob reacts to his own message.
        let Some(WaEvent::Reaction { target, .. }) =
            classify(&reaction(key("T2", true, None), "❤"), &from_bob(BOB), &me())
        else {
            panic!()
        };
        assert!(!target.from_me);
        assert_eq!(target.sender, Some(j(BOB)));

        // Our other device reacts to Bob's message; an empty emoji removes.
        let Some(WaEvent::Reaction {
            target,
            from,
            from_me,
            emoji,
            ..
        }) = classify(&reaction(key("T3", false, None), ""), &mine(BOB), &me())
        else {
            panic!()
        };
        assert!(!target.from_me);
        assert_eq!(target.sender, Some(j(BOB)));
        assert_eq!(from, j("14155550111@s.whatsapp.net"));
        assert!(from_me);
        assert_eq!(emoji, None);

        // In a group, Bob reacts to Carol's message, and to ours (named by our LID).
        let carol = "14155550122@s.whatsapp.net";
        let Some(WaEvent::Reaction { target, .. }) =
            classify(&reaction(key("G1", false, Some(carol)), "😂"), &from_bob(GROUP), &me())
        else {
            panic!()
        };
        assert_eq!(
            (target.chat, target.from_me, target.sender),
            (j(GROUP), false, Some(j(carol)))
        );
        let Some(WaEvent::Reaction { target, .. }) = classify(
            &reaction(key("G2", false, Some("900@lid")), "😂"),
            &from_bob(GROUP),
            &me(),
        ) else {
            panic!()
        };
        assert!(target.from_me);
    }

    #[test]
    fn revokes_and_edits() {
        let Some(WaEvent::Revoked { key: k, by, ts }) = classify(
            &protocol(ProtocolType::REVOKE, key("R1", true, None), None),
            &from_bob(BOB),
            &me(),
        ) else {
            panic!()
        };
        assert_eq!((k.id.as_str(), k.from_me), ("R1", false));
        assert_eq!(by, Some(j(BOB)));
        assert_eq!(ts, 1_700_000_009_000);

        // An admin deletes our message in a group.
        let Some(WaEvent::Revoked { key: k, .. }) = classify(
            &protocol(
                ProtocolType::REVOKE,
                key("R2", false, Some("14155550111@s.whatsapp.net")),
                None,
            ),
            &from_bob(GROUP),
            &me(),
        ) else {
            panic!()
        };
        assert!(k.from_me);

        // Our phone edits our message; new-style edits come wrapped in `edited_message`.
        let edit = protocol(ProtocolType::MESSAGE_EDIT, key("E1", true, None), Some("fixed"));
        let wrapped = wa::Message {
            edited_message: MessageField::some(wa::message::FutureProofMessage {
                message: MessageField::some(edit.clone()),
            }),
            ..Default::default()
        };
        for m in [edit, wrapped] {
            let Some(WaEvent::Edited { key: k, content, ts }) = classify(&m, &mine(BOB), &me()) else {
                panic!()
            };
            assert_eq!((k.id.as_str(), k.from_me), ("E1", true));
            assert_eq!(content, WaContent::text("fixed"));
            assert_eq!(ts, 1_700_000_009_000);
        }

        // Housekeeping protocol messages mean nothing to the store.
        let share = protocol(ProtocolType::APP_STATE_SYNC_KEY_SHARE, MessageField::none(), None);
        assert_eq!(classify(&share, &mine(BOB), &me()), None);
    }

    #[test]
    fn live_messages_link_phone_numbers_and_lids_first() {
        let info = MessageInfo {
            source: MessageSource {
                chat: "555@lid".parse().unwrap(),
                sender: "555:3@lid".parse().unwrap(),
                sender_alt: Some("14155550100@s.whatsapp.net".parse().unwrap()),
                is_from_me: false,
                ..Default::default()
            },
            id: "ABC".into(),
            push_name: "Bob".into(),
            timestamp: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            ..Default::default()
        };
        let m = wa::Message {
            conversation: Some("hey".into()),
            ..Default::default()
        };
        let events = live(&m, &info, &me());
        assert_eq!(
            events[0],
            WaEvent::IdentityLink {
                pn: j("14155550100@s.whatsapp.net"),
                lid: j("555@lid")
            }
        );
        let WaEvent::Message(msg) = &events[1] else { panic!() };
        assert_eq!(msg.key.chat, j("555@lid"));
        assert_eq!(msg.key.sender, Some(j("555@lid")));
        assert_eq!(msg.ts, 1_700_000_000_000);
        assert_eq!(events.len(), 2);

        // Status updates are not chats.
        let status = MessageInfo {
            source: MessageSource {
                chat: "status@broadcast".parse().unwrap(),
                sender: BOB.parse().unwrap(),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(live(&m, &status, &me()).is_empty());
        assert_eq!(pair(j(BOB), j(GROUP)), None);
    }
}
