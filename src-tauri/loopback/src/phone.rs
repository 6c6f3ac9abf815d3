//! A person's primary phone: a real `whatsapp-rust` client, its Signal identity
//! and sessions in memory, logged in to the network as device 0 of its number.
//! What it sends, the library encrypts (pkmsg, then msg; skmsg in groups after
//! it distributed its sender key); what it receives, the library decrypts, and
//! the phone keeps it in its [`Inbox`] for tests to read.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::Notify;
use whatsapp_rust::bot::Bot;
use whatsapp_rust::store::traits::{AppSyncStore, DeviceStore};
use whatsapp_rust::types::events::{Event, EventHandler};
use whatsapp_rust::wacore::libsignal::protocol::KeyPair;
use whatsapp_rust::wacore::store::in_memory::InMemoryBackend;
use whatsapp_rust::wacore::store::Device;
use whatsapp_rust::wacore_binary::{Jid, JidExt as _};
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Client;

use crate::chats::{ChatCopy, Chats};
use crate::history::{self, HistoryChat, SyncKind};
use crate::media;
use crate::media_retry::{self, Kept, Refusal};
use crate::{ControlError, Network};
use whatsapp_rust::download::{Downloadable, MediaType};
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::UploadOptions;

/// A message the phone received, decrypted.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub id: String,
    pub chat: String,
    pub from: String,
    pub text: Option<String>,
    /// The kind of content when it is not plain text (`image`, `reaction`, …).
    pub kind: String,
    pub timestamp: i64,
}

/// A receipt the phone received for one of its messages.
#[derive(Debug, Clone, Serialize)]
pub struct ReceiptSeen {
    pub ids: Vec<String>,
    pub from: String,
    pub kind: String,
}

/// A star the phone synced from the account's other devices, as its index named it.
#[derive(Debug, Clone, Serialize)]
pub struct StarSeen {
    pub chat: String,
    pub message_id: String,
    pub from_me: bool,
    /// The index's participant slot: `None` when it was "0".
    pub participant: Option<String>,
    pub starred: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Inbox {
    pub messages: Vec<Received>,
    pub receipts: Vec<ReceiptSeen>,
    pub undecryptable: Vec<String>,
    pub stars: Vec<StarSeen>,
}

pub struct Phone {
    pub pn: String,
    pub lid: String,
    pub name: String,
    client: Arc<Client>,
    raw: Raw,
    /// The account's identity key: it signs the devices this phone links.
    identity: KeyPair,
    inbox: Arc<Mutex<Inbox>>,
    arrived: Arc<Notify>,
    /// Its chats, as the account's chat actions left them.
    chats: Arc<Mutex<Chats>>,
    sync_key: SyncKey,
    /// Conversations kept for on-demand requests only.
    kept: Mutex<Vec<HistoryChat>>,
    /// How long the phone takes to answer its companions' requests.
    answer_delay: Mutex<Duration>,
    /// The media files it keeps (sent, or downloaded when received), by message ID.
    files: Arc<Mutex<std::collections::HashMap<String, Kept>>>,
    /// Conversations for the history sync after the next link.
    history: Mutex<Vec<HistoryChat>>,
    /// The client runs as long as the phone lives (or until [`Phone::stop`]).
    bot: Mutex<Option<whatsapp_rust::bot::BotHandle>>,
}

/// Received messages as they came, by ID (their media references).
type Raw = Arc<Mutex<std::collections::HashMap<String, wa::Message>>>;

/// A companion's request for older messages of a chat.
struct OnDemand {
    chat: String,
    before_ms: i64,
    count: usize,
}

struct Handler {
    on_demand: tokio::sync::mpsc::UnboundedSender<(String, OnDemand)>,
    /// Media messages received, for the phone to download and keep.
    to_keep: tokio::sync::mpsc::UnboundedSender<(String, wa::Message)>,
    raw: Raw,
    chats: Arc<Mutex<Chats>>,
    inbox: Arc<Mutex<Inbox>>,
    arrived: Arc<Notify>,
    connected: Arc<Notify>,
}

impl EventHandler for Handler {
    fn handle_event(&self, event: Arc<Event>) {
        match &*event {
            Event::Connected(_) => self.connected.notify_one(),
            Event::Messages(batch) => {
                let mut inbox = self.inbox.lock();
                for m in batch.messages.iter() {
                    if let Some(r) = on_demand_request(&m.message) {
                        let _ = self.on_demand.send((m.info.id.to_string(), r));
                    }
                    if media_of(unwrap(&m.message)).is_some() {
                        let _ = self.to_keep.send((m.info.id.to_string(), (*m.message).clone()));
                    }
                    let r = received(&m.message, &m.info);
                    if !matches!(r.kind.as_str(), "protocol" | "reaction") {
                        self.chats.lock().message(&r.chat, &r.id, r.timestamp);
                    }
                    inbox.messages.push(r);
                    self.raw.lock().insert(m.info.id.to_string(), (*m.message).clone());
                }
            }
            Event::Receipt(r) => self.inbox.lock().receipts.push(ReceiptSeen {
                ids: r.message_ids.iter().map(|i| i.to_string()).collect(),
                from: r.source.sender.to_string(),
                kind: format!("{:?}", r.r#type).to_lowercase(),
            }),
            Event::UndecryptableMessage(u) => self.inbox.lock().undecryptable.push(u.info.id.to_string()),
            Event::StarUpdate(s) => self.inbox.lock().stars.push(StarSeen {
                chat: s.chat_jid.to_string(),
                message_id: s.message_id.clone(),
                from_me: s.from_me,
                participant: s.participant_jid.as_ref().map(|j| j.to_string()),
                starred: s.action.starred.unwrap_or(false),
            }),
            Event::ArchiveUpdate(a) => self.chats.lock().archive(&a.jid.to_string(), &a.action),
            Event::MarkChatAsReadUpdate(r) => self.chats.lock().mark_read(&r.jid.to_string(), &r.action),
            Event::DeleteChatUpdate(d) => self.chats.lock().delete(&d.jid.to_string(), &d.action),
            _ => return,
        }
        self.arrived.notify_waiters();
    }
}

fn received(m: &wa::Message, info: &whatsapp_rust::types::message::MessageInfo) -> Received {
    let m = unwrap(m);
    let text = m
        .conversation
        .clone()
        .or_else(|| m.extended_text_message.as_option().and_then(|e| e.text.clone()));
    let kind = if text.is_some() {
        "text"
    } else if let Some((kind, _)) = media_of(m) {
        kind
    } else if m.reaction_message.is_set() {
        "reaction"
    } else if m.protocol_message.is_set() {
        "protocol"
    } else {
        "other"
    };
    Received {
        id: info.id.to_string(),
        chat: info.source.chat.to_string(),
        from: info.source.sender.to_string(),
        text,
        kind: kind.into(),
        timestamp: info.timestamp.timestamp(),
    }
}

/// A companion's peer request for older history, if `m` is one.
fn on_demand_request(m: &wa::Message) -> Option<OnDemand> {
    let pdo = m
        .protocol_message
        .as_option()?
        .peer_data_operation_request_message
        .as_option()?;
    if pdo.peer_data_operation_request_type != Some(wa::message::PeerDataOperationRequestType::HISTORY_SYNC_ON_DEMAND) {
        return None;
    }
    let r = pdo.history_sync_on_demand_request.as_option()?;
    Some(OnDemand {
        chat: r.chat_jid.clone()?,
        before_ms: r.oldest_msg_timestamp_ms?,
        count: r.on_demand_msg_count.unwrap_or(50).clamp(1, 500) as usize,
    })
}

/// The media a message carries, with its kind.
fn media_of(m: &wa::Message) -> Option<(&'static str, &dyn Downloadable)> {
    if let Some(i) = m.image_message.as_option() {
        Some(("image", i))
    } else if let Some(v) = m.video_message.as_option() {
        Some(("video", v))
    } else if let Some(a) = m.audio_message.as_option() {
        Some(("audio", a))
    } else if let Some(d) = m.document_message.as_option() {
        Some(("document", d))
    } else {
        m.sticker_message
            .as_option()
            .map(|s| ("sticker", s as &dyn Downloadable))
    }
}

/// The message inside a device-sent wrapper (what our own devices send the phone).
fn unwrap(m: &wa::Message) -> &wa::Message {
    m.device_sent_message
        .as_option()
        .and_then(|d| d.message.as_option())
        .unwrap_or(m)
}

impl Phone {
    /// Starts the phone's client and waits until it is logged in.
    pub(crate) async fn start(net: Network, pn: &str, lid: &str, name: &str) -> Result<Arc<Self>, ControlError> {
        let failed = |what: &str, e: &dyn std::fmt::Display| ControlError::Failed(format!("{what}: {e}"));
        let backend = InMemoryBackend::new();
        let mut device = Device::new();
        device.pn = Some(Jid::pn(pn));
        device.lid = Some(Jid::lid(lid));
        device.push_name = name.to_owned();
        backend
            .save(&device)
            .await
            .map_err(|e| failed("the phone's store", &e))?;
        // The account's app-state key: the phone makes it, and shares it with
        // each device it links, so their patches decrypt on both sides.
        let sync_key = SyncKey::new();
        backend
            .set_sync_key(&sync_key.id, sync_key.stored())
            .await
            .map_err(|e| failed("the phone's store", &e))?;
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let chats = Arc::new(Mutex::new(Chats::default()));
        let raw = Raw::default();
        let (on_demand, mut requests) = tokio::sync::mpsc::unbounded_channel();
        let (to_keep, mut keeping) = tokio::sync::mpsc::unbounded_channel::<(String, wa::Message)>();
        let arrived = Arc::new(Notify::new());
        let connected = Arc::new(Notify::new());
        let bot = Bot::builder()
            .with_backend(backend)
            .with_transport_factory(net.clone())
            .with_http_client(crate::cdn::LoopbackHttp::default())
            .with_event_handler(Handler {
                on_demand,
                to_keep,
                raw: raw.clone(),
                chats: chats.clone(),
                inbox: inbox.clone(),
                arrived: arrived.clone(),
                connected: connected.clone(),
            })
            .with_version((2, 3000, 1_000_000_000))
            .build()
            .await
            .map_err(|e| failed("the phone's client", &e))?;
        let client = bot.client();
        let waiting = connected.notified();
        let handle = bot.spawn();
        tokio::time::timeout(Duration::from_secs(20), waiting)
            .await
            .map_err(|_| ControlError::Failed(format!("the phone of +{pn} did not log in")))?;
        let phone = Arc::new(Self {
            pn: pn.into(),
            lid: lid.into(),
            name: name.into(),
            client,
            raw,
            identity: device.identity_key.clone(),
            inbox,
            arrived,
            chats,
            history: Mutex::default(),
            kept: Mutex::default(),
            answer_delay: Mutex::default(),
            files: Arc::default(),
            sync_key,
            bot: Mutex::new(Some(handle)),
        });
        // Like a phone's auto-download: media it receives is kept, to upload again
        // when a companion finds the CDN's copy expired.
        let keeper = Arc::downgrade(&phone);
        tokio::spawn(async move {
            while let Some((id, m)) = keeping.recv().await {
                let Some(phone) = keeper.upgrade() else { break };
                let Some((_, media)) = media_of(unwrap(&m)) else {
                    continue;
                };
                let Some(key) = media.media_key().and_then(|k| <[u8; 32]>::try_from(k).ok()) else {
                    continue;
                };
                match phone.client.download(media).await {
                    Ok(bytes) => {
                        let kept = Kept {
                            bytes,
                            media_key: key,
                            media_type: media.app_info(),
                        };
                        phone.files.lock().insert(id, kept);
                    }
                    Err(e) => tracing::warn!(phone = %phone.pn, "keeping the media of {id}: {e}"),
                }
            }
        });
        let answering = Arc::downgrade(&phone);
        tokio::spawn(async move {
            while let Some((id, req)) = requests.recv().await {
                let Some(phone) = answering.upgrade() else { break };
                phone.answer_on_demand(&net, id, req).await;
            }
        });
        Ok(phone)
    }

    /// Turns the phone off: its client disconnects and stops.
    pub async fn stop(&self) {
        let handle = self.bot.lock().take();
        if let Some(h) = handle {
            h.shutdown().await;
        }
    }

    pub fn identity(&self) -> KeyPair {
        self.identity.clone()
    }

    pub fn queue_history(&self, chats: Vec<HistoryChat>) {
        self.history.lock().extend(chats);
    }

    /// Keeps conversations on the phone only: sent when a companion asks for
    /// older messages (an on-demand request), never in a sync of their own.
    pub fn keep_for_on_demand(&self, chats: Vec<HistoryChat>) {
        self.kept.lock().extend(chats);
    }

    /// Answers a companion's on-demand request, as a CDN chunk that names it.
    /// The phone takes `delay` to answer its companions' requests from now on (a
    /// phone that is slow, or off for a while).
    pub fn set_answer_delay(&self, delay: Duration) {
        *self.answer_delay.lock() = delay;
    }

    async fn answer_on_demand(&self, net: &Network, request_id: String, req: OnDemand) {
        let delay = *self.answer_delay.lock();
        tokio::time::sleep(delay).await;
        let chat = {
            let kept = self.kept.lock();
            history::older(&kept, &req.chat, req.before_ms, req.count)
        };
        let chats: Vec<HistoryChat> = chat.into_iter().collect();
        if let Err(e) = self
            .push_history_for(net, SyncKind::OnDemand, &chats, false, Some(request_id))
            .await
        {
            tracing::warn!(phone = %self.pn, "on-demand history: {e}");
        }
    }

    /// A companion was linked: once it is online, the phone sends it the
    /// bootstrap history, inline, as WhatsApp's phones do: every message when the
    /// companion asked for a full sync, else each chat's newest
    /// [`history::RECENT_PER_CHAT`] (the older ones stay on the phone, for the
    /// companion to ask for on demand).
    pub(crate) fn linked(self: &Arc<Self>, net: &Network, full_sync: bool) {
        let phone = self.clone();
        let net = net.clone();
        tokio::spawn(async move {
            if !net.wait_companion_online(&phone.pn, Duration::from_secs(30)).await {
                tracing::warn!(phone = %phone.pn, "history sync: the companion never came online");
                return;
            }
            if let Err(e) = phone.send(&format!("+{}", phone.pn), phone.sync_key.share()).await {
                tracing::warn!(phone = %phone.pn, "sharing the app-state key: {e}");
            }
            let queued = std::mem::take(&mut *phone.history.lock());
            let (chats, older) = if full_sync {
                let all = queued
                    .into_iter()
                    .map(|c| HistoryChat {
                        more_on_phone: Some(false),
                        ..c
                    })
                    .collect();
                (all, Vec::new())
            } else {
                history::split_recent(queued)
            };
            phone.kept.lock().extend(older);
            if let Err(e) = phone.push_history(&net, SyncKind::InitialBootstrap, &chats, true).await {
                tracing::warn!(phone = %phone.pn, "history sync: {e}");
            }
        });
    }

    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    pub fn inbox(&self) -> Inbox {
        self.inbox.lock().clone()
    }

    /// The phone's copy of a chat (`+1555…` or a group JID): its messages, and what
    /// the account's chat actions did to it.
    pub fn chat(&self, chat: &str) -> Result<ChatCopy, ControlError> {
        Ok(self.chats.lock().get(&chat_jid(chat)?.to_string()))
    }

    /// Waits until the inbox holds a message `done` accepts.
    pub async fn wait_message(&self, timeout: Duration, done: impl Fn(&Received) -> bool) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.arrived.notified();
            if let Some(m) = self.inbox.lock().messages.iter().find(|m| done(m)).cloned() {
                return Some(m);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }

    /// Sends the companions of this phone's account a history chunk of `chats`:
    /// inline (the bootstrap right after a link) or as a blob on the CDN.
    pub async fn push_history(
        &self,
        net: &Network,
        kind: SyncKind,
        chats: &[HistoryChat],
        inline: bool,
    ) -> Result<String, ControlError> {
        self.push_history_for(net, kind, chats, inline, None).await
    }

    async fn push_history_for(
        &self,
        net: &Network,
        kind: SyncKind,
        chats: &[HistoryChat],
        inline: bool,
        request: Option<String>,
    ) -> Result<String, ControlError> {
        let bytes = history::compressed(kind, chats, net);
        let message = if inline {
            history::notification(kind, Some(bytes), None, request)
        } else {
            let up = self
                .client
                .upload(bytes, MediaType::History, UploadOptions::default())
                .await
                .map_err(|e| ControlError::Failed(format!("the phone could not upload its history: {e}")))?;
            history::notification(
                kind,
                None,
                Some(&history::Uploaded {
                    direct_path: up.direct_path,
                    media_key: up.media_key.to_vec(),
                    file_sha256: up.file_sha256.to_vec(),
                    file_enc_sha256: up.file_enc_sha256.to_vec(),
                    file_length: up.file_length,
                }),
                request,
            )
        };
        // To its own account: the library encrypts it to the companion devices.
        let id = self.send(&format!("+{}", self.pn), message).await?;
        tracing::debug!(phone = %self.pn, %id, inline, "history sync sent");
        Ok(id)
    }

    /// The person goes online or offline (what subscribers to their presence hear).
    pub async fn set_online(&self, online: bool) -> Result<(), ControlError> {
        let presence = self.client.presence();
        let done = if online {
            presence.set_available().await
        } else {
            presence.set_unavailable().await
        };
        done.map_err(|e| ControlError::Failed(format!("presence: {e}")))
    }

    /// Sends media: uploaded encrypted to the CDN, then the message referring to it.
    pub async fn send_media(
        &self,
        to: &str,
        kind: media::Kind,
        bytes: Vec<u8>,
        mime: &str,
        caption: Option<String>,
    ) -> Result<String, ControlError> {
        let up = self
            .client
            .upload(bytes.clone(), kind.media_type(), UploadOptions::default())
            .await
            .map_err(|e| ControlError::Failed(format!("the phone could not upload: {e}")))?;
        let kept = Kept {
            bytes,
            media_key: up.media_key,
            media_type: kind.media_type(),
        };
        let id = self.send(to, media::message(kind, up, mime, caption)).await?;
        self.files.lock().insert(id.clone(), kept);
        Ok(id)
    }

    /// Whether the phone keeps the media of message `id` (it downloads what it
    /// receives in the background).
    pub fn has_file(&self, id: &str) -> bool {
        self.files.lock().contains_key(id)
    }

    /// The phone no longer has the media of message `id` (deleted, or a new phone).
    pub fn lose_file(&self, id: &str) -> bool {
        self.files.lock().remove(id).is_some()
    }

    /// A companion asks for the media of message `id` again (its CDN copy expired):
    /// the notification that answers it, for `to` (the companion).
    pub(crate) async fn media_retry(&self, id: &str, to: &str, enc_p: &[u8], enc_iv: &[u8]) -> Node {
        let kept = self.files.lock().get(id).cloned();
        let Some(kept) = kept else {
            return media_retry::notification(id, to, None, Err(Refusal::NotFound));
        };
        let outcome = match media_retry::check_request(&kept.media_key, id, enc_iv, enc_p) {
            Err(refusal) => Err(refusal),
            Ok(()) => self
                .client
                .upload(
                    kept.bytes.clone(),
                    kept.media_type,
                    UploadOptions::default().with_media_key(kept.media_key),
                )
                .await
                .map(|up| up.direct_path)
                .map_err(|e| {
                    tracing::warn!(phone = %self.pn, "uploading {id} again: {e}");
                    Refusal::NotFound
                }),
        };
        media_retry::notification(id, to, Some(&kept.media_key), outcome)
    }

    /// Downloads and decrypts the media of a message this phone received.
    pub async fn download(&self, id: &str) -> Result<Vec<u8>, ControlError> {
        let m = self
            .raw
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| ControlError::NotFound(format!("the phone has no message {id}")))?;
        let Some((_, media)) = media_of(unwrap(&m)) else {
            return Err(ControlError::BadRequest(format!("message {id} has no media")));
        };
        self.client
            .download(media)
            .await
            .map_err(|e| ControlError::Failed(format!("download: {e}")))
    }

    /// Changes app state on the phone: a chat's mute, archive, pin or read state
    /// (`value`: on or off), a star on a message someone sent in it (`value`: its
    /// WhatsApp ID), or the contact's name in the address book (`value`: the name).
    /// The library makes the patch, and the account's companions sync it.
    pub async fn chat_action(&self, action: &str, chat: &str, value: &serde_json::Value) -> Result<(), ControlError> {
        let jid = chat_jid(chat)?;
        let actions = self.client.chat_actions();
        let on = || {
            value
                .as_bool()
                .ok_or_else(|| ControlError::BadRequest(format!("{action} takes \"value\": true or false")))
        };
        let text = || {
            value
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| ControlError::BadRequest(format!("{action} takes a string \"value\"")))
        };
        let done = match action {
            "mute" if on()? => actions.mute_chat(&jid).await,
            "mute" => actions.unmute_chat(&jid).await,
            "archive" if on()? => actions.archive_chat(&jid, None).await,
            "archive" => actions.unarchive_chat(&jid, None).await,
            "pin" if on()? => actions.pin_chat(&jid).await,
            "pin" => actions.unpin_chat(&jid).await,
            "mark_read" => actions.mark_chat_as_read(&jid, on()?, None).await,
            // A message the other side of a 1:1 chat sent (the index names no author).
            "star" if jid.is_group() => {
                return Err(ControlError::BadRequest(
                    "star is for 1:1 chats here (a group's needs the author)".into(),
                ))
            }
            "star" => actions.star_message(&jid, None, &text()?, false).await,
            "contact_name" => actions.save_contact(&jid, Some(text()?), None, true).await,
            _ => {
                return Err(ControlError::BadRequest(format!(
                    "action is mute, archive, pin, mark_read, star or contact_name, not {action:?}"
                )))
            }
        };
        done.map_err(|e| ControlError::Failed(format!("the phone could not {action}: {e}")))
    }

    /// Sends a text to a person (`+1555…`) or a group (`…@g.us`); the message's ID.
    pub async fn send_text(&self, to: &str, text: &str) -> Result<String, ControlError> {
        self.send(
            to,
            wa::Message {
                conversation: Some(text.to_owned()),
                ..Default::default()
            },
        )
        .await
    }

    pub async fn send(&self, to: &str, message: wa::Message) -> Result<String, ControlError> {
        let jid = chat_jid(to)?;
        let protocol = message.protocol_message.is_set();
        let sent = self
            .client
            .send_message(jid.clone(), message)
            .await
            .map_err(|e| ControlError::Failed(format!("the phone could not send: {e}")))?;
        let id = sent.message_id.to_string();
        if !protocol {
            self.chats
                .lock()
                .message(&jid.to_string(), &id, crate::now_secs() as i64);
        }
        Ok(id)
    }
}

/// An app-state sync key (what WhatsApp's phones make and share).
struct SyncKey {
    id: Vec<u8>,
    data: Vec<u8>,
    fingerprint: wa::message::AppStateSyncKeyFingerprint,
    timestamp: i64,
}

impl SyncKey {
    fn new() -> Self {
        Self {
            id: rand::random::<[u8; 6]>().to_vec(),
            data: rand::random::<[u8; 32]>().to_vec(),
            fingerprint: wa::message::AppStateSyncKeyFingerprint {
                raw_id: Some(rand::random()),
                current_index: Some(0),
                device_indexes: vec![0],
            },
            timestamp: crate::now_secs() as i64 * 1000,
        }
    }

    fn stored(&self) -> whatsapp_rust::store::traits::AppStateSyncKey {
        use whatsapp_rust::buffa::Message as _;
        whatsapp_rust::store::traits::AppStateSyncKey {
            key_data: self.data.clone(),
            fingerprint: self.fingerprint.encode_to_vec(),
            timestamp: self.timestamp,
        }
    }

    /// The protocol message that hands the key to the account's companions.
    fn share(&self) -> wa::Message {
        use whatsapp_rust::buffa::MessageField;
        let key = wa::message::AppStateSyncKey {
            key_id: MessageField::some(wa::message::AppStateSyncKeyId {
                key_id: Some(self.id.clone()),
            }),
            key_data: MessageField::some(wa::message::AppStateSyncKeyData {
                key_data: Some(self.data.clone()),
                fingerprint: MessageField::some(self.fingerprint.clone()),
                timestamp: Some(self.timestamp),
            }),
        };
        wa::Message {
            protocol_message: MessageField::some(wa::message::ProtocolMessage {
                r#type: Some(wa::message::protocol_message::Type::APP_STATE_SYNC_KEY_SHARE),
                app_state_sync_key_share: MessageField::some(wa::message::AppStateSyncKeyShare { keys: vec![key] }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

/// A chat as the control API names it: a number or a group JID.
pub fn chat_jid(to: &str) -> Result<Jid, ControlError> {
    if to.ends_with("@g.us") || to.ends_with("@s.whatsapp.net") || to.ends_with("@lid") {
        return to
            .parse()
            .map_err(|_| ControlError::BadRequest(format!("not a chat: {to:?}")));
    }
    Ok(Jid::pn(crate::digits(to)?))
}
