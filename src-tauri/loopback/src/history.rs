//! What a phone sends its new companion after a link, and later: history sync.
//! The conversations queued on the phone (`/control/history`) become one
//! `HistorySync` (zlib-compressed protobuf, as WhatsApp's phones send it), with
//! the push names and number-to-LID mappings of everyone in it. The first one
//! travels inline in the notification; later ones as an encrypted blob on the
//! CDN, which the companion downloads.

use std::io::Write;

use serde::Deserialize;
use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::waproto::whatsapp as wa;

/// A conversation a phone has, as the control API describes it. What the phone
/// says of it may be older than what its companions heard since (a chunk is made
/// when it is made): a name, a group's members, its mute and archive state.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryChat {
    /// The other person's number (`+1555…`), or a group's JID (`…@g.us`).
    pub with: String,
    pub messages: Vec<HistoryMessage>,
    /// A group's subject, or the name the person went by (default: as now).
    #[serde(default)]
    pub name: Option<String>,
    /// A group's members by number (default: as now).
    #[serde(default)]
    pub members: Option<Vec<String>>,
    #[serde(default)]
    pub muted: bool,
    #[serde(default)]
    pub archived: bool,
    /// Whether the phone keeps older messages of it than these (`None`: not said).
    #[serde(default)]
    pub more_on_phone: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HistoryMessage {
    pub from_me: bool,
    pub text: String,
    /// Unix seconds.
    pub ts: u64,
    /// The message's ID (default: derived from the chat and time).
    pub id: Option<String>,
    /// In a group, who sent it (`+1555…`; default: its first member).
    #[serde(default)]
    pub from: Option<String>,
}

/// Someone in the history: their number, LID and name.
pub struct Known {
    pub pn: String,
    pub lid: String,
    pub name: String,
}

/// What the network knows of the people and groups in a chunk.
pub trait Lookup {
    fn person(&self, pn: &str) -> Option<Known>;
    /// A group's subject and members (by number), by its ID.
    fn group(&self, id: &str) -> Option<(String, Vec<String>)>;
}

fn digits_of(s: &str) -> String {
    s.split('@')
        .next()
        .unwrap_or(s)
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect()
}

/// Which kind of sync a chunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    InitialBootstrap,
    Recent,
    Full,
    /// The answer to a companion's request for older messages.
    OnDemand,
}

impl SyncKind {
    fn wire(self) -> (wa::history_sync::HistorySyncType, wa::message::HistorySyncType) {
        use wa::history_sync::HistorySyncType as H;
        use wa::message::HistorySyncType as M;
        match self {
            SyncKind::InitialBootstrap => (H::INITIAL_BOOTSTRAP, M::INITIAL_BOOTSTRAP),
            SyncKind::Recent => (H::RECENT, M::RECENT),
            SyncKind::Full => (H::FULL, M::FULL),
            SyncKind::OnDemand => (H::ON_DEMAND, M::ON_DEMAND),
        }
    }
}

/// The `HistorySync` for `chats`, zlib-compressed, with the push names and LIDs of
/// everyone in it.
pub fn compressed(kind: SyncKind, chats: &[HistoryChat], known: &impl Lookup) -> Vec<u8> {
    let mut conversations = Vec::new();
    let mut people: std::collections::BTreeMap<String, Option<String>> = Default::default();
    for chat in chats {
        let id = digits_of(&chat.with);
        let group = chat.with.ends_with("@g.us");
        let (jid, name, members) = if group {
            let (subject, members) = known.group(&id).unwrap_or_default();
            let members = chat
                .members
                .clone()
                .map_or(members, |m| m.iter().map(|m| digits_of(m)).collect());
            (
                format!("{id}@g.us"),
                Some(chat.name.clone().unwrap_or(subject)),
                members,
            )
        } else {
            let name = chat.name.clone().or_else(|| known.person(&id).map(|p| p.name));
            (format!("{id}@s.whatsapp.net"), name, vec![id.clone()])
        };
        for m in &members {
            let name = if group { None } else { chat.name.clone() };
            people.entry(m.clone()).or_insert(name);
        }
        let author = |m: &HistoryMessage| m.from.as_deref().map(digits_of).or_else(|| members.first().cloned());
        let messages = chat
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let from = (!m.from_me).then(|| author(m)).flatten();
                let participant = from.as_ref().filter(|_| group).map(|f| format!("{f}@s.whatsapp.net"));
                wa::HistorySyncMsg {
                    message: MessageField::some(wa::WebMessageInfo {
                        key: MessageField::some(wa::MessageKey {
                            remote_jid: Some(jid.clone()),
                            from_me: Some(m.from_me),
                            id: Some(m.id.clone().unwrap_or_else(|| format!("HIST{id}{}{i}", m.ts))),
                            participant: participant.clone(),
                        }),
                        message: MessageField::some(wa::Message {
                            conversation: Some(m.text.clone()),
                            ..Default::default()
                        }),
                        message_timestamp: Some(m.ts),
                        participant,
                        push_name: from.and_then(|f| {
                            if group {
                                known.person(&f).map(|p| p.name)
                            } else {
                                name.clone()
                            }
                        }),
                        ..Default::default()
                    }),
                    msg_order_id: Some(i as u64 + 1),
                }
            })
            .collect();
        conversations.push(wa::Conversation {
            id: jid.clone(),
            messages,
            name,
            conversation_timestamp: chat.messages.iter().map(|m| m.ts).max(),
            participant: if group {
                members
                    .iter()
                    .map(|m| wa::GroupParticipant {
                        user_jid: format!("{m}@s.whatsapp.net"),
                        ..Default::default()
                    })
                    .collect()
            } else {
                Vec::new()
            },
            mute_end_time: chat.muted.then_some(u64::from(u32::MAX)),
            archived: Some(chat.archived),
            end_of_history_transfer: chat.more_on_phone.map(|_| true),
            end_of_history_transfer_type: chat.more_on_phone.map(|more| {
                use wa::conversation::EndOfHistoryTransferType as End;
                match (kind, more) {
                    (SyncKind::OnDemand, true) => End::COMPLETE_ON_DEMAND_SYNC_BUT_MORE_MSG_REMAIN_ON_PRIMARY,
                    (_, true) => End::COMPLETE_BUT_MORE_MESSAGES_REMAIN_ON_PRIMARY,
                    (_, false) => End::COMPLETE_AND_NO_MORE_MESSAGE_REMAIN_ON_PRIMARY,
                }
            }),
            ..Default::default()
        });
    }
    let mut pushnames = Vec::new();
    let mut mappings = Vec::new();
    for (pn, name) in people {
        let Some(p) = known.person(&pn) else { continue };
        let jid = format!("{pn}@s.whatsapp.net");
        pushnames.push(wa::Pushname {
            id: Some(jid.clone()),
            pushname: Some(name.unwrap_or(p.name)),
        });
        mappings.push(wa::PhoneNumberToLIDMapping {
            pn_jid: Some(jid),
            lid_jid: Some(format!("{}@lid", p.lid)),
        });
    }
    let sync = wa::HistorySync {
        sync_type: kind.wire().0,
        conversations,
        pushnames,
        phone_number_to_lid_mappings: mappings,
        chunk_order: Some(1),
        progress: Some(100),
        ..Default::default()
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&sync.encode_to_vec()).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// The protocol message that tells a companion about a history chunk: inline, or
/// where on the CDN it is (`blob`: the upload of the compressed bytes).
/// `request`: the ID of the on-demand request it answers.
pub fn notification(
    kind: SyncKind,
    inline: Option<Vec<u8>>,
    blob: Option<&Uploaded>,
    request: Option<String>,
) -> wa::Message {
    let mut n = wa::message::HistorySyncNotification {
        sync_type: Some(kind.wire().1),
        chunk_order: Some(1),
        progress: Some(100),
        peer_data_request_session_id: request,
        ..Default::default()
    };
    match (inline, blob) {
        (Some(bytes), _) => {
            n.file_length = Some(bytes.len() as u64);
            n.initial_hist_bootstrap_inline_payload = Some(bytes);
        }
        (None, Some(u)) => {
            n.direct_path = Some(u.direct_path.clone());
            n.media_key = Some(u.media_key.clone());
            n.file_sha256 = Some(u.file_sha256.clone());
            n.file_enc_sha256 = Some(u.file_enc_sha256.clone());
            n.file_length = Some(u.file_length);
        }
        (None, None) => {}
    }
    wa::Message {
        protocol_message: MessageField::some(wa::message::ProtocolMessage {
            r#type: Some(wa::message::protocol_message::Type::HISTORY_SYNC_NOTIFICATION),
            history_sync_notification: MessageField::some(n),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What an upload to the CDN gave back: where it is and how to decrypt it.
pub struct Uploaded {
    pub direct_path: String,
    pub media_key: Vec<u8>,
    pub file_sha256: Vec<u8>,
    pub file_enc_sha256: Vec<u8>,
    pub file_length: u64,
}

/// How many of each chat's newest messages a phone sends a companion that did not
/// ask for a full sync.
pub const RECENT_PER_CHAT: usize = 50;

/// Each chat's newest [`RECENT_PER_CHAT`] messages, and the older ones (the same
/// chats, with what was left out; chats with nothing left out are not repeated).
pub fn split_recent(chats: Vec<HistoryChat>) -> (Vec<HistoryChat>, Vec<HistoryChat>) {
    let mut recent = Vec::new();
    let mut older = Vec::new();
    for mut chat in chats {
        chat.messages.sort_by_key(|m| m.ts);
        let cut = chat.messages.len().saturating_sub(RECENT_PER_CHAT);
        let newest = chat.messages.split_off(cut);
        let more = !chat.messages.is_empty();
        if more {
            older.push(chat.clone());
        }
        recent.push(HistoryChat {
            messages: newest,
            more_on_phone: Some(more),
            ..chat
        });
    }
    (recent, older)
}

/// What an on-demand request asks for: up to `count` messages of `chat` older
/// than `before_ms`, from the conversations the phone keeps. `None`: no such chat.
pub fn older(kept: &[HistoryChat], chat: &str, before_ms: i64, count: usize) -> Option<HistoryChat> {
    let id = digits_of(chat);
    let c = kept.iter().find(|c| digits_of(&c.with) == id)?;
    let mut older: Vec<HistoryMessage> = c
        .messages
        .iter()
        .filter(|m| (m.ts as i64) * 1000 < before_ms)
        .cloned()
        .collect();
    older.sort_by_key(|m| std::cmp::Reverse(m.ts));
    let more = older.len() > count;
    older.truncate(count);
    older.reverse();
    Some(HistoryChat {
        messages: older,
        more_on_phone: Some(more),
        ..c.clone()
    })
}
