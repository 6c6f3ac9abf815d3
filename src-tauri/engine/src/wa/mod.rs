//! The WhatsApp side: one trait for everything an account does, implemented by the
//! live network (`whatsapp-rust`) and by the sandbox network (simulated, for test keys).
//!
//! Backends speak JIDs and WhatsApp message IDs; the engine maps them to typed IDs,
//! keeps the store, and turns [`WaEvent`]s into product events.

mod jid;
pub mod live;
pub mod redact;
pub mod sandbox;
mod types;

use std::sync::Arc;

use async_trait::async_trait;

pub use jid::{Jid, JidError, BROADCAST_SERVER, GROUP_SERVER, LID_SERVER, NEWSLETTER_SERVER, USER_SERVER};
pub use types::*;

use crate::ids::AccountId;
use crate::model::AccountKind;
use crate::phone::Phone;

/// A WhatsApp network: where accounts are paired and sessions live.
#[async_trait]
pub trait WaNetwork: Send + Sync + 'static {
    fn kind(&self) -> AccountKind;

    /// Starts pairing a new device for `account`. QR codes or the pairing code, then
    /// `Paired`/`Connected` (or `PairingExpired`), arrive on `events`.
    async fn pair(
        &self,
        account: &AccountId,
        method: PairMethod,
        events: EventSink,
    ) -> Result<Arc<dyn WaClient>, WaError>;

    /// Resumes the session of an account paired before.
    async fn connect(&self, account: &AccountId, events: EventSink) -> Result<Arc<dyn WaClient>, WaError>;

    /// Drops everything the network keeps for `account` (device identity, session keys).
    async fn forget(&self, account: &AccountId) -> Result<(), WaError>;
}

/// Everything one WhatsApp account does. Every method fails with
/// [`WaError::NotConnected`] while the session is down.
#[async_trait]
pub trait WaClient: Send + Sync + 'static {
    /// Closes the connection; the device stays paired.
    async fn disconnect(&self);
    /// Whether this session comes back by itself after a network drop (so the
    /// account manager must not start a second one).
    fn reconnects_itself(&self) -> bool {
        false
    }
    /// Unlinks this device from the phone.
    async fn logout(&self) -> Result<(), WaError>;

    // Messages
    async fn send(&self, chat: &Jid, message: &Outgoing) -> Result<Sent, WaError>;
    async fn edit(&self, target: &MsgKey, new_text: &str) -> Result<Millis, WaError>;
    async fn revoke(&self, target: &MsgKey) -> Result<Millis, WaError>;
    /// Sets (or with `None` removes) this account's reaction.
    async fn react(&self, target: &MsgKey, emoji: Option<&str>) -> Result<Millis, WaError>;
    /// Sends read receipts for `messages` of one chat.
    async fn mark_read(&self, chat: &Jid, messages: &[MsgKey]) -> Result<(), WaError>;
    /// Archive, pin, mute, star, mark unread, delete: synced to the phone and other devices.
    async fn apply(&self, change: &AppStateChange) -> Result<(), WaError>;

    // Contacts
    async fn check_numbers(&self, phones: &[Phone]) -> Result<Vec<NumberCheck>, WaError>;
    async fn profile_picture(&self, who: &Jid) -> Result<Option<Picture>, WaError>;
    async fn about(&self, who: &Jid) -> Result<Option<About>, WaError>;

    // Presence
    async fn set_presence(&self, online: bool) -> Result<(), WaError>;
    async fn send_chat_state(&self, chat: &Jid, state: ChatState) -> Result<(), WaError>;
    /// Asks to be told about `who`'s presence; the answer comes as `WaEvent::Presence`.
    async fn subscribe_presence(&self, who: &Jid) -> Result<(), WaError>;

    // Groups
    async fn create_group(&self, subject: &str, participants: &[Jid]) -> Result<WaGroup, WaError>;
    async fn group_info(&self, group: &Jid) -> Result<WaGroup, WaError>;
    async fn update_group(&self, group: &Jid, change: &GroupChange) -> Result<(), WaError>;
    async fn change_participants(
        &self,
        group: &Jid,
        action: ParticipantAction,
        who: &[Jid],
    ) -> Result<Vec<ParticipantResult>, WaError>;
    /// The invite link code; `reset` revokes the old one first.
    async fn invite_code(&self, group: &Jid, reset: bool) -> Result<String, WaError>;
    async fn leave_group(&self, group: &Jid) -> Result<(), WaError>;

    // Own profile
    async fn set_push_name(&self, name: &str) -> Result<(), WaError>;
    async fn set_about(&self, about: &str) -> Result<(), WaError>;
    async fn set_profile_picture(&self, jpeg: &[u8]) -> Result<(), WaError>;

    // Media
    /// Fetches (and decrypts) the bytes of received media.
    async fn download(&self, media: &RemoteMedia) -> Result<Vec<u8>, WaError>;
    /// Asks the account's primary phone to upload the media of `message` again (its
    /// CDN copy expired): where it is now. `MediaExpired` when the phone no longer
    /// has the file, `PhoneUnreachable` when it did not answer.
    async fn reupload(&self, media: &RemoteMedia, message: &MsgKey) -> Result<RemoteMedia, WaError>;

    // History
    /// Asks the account's primary phone for up to `count` messages of `chat` older
    /// than `oldest` (its key and time; `None`: the chat has none here). The answer
    /// comes later as a page of history whose chunk names the returned request ID.
    async fn request_older(&self, chat: &Jid, oldest: Option<(&MsgKey, Millis)>, count: u32)
        -> Result<String, WaError>;
}

/// Where a backend delivers the events of one account. Bounded: a backend that
/// outruns the engine waits rather than growing memory.
#[derive(Clone)]
pub struct EventSink {
    pub account: AccountId,
    tx: tokio::sync::mpsc::Sender<Delivery>,
}

/// One event on its way to the engine; `stored` hears whether everything
/// delivered since the previous such answer was applied to the store.
pub struct Delivery {
    pub event: WaEvent,
    pub stored: Option<tokio::sync::oneshot::Sender<bool>>,
}

impl EventSink {
    /// A sink and the engine's end of it.
    pub fn channel(account: AccountId, capacity: usize) -> (Self, tokio::sync::mpsc::Receiver<Delivery>) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        (Self { account, tx }, rx)
    }

    /// Delivers one event; `false` once the engine stopped listening.
    pub async fn emit(&self, event: WaEvent) -> bool {
        self.tx.send(Delivery { event, stored: None }).await.is_ok()
    }

    /// Delivers events and waits until the engine has stored them: `true` only
    /// when every one was applied (a backend acknowledges WhatsApp only then).
    pub async fn emit_stored(&self, events: Vec<WaEvent>) -> bool {
        let Some((last, rest)) = events.split_last() else {
            return true;
        };
        for e in rest {
            if !self.emit(e.clone()).await {
                return false;
            }
        }
        let (done, stored) = tokio::sync::oneshot::channel();
        let sent = self
            .tx
            .send(Delivery {
                event: last.clone(),
                stored: Some(done),
            })
            .await;
        sent.is_ok() && stored.await.unwrap_or(false)
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

use crate::time::Millis;
