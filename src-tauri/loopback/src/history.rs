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

/// A conversation a phone has, as the control API describes it.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryChat {
    /// The other person's number (`+1555…`).
    pub with: String,
    pub messages: Vec<HistoryMessage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HistoryMessage {
    pub from_me: bool,
    pub text: String,
    /// Unix seconds.
    pub ts: u64,
    /// The message's ID (default: derived from the chat and time).
    pub id: Option<String>,
}

/// Someone in the history: their number, LID and name.
pub struct Known {
    pub pn: String,
    pub lid: String,
    pub name: String,
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

/// The `HistorySync` for `chats`, zlib-compressed. `who` resolves a number to
/// the person (for names and LIDs).
pub fn compressed(kind: SyncKind, chats: &[HistoryChat], who: impl Fn(&str) -> Option<Known>) -> Vec<u8> {
    let mut conversations = Vec::new();
    let mut pushnames = Vec::new();
    let mut mappings = Vec::new();
    for chat in chats {
        let pn = chat.with.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
        let jid = format!("{pn}@s.whatsapp.net");
        let person = who(&pn);
        if let Some(p) = &person {
            pushnames.push(wa::Pushname {
                id: Some(jid.clone()),
                pushname: Some(p.name.clone()),
            });
            mappings.push(wa::PhoneNumberToLIDMapping {
                pn_jid: Some(jid.clone()),
                lid_jid: Some(format!("{}@lid", p.lid)),
            });
        }
        let messages = chat
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| wa::HistorySyncMsg {
                message: MessageField::some(wa::WebMessageInfo {
                    key: MessageField::some(wa::MessageKey {
                        remote_jid: Some(jid.clone()),
                        from_me: Some(m.from_me),
                        id: Some(m.id.clone().unwrap_or_else(|| format!("HIST{pn}{}{i}", m.ts))),
                        participant: None,
                    }),
                    message: MessageField::some(wa::Message {
                        conversation: Some(m.text.clone()),
                        ..Default::default()
                    }),
                    message_timestamp: Some(m.ts),
                    push_name: (!m.from_me).then(|| person.as_ref().map(|p| p.name.clone())).flatten(),
                    ..Default::default()
                }),
                msg_order_id: Some(i as u64 + 1),
            })
            .collect();
        conversations.push(wa::Conversation {
            id: jid.clone(),
            messages,
            name: person.as_ref().map(|p| p.name.clone()),
            conversation_timestamp: chat.messages.iter().map(|m| m.ts).max(),
            ..Default::default()
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

/// What an on-demand request asks for: up to `count` messages of `chat` older
/// than `before_ms`, from the conversations the phone keeps. `None`: no such chat.
pub fn older(kept: &[HistoryChat], chat: &str, before_ms: i64, count: usize) -> Option<HistoryChat> {
    let pn: String = chat.split('@').next()?.chars().filter(|c| c.is_ascii_digit()).collect();
    let c = kept
        .iter()
        .find(|c| c.with.chars().filter(|c| c.is_ascii_digit()).collect::<String>() == pn)?;
    let mut older: Vec<HistoryMessage> = c
        .messages
        .iter()
        .filter(|m| (m.ts as i64) * 1000 < before_ms)
        .cloned()
        .collect();
    older.sort_by_key(|m| std::cmp::Reverse(m.ts));
    older.truncate(count);
    older.reverse();
    Some(HistoryChat {
        with: c.with.clone(),
        messages: older,
    })
}
