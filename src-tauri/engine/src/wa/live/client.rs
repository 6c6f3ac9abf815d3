//! One live account's session: every [`WaClient`] call as a `whatsapp-rust` call.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;
use whatsapp_rust::bot::BotHandle;
use whatsapp_rust::download::DownloadParams;
use whatsapp_rust::features::{
    message_key, message_range, ChatStateType, GroupCreateOptions, GroupDescription, GroupParticipantOptions,
    GroupSubject, PreviousDescription, SyncActionMessageRange,
};
use whatsapp_rust::send::{RevokeType, SendOptions};
use whatsapp_rust::upload::UploadOptions;
use whatsapp_rust::wacore::iq::devices::RemoveCompanionDeviceSpec;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Client;

use super::convert::content::{self, Cdn};
use super::convert::{errors, groups, jid, lib_jid};
use super::pump;
use crate::phone::Phone;
use crate::store::Store;
use crate::time::{now_ms, Millis};
use crate::wa::*;

/// How long a graceful disconnect may take (it flushes keys and receipts) before
/// the session is cut.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub struct LiveClient {
    client: Arc<Client>,
    handle: Mutex<Option<BotHandle>>,
    store: Store,
    /// For what a call learns on the side (a number's LID, a group's members).
    sink: EventSink,
    acks: Arc<super::acks::Acks>,
}

impl LiveClient {
    pub(super) fn new(
        client: Arc<Client>,
        handle: BotHandle,
        store: Store,
        sink: EventSink,
        acks: Arc<super::acks::Acks>,
    ) -> Self {
        Self {
            client,
            handle: Mutex::new(Some(handle)),
            store,
            sink,
            acks,
        }
    }

    fn connected(&self) -> Result<(), WaError> {
        if self.client.is_connected() && self.client.is_logged_in() {
            Ok(())
        } else {
            Err(WaError::NotConnected)
        }
    }

    async fn learn(&self, events: Vec<WaEvent>) {
        for e in events {
            self.sink.emit(e).await;
        }
    }

    /// Where the bytes of outgoing media are on WhatsApp's CDN: uploaded now from
    /// our store, or where they already were (forwarding what was received).
    async fn cdn_for(&self, media: &WaMedia, kind: &str) -> Result<Cdn, WaError> {
        match &media.blob {
            MediaBlob::Remote(r) => Cdn::of_remote(r)
                .ok_or_else(|| WaError::Invalid("this media was never downloadable from WhatsApp".into())),
            MediaBlob::Local { id } => {
                let store = self.store.clone();
                let id = id.clone();
                let bytes = tokio::task::spawn_blocking(move || store.read(|c| crate::store::media::read_all(c, &id)))
                    .await
                    .map_err(|e| WaError::Other(e.to_string()))?
                    .map_err(|e| WaError::Other(format!("could not read the media to send: {e}")))?;
                let uploaded = self
                    .client
                    .upload(bytes, content::media_type(kind)?, UploadOptions::default())
                    .await
                    .map_err(|e| errors::any(&e))?;
                Ok(Cdn::of_upload(uploaded))
            }
        }
    }

    /// The messages a chat action covers, as WhatsApp's phone checks them: the chat's
    /// newest message (its key and time, in seconds). A chat with no message here
    /// covers up to now, as WhatsApp's own clients write it.
    fn range(&self, chat: &Jid) -> Result<SyncActionMessageRange, WaError> {
        let account = &self.sink.account;
        let newest = self
            .store
            .read(|c| match crate::store::chats::find_by_jid(c, account, chat)? {
                Some(found) => crate::store::messages::newest_key(c, &found.id),
                None => Ok(None),
            })
            .map_err(|e| WaError::Other(format!("could not read the chat's newest message: {e}")))?;
        Ok(match newest {
            Some((key, (ts, _))) => message_range(ts / 1000, None, vec![(Self::target_key(&key), ts / 1000)]),
            None => message_range(now_ms() / 1000, None, Vec::new()),
        })
    }

    fn target_key(target: &MsgKey) -> wa::MessageKey {
        let chat = lib_jid(&target.chat);
        let participant = target.sender.as_ref().filter(|_| target.chat.is_group()).map(lib_jid);
        message_key(target.id.clone(), &chat, target.from_me, participant.as_ref())
    }
}

#[async_trait]
impl WaClient for LiveClient {
    async fn disconnect(&self) {
        let Some(handle) = self.handle.lock().await.take() else {
            return;
        };
        let client = handle.client();
        if tokio::time::timeout(SHUTDOWN_GRACE, handle.shutdown()).await.is_err() {
            tracing::warn!(account = %self.sink.account, "the WhatsApp session did not close in time; cut");
            client.signal_shutdown_sync();
        }
    }

    fn reconnects_itself(&self) -> bool {
        true
    }

    /// Asks WhatsApp to unlink this device, and says whether it did. The library's
    /// own `logout` (0.7.0) swallows a failed unlink and tears the session down
    /// anyway; here the session stays until the server confirmed (the account
    /// manager then ends it and forgets the keys).
    async fn logout(&self) -> Result<(), WaError> {
        self.connected()?;
        let me = self.client.pn().ok_or(WaError::NotConnected)?;
        self.client
            .execute(RemoveCompanionDeviceSpec::new(&me))
            .await
            .map_err(|e| errors::iq(&e))
    }

    async fn send(&self, chat: &Jid, message: &Outgoing) -> Result<Sent, WaError> {
        self.connected()?;
        let cdn = match (message.content.media(), content::kind_of(&message.content)) {
            (Some(media), Some(kind)) => Some(self.cdn_for(media, kind).await?),
            _ => None,
        };
        let context = if let Some(target) = &message.reply_to {
            Some(content::quote(
                target,
                message.quoted.as_ref(),
                chat,
                &pump::me(&self.client),
            ))
        } else if message.forwarded {
            Some(content::forwarded())
        } else {
            None
        };
        let proto = content::outgoing(&message.content, cdn, context)?;
        // Our ID, known before sending, so the server's answer can be awaited.
        let id = message.id.clone().unwrap_or_else(|| self.client.generate_message_id());
        let answer = self.acks.expect(&id);
        let sent = self
            .client
            .send_message_with_options(lib_jid(chat), proto, SendOptions::default().with_message_id(id.clone()))
            .await
            .map_err(|e| {
                self.acks.forget(&id);
                errors::send(&e)
            })?;
        let ts = now_ms();
        if let Some(Some(code)) = self.acks.wait(&id, answer).await {
            return Err(WaError::SendFailed { id, code, ts });
        }
        Ok(Sent {
            id: sent.message_id,
            ts,
        })
    }

    async fn edit(&self, target: &MsgKey, new_text: &str) -> Result<Millis, WaError> {
        self.connected()?;
        let body = wa::Message {
            conversation: Some(new_text.to_owned()),
            ..Default::default()
        };
        self.client
            .edit_message(lib_jid(&target.chat), target.id.clone(), body)
            .await
            .map_err(|e| errors::send(&e))?;
        Ok(now_ms())
    }

    async fn revoke(&self, target: &MsgKey) -> Result<Millis, WaError> {
        self.connected()?;
        let how = match (&target.sender, target.from_me) {
            (Some(author), false) => RevokeType::Admin {
                original_sender: lib_jid(author),
            },
            (None, false) => {
                return Err(WaError::NotAllowed(
                    "only your own messages can be deleted for everyone".into(),
                ))
            }
            _ => RevokeType::Sender,
        };
        self.client
            .revoke_message(lib_jid(&target.chat), target.id.clone(), how)
            .await
            .map_err(|e| errors::send(&e))?;
        Ok(now_ms())
    }

    async fn react(&self, target: &MsgKey, emoji: Option<&str>) -> Result<Millis, WaError> {
        self.connected()?;
        self.client
            .send_reaction(lib_jid(&target.chat), Self::target_key(target), emoji.unwrap_or(""))
            .await
            .map_err(|e| errors::send(&e))?;
        Ok(now_ms())
    }

    async fn mark_read(&self, chat: &Jid, messages: &[MsgKey]) -> Result<(), WaError> {
        self.connected()?;
        // Read receipts go per author in groups.
        let mut by_author: BTreeMap<Option<Jid>, Vec<&str>> = BTreeMap::new();
        for m in messages.iter().filter(|m| !m.from_me) {
            let author = m.sender.clone().filter(|_| chat.is_group());
            by_author.entry(author).or_default().push(m.id.as_str());
        }
        let to = lib_jid(chat);
        for (author, ids) in by_author {
            let author = author.as_ref().map(lib_jid);
            self.client
                .mark_as_read(&to, author.as_ref(), &ids)
                .await
                .map_err(|e| errors::any(&e))?;
        }
        Ok(())
    }

    async fn apply(&self, change: &AppStateChange) -> Result<(), WaError> {
        self.connected()?;
        let actions = self.client.chat_actions();
        let result = match change {
            AppStateChange::Archive { chat, archived: true } => {
                actions.archive_chat(&lib_jid(chat), Some(self.range(chat)?)).await
            }
            AppStateChange::Archive { chat, archived: false } => {
                actions.unarchive_chat(&lib_jid(chat), Some(self.range(chat)?)).await
            }
            AppStateChange::Pin { chat, pinned: true } => actions.pin_chat(&lib_jid(chat)).await,
            AppStateChange::Pin { chat, pinned: false } => actions.unpin_chat(&lib_jid(chat)).await,
            AppStateChange::Mute { chat, until: None } => actions.unmute_chat(&lib_jid(chat)).await,
            AppStateChange::Mute { chat, until: Some(-1) } => actions.mute_chat(&lib_jid(chat)).await,
            AppStateChange::Mute { chat, until: Some(t) } => actions.mute_chat_until(&lib_jid(chat), *t).await,
            AppStateChange::MarkUnread { chat, unread } => {
                actions
                    .mark_chat_as_read(&lib_jid(chat), !unread, Some(self.range(chat)?))
                    .await
            }
            AppStateChange::Star { message, starred } => {
                let chat = lib_jid(&message.chat);
                let author = index_participant(message);
                if *starred {
                    actions
                        .star_message(&chat, author.as_ref(), &message.id, message.from_me)
                        .await
                } else {
                    actions
                        .unstar_message(&chat, author.as_ref(), &message.id, message.from_me)
                        .await
                }
            }
            AppStateChange::DeleteChat { chat } => {
                actions
                    .delete_chat(&lib_jid(chat), false, Some(self.range(chat)?))
                    .await
            }
            AppStateChange::DeleteForMe { message } => {
                let author = index_participant(message);
                // Its time, as WhatsApp's clients send it (seconds).
                let account = &self.sink.account;
                let sent_at = self
                    .store
                    .read(|c| match crate::store::messages::find_by_key(c, account, message)? {
                        Some(id) => Ok(crate::store::messages::get_ref(c, &id)?.map(|r| r.ts / 1000)),
                        None => Ok(None),
                    })
                    .unwrap_or_default();
                actions
                    .delete_message_for_me(
                        &lib_jid(&message.chat),
                        author.as_ref(),
                        &message.id,
                        message.from_me,
                        false,
                        sent_at,
                    )
                    .await
            }
        };
        result.map_err(|e| errors::app_state(&e))
    }

    async fn check_numbers(&self, phones: &[Phone]) -> Result<Vec<NumberCheck>, WaError> {
        self.connected()?;
        let jids: Vec<_> = phones.iter().map(|p| lib_jid(&Jid::from_phone(p))).collect();
        let found = self
            .client
            .contacts()
            .is_on_whatsapp(&jids)
            .await
            .map_err(|e| errors::contact(&e))?;
        let mut learnt = Vec::new();
        let checks = phones
            .iter()
            .map(|phone| {
                let r = found.iter().find(|r| {
                    r.jid.user.as_str() == phone.digits()
                        || r.pn_jid.as_ref().is_some_and(|p| p.user.as_str() == phone.digits())
                });
                let registered = r.filter(|r| r.is_registered);
                if let Some(r) = registered {
                    let pn = Jid::from_phone(phone);
                    if let Some(link) = r
                        .lid
                        .as_ref()
                        .and_then(jid)
                        .and_then(|lid| convert::inbound::pair(pn, lid))
                    {
                        learnt.push(link);
                    }
                }
                NumberCheck {
                    phone: phone.clone(),
                    jid: registered.map(|_| Jid::from_phone(phone)),
                    is_business: registered.is_some_and(|r| r.is_business),
                }
            })
            .collect();
        self.learn(learnt).await;
        Ok(checks)
    }

    async fn profile_picture(&self, who: &Jid) -> Result<Option<Picture>, WaError> {
        self.connected()?;
        let Some(pic) = self
            .client
            .contacts()
            .get_profile_picture(&lib_jid(who), false)
            .await
            .map_err(|e| errors::contact(&e))?
        else {
            return Ok(None);
        };
        let response = self
            .client
            .http_client
            .execute(whatsapp_rust::http::HttpRequest::get(pic.url.clone()))
            .await
            .map_err(|e| errors::any(&e))?;
        if !(200..300).contains(&response.status_code) {
            return Err(WaError::Other(format!(
                "WhatsApp's server answered {} for the picture",
                response.status_code
            )));
        }
        Ok(Some(Picture {
            id: pic.id,
            bytes: response.body,
            mime: "image/jpeg".into(),
        }))
    }

    async fn about(&self, who: &Jid) -> Result<Option<About>, WaError> {
        self.connected()?;
        let target = lib_jid(who);
        let infos = self
            .client
            .contacts()
            .get_user_info(std::slice::from_ref(&target))
            .await
            .map_err(|e| errors::contact(&e))?;
        Ok(infos
            .into_values()
            .find(|i| i.jid.user == target.user)
            .and_then(|i| i.status)
            .map(|text| About { text, set_at: None }))
    }

    async fn set_presence(&self, online: bool) -> Result<(), WaError> {
        self.connected()?;
        let presence = self.client.presence();
        let result = if online {
            presence.set_available().await
        } else {
            presence.set_unavailable().await
        };
        result.map_err(|e| errors::presence(&e))
    }

    async fn send_chat_state(&self, chat: &Jid, state: ChatState) -> Result<(), WaError> {
        self.connected()?;
        let state = match state {
            ChatState::Typing => ChatStateType::Composing,
            ChatState::Recording => ChatStateType::Recording,
            ChatState::Paused => ChatStateType::Paused,
        };
        self.client
            .chatstate()
            .send(&lib_jid(chat), state)
            .await
            .map_err(|e| errors::chat_state(&e))
    }

    async fn subscribe_presence(&self, who: &Jid) -> Result<(), WaError> {
        self.connected()?;
        self.client
            .presence()
            .subscribe(lib_jid(who))
            .await
            .map_err(|e| errors::presence(&e))
    }

    async fn create_group(&self, subject: &str, participants: &[Jid]) -> Result<WaGroup, WaError> {
        self.connected()?;
        let mut options = GroupCreateOptions::new(subject);
        for p in participants {
            options = options.with_participant(GroupParticipantOptions::new(lib_jid(p)));
        }
        let created = self
            .client
            .groups()
            .create_group(options)
            .await
            .map_err(|e| errors::group(&e))?;
        self.group_of(&created.metadata).await
    }

    async fn group_info(&self, group: &Jid) -> Result<WaGroup, WaError> {
        self.connected()?;
        let meta = self
            .client
            .groups()
            .get_metadata(&lib_jid(group))
            .await
            .map_err(|e| errors::group(&e))?;
        self.group_of(&meta).await
    }

    async fn update_group(&self, group: &Jid, change: &GroupChange) -> Result<(), WaError> {
        self.connected()?;
        let groups = self.client.groups();
        let to = lib_jid(group);
        match change {
            GroupChange::Subject(s) => {
                let subject = GroupSubject::new(s.clone()).map_err(|e| WaError::Invalid(e.to_string()))?;
                groups.set_subject(to, subject).await
            }
            GroupChange::Description(d) => {
                let description = d
                    .clone()
                    .map(GroupDescription::new)
                    .transpose()
                    .map_err(|e| WaError::Invalid(e.to_string()))?;
                groups
                    .set_description(to, description, PreviousDescription::Resolve)
                    .await
            }
            GroupChange::Picture(jpeg) => groups.set_profile_picture(to, jpeg.clone()).await.map(|_| ()),
        }
        .map_err(|e| errors::group(&e))
    }

    async fn change_participants(
        &self,
        group: &Jid,
        action: ParticipantAction,
        who: &[Jid],
    ) -> Result<Vec<ParticipantResult>, WaError> {
        self.connected()?;
        let groups = self.client.groups();
        let to = lib_jid(group);
        let people: Vec<_> = who.iter().map(lib_jid).collect();
        let result = match action {
            ParticipantAction::Add => groups.add_participants(to, &people).await,
            ParticipantAction::Remove => groups.remove_participants(to, &people).await,
            ParticipantAction::Promote => groups.promote_participants(to, &people).await,
            ParticipantAction::Demote => groups.demote_participants(to, &people).await,
        };
        Ok(groups::results(&result.map_err(|e| errors::group(&e))?))
    }

    async fn invite_code(&self, group: &Jid, reset: bool) -> Result<String, WaError> {
        self.connected()?;
        let link = self
            .client
            .groups()
            .get_invite_link(lib_jid(group), reset)
            .await
            .map_err(|e| errors::group(&e))?;
        Ok(link.rsplit('/').next().unwrap_or(&link).to_owned())
    }

    async fn leave_group(&self, group: &Jid) -> Result<(), WaError> {
        self.connected()?;
        self.client
            .groups()
            .leave(lib_jid(group))
            .await
            .map_err(|e| errors::group(&e))
    }

    async fn set_push_name(&self, name: &str) -> Result<(), WaError> {
        self.connected()?;
        self.client
            .profile()
            .set_push_name(name)
            .await
            .map_err(|e| errors::profile(&e))
    }

    async fn set_about(&self, about: &str) -> Result<(), WaError> {
        self.connected()?;
        self.client
            .profile()
            .set_status_text(about)
            .await
            .map_err(|e| errors::profile(&e))
    }

    async fn set_profile_picture(&self, jpeg: &[u8]) -> Result<(), WaError> {
        self.connected()?;
        self.client
            .profile()
            .set_profile_picture(jpeg.to_vec())
            .await
            .map(|_| ())
            .map_err(|e| errors::profile(&e))
    }

    async fn download(&self, media: &RemoteMedia) -> Result<Vec<u8>, WaError> {
        self.connected()?;
        let cdn = Cdn::of_remote(media).ok_or_else(|| {
            WaError::NotFound("WhatsApp never said where this media is (it was not downloadable)".into())
        })?;
        let params = DownloadParams::encrypted(
            cdn.direct_path.unwrap_or_default(),
            &cdn.media_key.unwrap_or_default(),
            &cdn.file_sha256.unwrap_or_default(),
            &cdn.file_enc_sha256.unwrap_or_default(),
            cdn.file_length.unwrap_or(0),
            content::media_type(&media.kind)?,
        );
        self.client
            .download_from_params(&params)
            .await
            .map_err(|e| errors::download(&e))
    }

    async fn reupload(&self, media: &RemoteMedia, message: &MsgKey) -> Result<RemoteMedia, WaError> {
        use whatsapp_rust::features::{MediaRetryResult, MediaReuploadError as Failed, MediaReuploadRequest};
        self.connected()?;
        let media_key = convert::unb64(&media.media_key)
            .ok_or_else(|| WaError::NotFound("WhatsApp never said how to decrypt this media".into()))?;
        let chat = lib_jid(&message.chat);
        let participant = message
            .sender
            .as_ref()
            .filter(|_| message.chat.is_group() && !message.from_me)
            .map(lib_jid);
        let asked = self
            .client
            .media_reupload()
            .request(&MediaReuploadRequest {
                msg_id: &message.id,
                chat_jid: &chat,
                media_key: &media_key,
                is_from_me: message.from_me,
                participant: participant.as_ref(),
            })
            .await;
        match asked {
            Ok(MediaRetryResult::Success { direct_path }) => Ok(RemoteMedia {
                direct_path,
                ..media.clone()
            }),
            Ok(MediaRetryResult::NotFound) => Err(WaError::MediaExpired(
                "the CDN copy expired and the phone no longer has the file".into(),
            )),
            Ok(other) => Err(WaError::Other(format!(
                "the phone could not upload the media again ({other:?})"
            ))),
            Err(Failed::Timeout) => Err(WaError::PhoneUnreachable),
            Err(Failed::NotLoggedIn) => Err(WaError::NotConnected),
            Err(Failed::Client(c)) => Err(errors::client(&c)),
            Err(Failed::InvalidRequest(m)) => Err(WaError::Invalid(m)),
            Err(e) => Err(errors::anyhow_chain(&e)),
        }
    }

    async fn request_older(
        &self,
        chat: &Jid,
        oldest: Option<(&MsgKey, Millis)>,
        count: u32,
    ) -> Result<String, WaError> {
        self.connected()?;
        let (id, from_me, ts) = match oldest {
            Some((key, ts)) => (key.id.as_str(), key.from_me, ts),
            None => ("", false, now_ms()),
        };
        let count = i32::try_from(count).unwrap_or(i32::MAX);
        self.client
            .fetch_message_history(&lib_jid(chat), id, from_me, ts, count)
            .await
            .map_err(|e| errors::any(&e))
    }
}

use super::convert;

/// The participant slot of a message's app-state index (star, delete for me):
/// the author in a group, when not us; "0" (`None`) otherwise, 1:1 chats included,
/// as WhatsApp's own clients write it. The phone finds no message under any other key.
fn index_participant(message: &MsgKey) -> Option<whatsapp_rust::Jid> {
    message
        .sender
        .as_ref()
        .filter(|_| !message.from_me && message.chat.is_group())
        .map(lib_jid)
}

impl LiveClient {
    async fn group_of(&self, meta: &whatsapp_rust::features::GroupMetadata) -> Result<WaGroup, WaError> {
        let (g, links) =
            groups::group(meta).ok_or_else(|| WaError::Other("WhatsApp answered with a malformed group".into()))?;
        self.learn(links).await;
        Ok(g)
    }
}
