//! Values exchanged with a WhatsApp backend.

use serde::{Deserialize, Serialize};

use super::Jid;
use crate::ids::MediaId;
use crate::model::{ContactCard, Location, MediaInfo};
use crate::phone::Phone;
use crate::time::Millis;

/// How much history the phone sends a device it links (the setting
/// [`HISTORY_ON_LINK_SETTING`], chosen before the QR code is shown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum HistoryOnLink {
    /// The last months, as WhatsApp Web gets (older messages on demand).
    #[default]
    Recent,
    /// All of it (WhatsApp's full sync): slower, and far more messages.
    Everything,
}

pub const HISTORY_ON_LINK_SETTING: &str = "history_on_link";

/// How to pair a new device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairMethod {
    /// Show QR codes for the phone to scan.
    Qr,
    /// Link with a phone number: the phone shows a prompt and the user types the code.
    PhoneCode(Phone),
}

/// A message as WhatsApp addresses it: the chat, the ID its sender's device made,
/// and who sent it (for incoming group messages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MsgKey {
    pub chat: Jid,
    pub id: String,
    pub from_me: bool,
    /// The author, when not this account (group messages need it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Jid>,
}

/// Where the bytes of media live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum MediaBlob {
    /// Already in our store.
    Local { id: MediaId },
    /// On WhatsApp's media servers, encrypted; fetched on demand.
    Remote(RemoteMedia),
}

/// What is needed to fetch and decrypt media from WhatsApp's servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteMedia {
    pub kind: String,
    pub direct_path: String,
    /// Base64.
    pub media_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_enc_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_length: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaMedia {
    pub info: MediaInfo,
    pub blob: MediaBlob,
}

/// The content of a message, sent or received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WaContent {
    Text { text: String },
    Image { media: WaMedia, caption: Option<String> },
    Video { media: WaMedia, caption: Option<String> },
    Audio { media: WaMedia },
    Document { media: WaMedia, caption: Option<String> },
    Sticker { media: WaMedia },
    Location(Location),
    Contact(ContactCard),
    System { text: String },
    Unsupported { kind: String },
}

impl WaContent {
    pub fn text(s: impl Into<String>) -> Self {
        Self::Text { text: s.into() }
    }

    /// The body or caption.
    pub fn text_or_caption(&self) -> Option<&str> {
        match self {
            Self::Text { text } | Self::System { text } => Some(text),
            Self::Image { caption, .. } | Self::Video { caption, .. } | Self::Document { caption, .. } => {
                caption.as_deref()
            }
            _ => None,
        }
    }

    pub fn media(&self) -> Option<&WaMedia> {
        match self {
            Self::Image { media, .. }
            | Self::Video { media, .. }
            | Self::Audio { media }
            | Self::Document { media, .. }
            | Self::Sticker { media } => Some(media),
            _ => None,
        }
    }
}

/// A message received, synced from history, or sent from another own device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaMessage {
    pub key: MsgKey,
    pub ts: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,
    pub content: WaContent,
    /// The WhatsApp ID of the message this one quotes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default)]
    pub forwarded: bool,
    /// Receipt state for own messages in history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::model::MessageStatus>,
    #[serde(default)]
    pub starred: bool,
}

/// A message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub content: WaContent,
    pub reply_to: Option<MsgKey>,
    /// What the quoted message says (WhatsApp shows the quote from a copy).
    pub quoted: Option<WaContent>,
    pub forwarded: bool,
    /// The WhatsApp message ID to use (derived from an idempotency key, so a retried
    /// send is the same message); the backend makes one up when `None`.
    pub id: Option<String>,
}

/// What the network says about a message it accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub id: String,
    pub ts: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptKind {
    Delivered,
    Read,
    Played,
}

/// Typing state in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatState {
    Typing,
    Recording,
    Paused,
}

/// Chat and message state that WhatsApp syncs between devices (app state).
#[derive(Debug, Clone, PartialEq)]
pub enum AppStateChange {
    Archive {
        chat: Jid,
        archived: bool,
    },
    Pin {
        chat: Jid,
        pinned: bool,
    },
    /// `until: None` unmutes; `Some(-1)` mutes for ever.
    Mute {
        chat: Jid,
        until: Option<Millis>,
    },
    MarkUnread {
        chat: Jid,
        unread: bool,
    },
    Star {
        message: MsgKey,
        starred: bool,
    },
    DeleteChat {
        chat: Jid,
    },
    DeleteForMe {
        message: MsgKey,
    },
}

impl AppStateChange {
    /// The chat it concerns.
    pub fn chat(&self) -> &Jid {
        match self {
            Self::Archive { chat, .. }
            | Self::Pin { chat, .. }
            | Self::Mute { chat, .. }
            | Self::MarkUnread { chat, .. }
            | Self::DeleteChat { chat } => chat,
            Self::Star { message, .. } | Self::DeleteForMe { message } => &message.chat,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberCheck {
    pub phone: Phone,
    /// The JID when the number is on WhatsApp.
    pub jid: Option<Jid>,
    #[serde(default)]
    pub is_business: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub id: String,
    pub bytes: Vec<u8>,
    pub mime: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    pub text: String,
    pub set_at: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Member,
    Admin,
    Superadmin,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Superadmin => "superadmin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "member" => Self::Member,
            "admin" => Self::Admin,
            "superadmin" => Self::Superadmin,
            _ => return None,
        })
    }
    pub fn is_admin(self) -> bool {
        !matches!(self, Self::Member)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaParticipant {
    pub jid: Jid,
    pub role: ParticipantRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaGroup {
    pub jid: Jid,
    pub subject: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub owner: Option<Jid>,
    #[serde(default)]
    pub created_at: Option<Millis>,
    pub participants: Vec<WaParticipant>,
    #[serde(default)]
    pub announce: bool,
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GroupChange {
    Subject(String),
    Description(Option<String>),
    Picture(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantAction {
    Add,
    Remove,
    Promote,
    Demote,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantResult {
    pub jid: Jid,
    /// `None` when it worked; otherwise why not (e.g. "not on WhatsApp", "not a participant").
    pub error: Option<String>,
}

/// What the network says about a person.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WaContact {
    pub pn: Option<Jid>,
    pub lid: Option<Jid>,
    #[serde(default)]
    pub saved_name: Option<String>,
    #[serde(default)]
    pub push_name: Option<String>,
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub is_business: bool,
}

/// Chat state as synced from the phone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WaChatMeta {
    pub jid: Option<Jid>,
    pub name: Option<String>,
    pub archived: bool,
    pub pinned_at: Option<Millis>,
    pub muted_until: Option<Millis>,
    pub unread_count: i64,
    pub marked_unread: bool,
    pub labels: Vec<String>,
    /// Whether the phone holds older messages than it sent (`None`: it did not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub older_on_phone: Option<bool>,
}

/// A page of history: pushed by the phone after pairing or on demand, listed by the
/// network (the groups this account is in), or imported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryBatch {
    pub contacts: Vec<WaContact>,
    pub groups: Vec<WaGroup>,
    pub chats: Vec<WaChatMeta>,
    pub messages: Vec<WaMessage>,
    /// Reactions in history: (target, reactor, emoji, ts).
    pub reactions: Vec<(MsgKey, Jid, String, Millis)>,
    /// The time the page's state describes (its groups, chat states and names): what
    /// the store learnt since, from live events, wins over it. 0 for imports, which
    /// only fill gaps.
    pub as_of: Millis,
    /// The network's word now (the groups listed at connect), not the past: it
    /// applies like live news.
    pub current: bool,
    /// Which chunk of the phone's history sync this is; `None` for pages that are
    /// not part of one (groups listed at connect, imports), which raise no event.
    pub chunk: Option<HistoryChunk>,
}

/// A chunk of the phone's history sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryChunk {
    /// WhatsApp's sync type, in snake case (`initial_bootstrap`, `recent`, `full`,
    /// `push_name`, `on_demand`, …).
    pub sync_type: String,
    /// Its place among the chunks of that sync, when the phone numbers them.
    pub order: Option<u32>,
    /// How far the phone's push got (0..=100).
    pub progress: Option<u8>,
    /// For an on-demand chunk, the request it answers.
    pub request: Option<String>,
}

impl HistoryChunk {
    pub fn on_demand(&self) -> bool {
        self.request.is_some() || self.sync_type == "on_demand"
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisconnectReason {
    /// The network dropped; reconnecting.
    Network,
    /// Closed on request.
    Requested,
    /// Another client took over this session.
    StreamReplaced,
    /// WhatsApp banned this account for a while.
    TemporaryBan { until: Option<Millis> },
    /// This client version is too old for WhatsApp.
    ClientOutdated,
    /// WhatsApp refused the connection for another reason and will not be retried.
    Refused { detail: String },
}

/// What happens on a WhatsApp account, as a backend reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum WaEvent {
    /// A fresh QR code to show (they rotate).
    PairingQr {
        code: String,
        valid_ms: u64,
    },
    /// The code to type on the phone.
    PairingCode {
        code: String,
    },
    /// The phone accepted this device.
    Paired {
        pn: Jid,
        lid: Option<Jid>,
        push_name: Option<String>,
    },
    /// Ran out of QR codes before a scan.
    PairingExpired,
    /// The phone answered, but pairing did not complete.
    PairingFailed {
        reason: String,
    },
    Connected,
    Disconnected(DisconnectReason),
    /// The backend opens a new connection (so any earlier one is gone).
    Connecting,
    /// A connection attempt failed before reaching WhatsApp (no network, DNS, a
    /// proxy, WhatsApp unavailable); the backend keeps trying.
    Unreachable {
        detail: String,
    },
    /// Unlinked from the phone.
    LoggedOut {
        reason: String,
    },
    History(HistoryBatch),
    Message(WaMessage),
    Edited {
        key: MsgKey,
        content: WaContent,
        ts: Millis,
    },
    Revoked {
        key: MsgKey,
        by: Option<Jid>,
        ts: Millis,
    },
    /// `emoji: None` removes the reaction.
    Reaction {
        target: MsgKey,
        from: Jid,
        from_me: bool,
        emoji: Option<String>,
        ts: Millis,
    },
    /// A message arrived that this device could not decrypt (WhatsApp's ID).
    Undecryptable {
        chat: Jid,
        sender: Jid,
        id: String,
        ts: Millis,
    },
    Receipt {
        chat: Jid,
        ids: Vec<String>,
        from: Jid,
        kind: ReceiptKind,
        ts: Millis,
    },
    ChatState {
        chat: Jid,
        from: Jid,
        state: ChatState,
        ts: Millis,
    },
    Presence {
        who: Jid,
        online: bool,
        last_seen: Option<Millis>,
        ts: Millis,
    },
    Contact(WaContact),
    /// A group was created (by us or someone who added us) or its metadata refreshed.
    Group {
        group: WaGroup,
        created: bool,
        by: Option<Jid>,
        ts: Millis,
    },
    GroupInfoChanged {
        group: Jid,
        change: GroupInfoChange,
        by: Option<Jid>,
        ts: Millis,
    },
    Participants {
        group: Jid,
        action: ParticipantAction,
        who: Vec<Jid>,
        by: Option<Jid>,
        ts: Millis,
    },
    /// App-state change made on another device (or echoed from ours).
    AppState {
        change: AppStateChange,
        ts: Millis,
    },
    /// The network revealed that a phone number and a LID are one person.
    IdentityLink {
        pn: Jid,
        lid: Jid,
    },
    /// Own profile changed (name, about).
    SelfProfile {
        push_name: Option<String>,
        about: Option<String>,
    },
    /// A person's security code changed (they reinstalled WhatsApp or moved phones):
    /// what was sent before was encrypted for their old keys.
    IdentityChanged {
        who: Jid,
        ts: Millis,
    },
    /// Catching up on what arrived while the account was offline.
    OfflineSync(OfflineSync),
    /// The chat settings synced from the phone (app state) failed for these
    /// collections; `fatal`: WhatsApp refused them, so they stay stale until the
    /// next connection.
    AppStateSyncFailed {
        collections: Vec<String>,
        fatal: bool,
    },
}

/// The offline queue's drain after a connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineSync {
    /// The server announced this much (`messages` of `total` items).
    Started { total: u32, messages: u32 },
    /// All of it arrived (`count` items).
    Done { count: u32 },
}

impl WaEvent {
    /// What kind of item this is and which one (a WhatsApp ID or a JID, never
    /// content), for the log and the record of items the store refused.
    pub fn label(&self) -> (&'static str, String) {
        match self {
            Self::Message(m) => ("message", m.key.id.clone()),
            Self::Edited { key, .. } => ("edit", key.id.clone()),
            Self::Revoked { key, .. } => ("revoke", key.id.clone()),
            Self::Reaction { target, .. } => ("reaction", target.id.clone()),
            Self::Undecryptable { id, .. } => ("undecryptable", id.clone()),
            Self::Receipt { chat, ids, .. } => ("receipt", format!("{chat} {}", ids.join(","))),
            Self::ChatState { chat, .. } => ("chat_state", chat.to_string()),
            Self::Presence { who, .. } => ("presence", who.to_string()),
            Self::Contact(c) => (
                "contact",
                c.pn.as_ref()
                    .or(c.lid.as_ref())
                    .map(|j| j.to_string())
                    .unwrap_or_default(),
            ),
            Self::Group { group, .. } => ("group", group.jid.to_string()),
            Self::GroupInfoChanged { group, .. } | Self::Participants { group, .. } => {
                ("group_change", group.to_string())
            }
            Self::AppState { change, .. } => ("app_state", change.chat().to_string()),
            Self::IdentityLink { pn, lid } => ("identity_link", format!("{pn} {lid}")),
            Self::IdentityChanged { who, .. } => ("identity_change", who.to_string()),
            Self::SelfProfile { .. } => ("own_profile", String::new()),
            Self::History(b) => ("history", format!("{} messages", b.messages.len())),
            Self::OfflineSync(_) => ("offline_sync", String::new()),
            Self::AppStateSyncFailed { collections, .. } => ("app_state_sync", collections.join(",")),
            Self::PairingQr { .. }
            | Self::PairingCode { .. }
            | Self::Paired { .. }
            | Self::PairingExpired
            | Self::PairingFailed { .. }
            | Self::Connected
            | Self::Disconnected(_)
            | Self::Connecting
            | Self::Unreachable { .. }
            | Self::LoggedOut { .. } => ("connection", String::new()),
        }
    }

    /// Whether this is a message or a change to one: what WhatsApp delivers again
    /// until it is acknowledged, so a failure to store it must not be acknowledged.
    pub fn is_message_data(&self) -> bool {
        matches!(
            self,
            Self::Message(_) | Self::Edited { .. } | Self::Revoked { .. } | Self::Reaction { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupInfoChange {
    Subject(String),
    Description(Option<String>),
    Picture,
    Announce(bool),
    Locked(bool),
}

/// Why a backend call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaError {
    #[error("the account is not connected")]
    NotConnected,
    #[error("the account is logged out")]
    LoggedOut,
    #[error("{0} is not on WhatsApp")]
    NotOnWhatsApp(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    NotAllowed(String),
    #[error("{0}")]
    Invalid(String),
    #[error("WhatsApp is rate-limiting this account; retry in {retry_after_ms} ms")]
    RateLimited { retry_after_ms: u64 },
    #[error("WhatsApp did not answer in time")]
    Timeout,
    /// WhatsApp refused the message (a nack) with this code; it went out as `id` at `ts`.
    #[error("WhatsApp refused the message (error {code})")]
    SendFailed { id: String, code: String, ts: Millis },
    /// The CDN no longer has the media (its reference expired or was revoked).
    #[error("{0}")]
    MediaExpired(String),
    /// The account's primary phone did not answer in time (it may be off or offline).
    #[error("the phone did not answer in time")]
    PhoneUnreachable,
    #[error("{0}")]
    Other(String),
}
