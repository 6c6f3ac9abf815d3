//! One sandbox account's session: the `WaClient` the engine talks to.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

use super::world::{invite_code, wa_message_id, Group, Member, Persona};
use super::{behaviour, delays, media, older, Net};
use crate::ids::AccountId;
use crate::phone::Phone;
use crate::time::{now_ms, Millis};
use crate::wa::*;

/// Limits WhatsApp enforces, which the sandbox enforces too.
const MAX_SUBJECT: usize = 100;
const MAX_DESCRIPTION: usize = 2048;
const MAX_ABOUT: usize = 139;
const MAX_PUSH_NAME: usize = 25;
const MAX_GROUP_SIZE: usize = 1024;

pub(crate) struct SandboxClient {
    net: Arc<Net>,
    account: AccountId,
    connected: AtomicBool,
    token: CancellationToken,
    /// Recent messages in this account's chats, for people to react to.
    recent: Mutex<VecDeque<MsgKey>>,
}

impl SandboxClient {
    pub(crate) fn new(net: Arc<Net>, account: AccountId) -> Self {
        let token = net.shutdown.child_token();
        Self {
            net,
            account,
            connected: AtomicBool::new(false),
            token,
            recent: Mutex::default(),
        }
    }

    pub(crate) fn set_connected(&self, on: bool) {
        self.connected.store(on, Ordering::SeqCst);
    }

    pub(crate) fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub(crate) fn stop(&self) {
        self.set_connected(false);
        self.token.cancel();
    }

    pub(crate) fn remember(&self, key: MsgKey) {
        let mut recent = self.recent.lock();
        if recent.len() >= 50 {
            recent.pop_front();
        }
        recent.push_back(key);
    }

    pub(crate) fn recent(&self) -> Vec<MsgKey> {
        self.recent.lock().iter().cloned().collect()
    }

    fn check(&self) -> Result<(), WaError> {
        if self.connected.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(WaError::NotConnected)
        }
    }

    /// This account's phone digits, push name and JID.
    fn me(&self) -> Result<(String, String, Jid), WaError> {
        let w = self.net.world.lock();
        let a = w.accounts.get(self.account.as_str()).ok_or(WaError::LoggedOut)?;
        Ok((a.phone.clone(), a.push_name.clone(), Jid::new(&a.phone, USER_SERVER)))
    }

    /// The phone digits behind a person's JID (phone number or LID).
    fn phone_of(&self, who: &Jid) -> Option<String> {
        if who.is_lid() {
            self.net.world.lock().phone_of_lid(who.user())
        } else {
            who.is_pn().then(|| who.user().to_owned())
        }
    }

    /// Other sandbox accounts that see a chat, with the chat's JID as they see it.
    fn counterparts(&self, chat: &Jid) -> Vec<(AccountId, Jid)> {
        let Ok((me, _, me_jid)) = self.me() else {
            return Vec::new();
        };
        let w = self.net.world.lock();
        let phones: Vec<String> = if chat.is_group() {
            w.groups
                .get(chat.user())
                .map(|g| g.members.iter().map(|m| m.phone.clone()).collect())
                .unwrap_or_default()
        } else {
            let phone = if chat.is_lid() {
                w.phone_of_lid(chat.user())
            } else {
                Some(chat.user().to_owned())
            };
            phone.into_iter().collect()
        };
        phones
            .iter()
            .filter(|p| **p != me)
            .filter_map(|p| w.account_by_phone(p))
            .filter_map(|(id, _)| AccountId::parse(id).ok())
            .map(|id| (id, if chat.is_group() { chat.clone() } else { me_jid.clone() }))
            .collect()
    }

    /// Sends `event(chat as they see it)` to every other sandbox account in the chat.
    fn fan_out(&self, chat: &Jid, event: impl Fn(&Jid) -> WaEvent + Send + 'static) {
        let targets = self.counterparts(chat);
        if targets.is_empty() {
            return;
        }
        let net = self.net.clone();
        tokio::spawn(async move {
            for (account, their_chat) in targets {
                net.deliver(&account, event(&their_chat)).await;
            }
        });
    }

    fn with_group<T>(&self, group: &Jid, f: impl FnOnce(&mut Group, &str) -> Result<T, WaError>) -> Result<T, WaError> {
        let (me, _, _) = self.me()?;
        let out = {
            let mut w = self.net.world.lock();
            let g = w
                .groups
                .get_mut(group.user())
                .ok_or_else(|| WaError::NotFound(format!("group {group} does not exist")))?;
            if g.member(&me).is_none() {
                return Err(WaError::NotAllowed(
                    "this account is not a participant of the group".into(),
                ));
            }
            f(g, &me)?
        };
        self.net.save();
        Ok(out)
    }

    fn require_admin(g: &Group, me: &str, what: &str) -> Result<(), WaError> {
        if g.member(me).is_some_and(|m| m.role.is_admin()) {
            Ok(())
        } else {
            Err(WaError::NotAllowed(format!("only group admins can {what}")))
        }
    }
}

#[async_trait]
impl WaClient for SandboxClient {
    async fn disconnect(&self) {
        self.net.unregister(&self.account);
        self.stop();
    }

    async fn logout(&self) -> Result<(), WaError> {
        {
            let mut w = self.net.world.lock();
            if let Some(a) = w.accounts.get_mut(self.account.as_str()) {
                a.paired = false;
            }
        }
        self.net.save();
        self.net.unregister(&self.account);
        self.stop();
        Ok(())
    }

    async fn send(&self, chat: &Jid, message: &Outgoing) -> Result<Sent, WaError> {
        self.check()?;
        let (me, push_name, me_jid) = self.me()?;
        let sent = Sent {
            id: message.id.clone().unwrap_or_else(|| wa_message_id(&mut rand::rng())),
            ts: now_ms(),
        };
        let mut persona = None;
        if chat.is_group() {
            let w = self.net.world.lock();
            let g = w
                .groups
                .get(chat.user())
                .ok_or_else(|| WaError::NotFound(format!("group {chat} does not exist")))?;
            let member = g
                .member(&me)
                .ok_or_else(|| WaError::NotAllowed("this account is no longer a participant of the group".into()))?;
            if g.announce && !member.role.is_admin() {
                return Err(WaError::NotAllowed(
                    "only admins can send messages to this group".into(),
                ));
            }
        } else if chat.is_person() {
            let phone = self
                .phone_of(chat)
                .ok_or_else(|| WaError::NotOnWhatsApp(chat.to_string()))?;
            if phone != me {
                let mut w = self.net.world.lock();
                let is_account = w.account_by_phone(&phone).is_some();
                match w.user_or_newcomer(&phone, sent.ts) {
                    Some(u) => persona = Some((u.phone.clone(), u.persona)),
                    None if is_account => {}
                    None => return Err(WaError::NotOnWhatsApp(format!("+{phone}"))),
                }
            }
        } else {
            return Err(WaError::Invalid(format!("cannot send to {chat}")));
        }
        self.net.save();
        let key = MsgKey {
            chat: chat.clone(),
            id: sent.id.clone(),
            from_me: true,
            sender: None,
        };
        self.remember(key.clone());

        let incoming = WaMessage {
            key: MsgKey {
                chat: chat.clone(),
                id: sent.id.clone(),
                from_me: false,
                sender: Some(me_jid.clone()),
            },
            ts: sent.ts,
            push_name: Some(push_name),
            content: message.content.clone(),
            reply_to: message.reply_to.as_ref().map(|k| k.id.clone()),
            forwarded: message.forwarded,
            status: None,
            starred: false,
        };
        let targets = self.counterparts(chat);
        let net = self.net.clone();
        let account = self.account.clone();
        let sent_id = sent.id.clone();
        let chat_for_receipt = chat.clone();
        tokio::spawn(async move {
            for (other, their_chat) in targets {
                let mut m = incoming.clone();
                m.key.chat = their_chat;
                let online = net.sink(&other).is_some();
                net.deliver(&other, WaEvent::Message(m)).await;
                if online {
                    let from = net
                        .world
                        .lock()
                        .accounts
                        .get(other.as_str())
                        .map(|a| Jid::new(&a.phone, USER_SERVER));
                    if let Some(from) = from {
                        net.deliver(
                            &account,
                            WaEvent::Receipt {
                                chat: chat_for_receipt.clone(),
                                ids: vec![sent_id.clone()],
                                from,
                                kind: ReceiptKind::Delivered,
                                ts: now_ms(),
                            },
                        )
                        .await;
                    }
                }
            }
        });
        match persona {
            Some((phone, persona)) => behaviour::on_direct_message(
                self.net.clone(),
                self.account.clone(),
                self.token(),
                phone,
                persona,
                key,
                message.content.clone(),
            ),
            None if chat.is_group() => behaviour::on_group_message(
                self.net.clone(),
                self.account.clone(),
                self.token(),
                chat.clone(),
                key,
                message.content.clone(),
            ),
            None => {}
        }
        Ok(sent)
    }

    async fn edit(&self, target: &MsgKey, new_text: &str) -> Result<Millis, WaError> {
        self.check()?;
        if !target.from_me {
            return Err(WaError::NotAllowed("only your own messages can be edited".into()));
        }
        let ts = now_ms();
        let (key, text) = (target.clone(), new_text.to_owned());
        let (_, _, me_jid) = self.me()?;
        self.fan_out(&target.chat, move |chat| WaEvent::Edited {
            key: MsgKey {
                chat: chat.clone(),
                id: key.id.clone(),
                from_me: false,
                sender: Some(me_jid.clone()),
            },
            content: WaContent::text(text.clone()),
            ts,
        });
        Ok(ts)
    }

    async fn revoke(&self, target: &MsgKey) -> Result<Millis, WaError> {
        self.check()?;
        if !target.from_me {
            let (me, _, _) = self.me()?;
            let admin = target.chat.is_group()
                && self
                    .net
                    .world
                    .lock()
                    .groups
                    .get(target.chat.user())
                    .and_then(|g| g.member(&me).map(|m| m.role.is_admin()))
                    .unwrap_or(false);
            if !admin {
                return Err(WaError::NotAllowed(
                    "only the sender (or a group admin) can delete a message for everyone".into(),
                ));
            }
        }
        let ts = now_ms();
        let key = target.clone();
        let (_, _, me_jid) = self.me()?;
        self.fan_out(&target.chat, move |chat| WaEvent::Revoked {
            key: MsgKey {
                chat: chat.clone(),
                id: key.id.clone(),
                from_me: false,
                sender: key.sender.clone().or_else(|| Some(me_jid.clone())),
            },
            by: Some(me_jid.clone()),
            ts,
        });
        Ok(ts)
    }

    async fn react(&self, target: &MsgKey, emoji: Option<&str>) -> Result<Millis, WaError> {
        self.check()?;
        let ts = now_ms();
        let (_, _, me_jid) = self.me()?;
        let (key, emoji) = (target.clone(), emoji.map(str::to_owned));
        self.fan_out(&target.chat, move |chat| WaEvent::Reaction {
            target: MsgKey {
                chat: chat.clone(),
                id: key.id.clone(),
                // From the other side, our message is theirs-from-us and theirs is their own.
                from_me: !key.from_me,
                sender: if key.from_me { Some(me_jid.clone()) } else { None },
            },
            from: me_jid.clone(),
            from_me: false,
            emoji: emoji.clone(),
            ts,
        });
        Ok(ts)
    }

    async fn mark_read(&self, chat: &Jid, messages: &[MsgKey]) -> Result<(), WaError> {
        self.check()?;
        let (_, _, me_jid) = self.me()?;
        let ids: Vec<String> = messages.iter().map(|m| m.id.clone()).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let ts = now_ms();
        self.fan_out(chat, move |their_chat| WaEvent::Receipt {
            chat: their_chat.clone(),
            ids: ids.clone(),
            from: me_jid.clone(),
            kind: ReceiptKind::Read,
            ts,
        });
        Ok(())
    }

    async fn apply(&self, change: &AppStateChange) -> Result<(), WaError> {
        self.check()?;
        // App state lives on the phone; the sandbox phone accepts every change.
        let _ = change;
        Ok(())
    }

    async fn check_numbers(&self, phones: &[Phone]) -> Result<Vec<NumberCheck>, WaError> {
        self.check()?;
        let w = self.net.world.lock();
        Ok(phones
            .iter()
            .map(|p| {
                let on = w.is_registered(p.digits());
                NumberCheck {
                    phone: p.clone(),
                    jid: on.then(|| Jid::from_phone(p)),
                    is_business: w.users.get(p.digits()).is_some_and(|u| u.business.is_some()),
                }
            })
            .collect())
    }

    async fn profile_picture(&self, who: &Jid) -> Result<Option<Picture>, WaError> {
        self.check()?;
        let found = {
            let w = self.net.world.lock();
            if who.is_group() {
                w.groups
                    .get(who.user())
                    .map(|g| (g.subject.clone(), g.picture_rev, g.id.clone()))
            } else {
                let phone = if who.is_lid() {
                    w.phone_of_lid(who.user())
                } else {
                    Some(who.user().to_owned())
                };
                phone.and_then(|p| {
                    w.users
                        .get(&p)
                        .map(|u| (u.name.clone(), u.picture_rev, p.clone()))
                        .or_else(|| {
                            w.account_by_phone(&p)
                                .map(|(_, a)| (a.push_name.clone(), a.picture_rev, p.clone()))
                        })
                })
            }
        };
        match found {
            None => Err(WaError::NotFound(format!("{who} is not on the sandbox network"))),
            Some((_, 0, _)) => Ok(None),
            Some((name, rev, key)) => Ok(Some(Picture {
                id: format!("{key}-{rev}"),
                bytes: media::avatar_png(&name, &format!("{key}-{rev}")),
                mime: "image/png".into(),
            })),
        }
    }

    async fn about(&self, who: &Jid) -> Result<Option<About>, WaError> {
        self.check()?;
        let w = self.net.world.lock();
        let phone = if who.is_lid() {
            w.phone_of_lid(who.user())
        } else {
            Some(who.user().to_owned())
        };
        let phone = phone.ok_or_else(|| WaError::NotFound(format!("{who} is not on the sandbox network")))?;
        if let Some(u) = w.users.get(&phone) {
            return Ok(Some(About {
                text: u.about.clone(),
                set_at: Some(u.about_set_at),
            }));
        }
        if let Some((_, a)) = w.account_by_phone(&phone) {
            return Ok(Some(About {
                text: a.about.clone(),
                set_at: None,
            }));
        }
        Err(WaError::NotFound(format!("{who} is not on the sandbox network")))
    }

    async fn set_presence(&self, online: bool) -> Result<(), WaError> {
        self.check()?;
        let _ = online;
        Ok(())
    }

    async fn send_chat_state(&self, chat: &Jid, state: ChatState) -> Result<(), WaError> {
        self.check()?;
        let (_, _, me_jid) = self.me()?;
        let ts = now_ms();
        self.fan_out(chat, move |their_chat| WaEvent::ChatState {
            chat: their_chat.clone(),
            from: me_jid.clone(),
            state,
            ts,
        });
        Ok(())
    }

    async fn subscribe_presence(&self, who: &Jid) -> Result<(), WaError> {
        self.check()?;
        let phone = self
            .phone_of(who)
            .ok_or_else(|| WaError::NotFound(format!("{who} is not a person")))?;
        let state = {
            let w = self.net.world.lock();
            w.users.get(&phone).map(|u| (u.online, u.last_seen))
        };
        let (online, last_seen) = match state {
            Some(s) => s,
            // Other sandbox accounts are online while a device is connected.
            None => {
                let other = self
                    .net
                    .world
                    .lock()
                    .account_by_phone(&phone)
                    .and_then(|(id, _)| AccountId::parse(id).ok());
                match other {
                    Some(id) => (self.net.sink(&id).is_some(), now_ms()),
                    None => return Err(WaError::NotOnWhatsApp(format!("+{phone}"))),
                }
            }
        };
        let net = self.net.clone();
        let account = self.account.clone();
        let who = Jid::new(phone, USER_SERVER);
        tokio::spawn(async move {
            net.deliver(
                &account,
                WaEvent::Presence {
                    who,
                    online,
                    last_seen: (!online).then_some(last_seen),
                    ts: now_ms(),
                },
            )
            .await;
        });
        Ok(())
    }

    async fn create_group(&self, subject: &str, participants: &[Jid]) -> Result<WaGroup, WaError> {
        self.check()?;
        let subject = subject.trim();
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
            return Err(WaError::Invalid(format!(
                "a group subject has 1 to {MAX_SUBJECT} characters"
            )));
        }
        let (me, _, me_jid) = self.me()?;
        let now = now_ms();
        let group = {
            let mut w = self.net.world.lock();
            let mut members = vec![Member {
                phone: me.clone(),
                role: ParticipantRole::Superadmin,
            }];
            for p in participants {
                let phone = if p.is_lid() {
                    w.phone_of_lid(p.user())
                } else {
                    Some(p.user().to_owned())
                };
                let phone = phone.ok_or_else(|| WaError::NotOnWhatsApp(p.to_string()))?;
                if phone == me || members.iter().any(|m| m.phone == phone) {
                    continue;
                }
                let known = w.user_or_newcomer(&phone, now).is_some() || w.account_by_phone(&phone).is_some();
                if !known {
                    return Err(WaError::NotOnWhatsApp(format!("+{phone}")));
                }
                members.push(Member {
                    phone,
                    role: ParticipantRole::Member,
                });
            }
            if members.len() > MAX_GROUP_SIZE {
                return Err(WaError::Invalid(format!(
                    "a group has at most {MAX_GROUP_SIZE} participants"
                )));
            }
            w.next_group += 1;
            let id = format!("1203634{:011}", w.next_group * 104_729 + (now as u64 % 1000));
            let g = Group {
                id: id.clone(),
                subject: subject.to_owned(),
                description: None,
                owner: me.clone(),
                created_at: now,
                members,
                invite_code: invite_code(&mut rand::rng()),
                announce: false,
                locked: false,
                picture_rev: 0,
                seeded: false,
            };
            w.groups.insert(id, g.clone());
            g
        };
        self.net.save();
        let wa = group.to_wa();
        let created = wa.clone();
        self.fan_out(&group.jid(), move |_| WaEvent::Group {
            group: created.clone(),
            created: true,
            by: Some(me_jid.clone()),
            ts: now,
        });
        behaviour::on_group_created(self.net.clone(), self.account.clone(), self.token(), group.jid());
        Ok(wa)
    }

    async fn group_info(&self, group: &Jid) -> Result<WaGroup, WaError> {
        self.check()?;
        self.with_group(group, |g, _| Ok(g.to_wa()))
    }

    async fn update_group(&self, group: &Jid, change: &GroupChange) -> Result<(), WaError> {
        self.check()?;
        let info = self.with_group(group, |g, me| {
            if g.locked {
                Self::require_admin(g, me, "edit this group's info")?;
            }
            Ok(match change {
                GroupChange::Subject(s) => {
                    let s = s.trim();
                    if s.is_empty() || s.chars().count() > MAX_SUBJECT {
                        return Err(WaError::Invalid(format!(
                            "a group subject has 1 to {MAX_SUBJECT} characters"
                        )));
                    }
                    g.subject = s.to_owned();
                    GroupInfoChange::Subject(s.to_owned())
                }
                GroupChange::Description(d) => {
                    if d.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION) {
                        return Err(WaError::Invalid(format!(
                            "a group description has at most {MAX_DESCRIPTION} characters"
                        )));
                    }
                    g.description = d.clone().filter(|d| !d.trim().is_empty());
                    GroupInfoChange::Description(g.description.clone())
                }
                GroupChange::Picture(_) => {
                    g.picture_rev += 1;
                    GroupInfoChange::Picture
                }
            })
        })?;
        let (_, _, me_jid) = self.me()?;
        let ts = now_ms();
        let gj = group.clone();
        self.fan_out(group, move |_| WaEvent::GroupInfoChanged {
            group: gj.clone(),
            change: info.clone(),
            by: Some(me_jid.clone()),
            ts,
        });
        Ok(())
    }

    async fn change_participants(
        &self,
        group: &Jid,
        action: ParticipantAction,
        who: &[Jid],
    ) -> Result<Vec<ParticipantResult>, WaError> {
        self.check()?;
        let now = now_ms();
        // Resolve who they are first (LIDs to phones, whether they are on WhatsApp).
        let resolved: Vec<(Jid, Result<String, String>)> = {
            let mut w = self.net.world.lock();
            who.iter()
                .map(|j| {
                    let phone = if j.is_lid() {
                        w.phone_of_lid(j.user())
                    } else {
                        Some(j.user().to_owned())
                    };
                    let r = match phone {
                        None => Err("unknown LID".to_owned()),
                        Some(p)
                            if action == ParticipantAction::Add
                                && w.user_or_newcomer(&p, now).is_none()
                                && w.account_by_phone(&p).is_none() =>
                        {
                            Err("not on WhatsApp".to_owned())
                        }
                        Some(p) => Ok(p),
                    };
                    (j.clone(), r)
                })
                .collect()
        };
        let (results, snapshot) = self.with_group(group, |g, me| {
            Self::require_admin(g, me, "change participants")?;
            let mut results = Vec::new();
            for (jid, phone) in resolved {
                let phone = match phone {
                    Ok(p) => p,
                    Err(e) => {
                        results.push(ParticipantResult { jid, error: Some(e) });
                        continue;
                    }
                };
                let error = match action {
                    ParticipantAction::Add if g.member(&phone).is_some() => Some("already a participant".to_owned()),
                    ParticipantAction::Add if g.members.len() >= MAX_GROUP_SIZE => Some("the group is full".to_owned()),
                    ParticipantAction::Add => {
                        g.members.push(Member {
                            phone: phone.clone(),
                            role: ParticipantRole::Member,
                        });
                        None
                    }
                    _ if g.member(&phone).is_none() => Some("not a participant".to_owned()),
                    ParticipantAction::Remove if phone == me => Some("use leave_group to leave a group".to_owned()),
                    ParticipantAction::Remove if g.owner == phone => {
                        Some("the group's creator cannot be removed".to_owned())
                    }
                    ParticipantAction::Remove => {
                        g.members.retain(|m| m.phone != phone);
                        None
                    }
                    ParticipantAction::Promote | ParticipantAction::Demote => {
                        let role = if action == ParticipantAction::Promote {
                            ParticipantRole::Admin
                        } else {
                            ParticipantRole::Member
                        };
                        match g.members.iter_mut().find(|m| m.phone == phone) {
                            Some(m) if m.role == ParticipantRole::Superadmin => {
                                Some("the group's creator keeps their role".to_owned())
                            }
                            Some(m) => {
                                m.role = role;
                                None
                            }
                            None => Some("not a participant".to_owned()),
                        }
                    }
                };
                results.push(ParticipantResult {
                    jid: Jid::new(phone, USER_SERVER),
                    error,
                });
            }
            Ok((results, g.to_wa()))
        })?;
        let changed: Vec<Jid> = results
            .iter()
            .filter(|r| r.error.is_none())
            .map(|r| r.jid.clone())
            .collect();
        if !changed.is_empty() {
            let (_, _, me_jid) = self.me()?;
            let (gj, by) = (group.clone(), me_jid.clone());
            let newly_added: Vec<String> = if action == ParticipantAction::Add {
                changed.iter().map(|j| j.user().to_owned()).collect()
            } else {
                Vec::new()
            };
            let who = changed.clone();
            // Sandbox accounts just added learn about the whole group; the others about the change.
            self.fan_out(group, move |_| WaEvent::Participants {
                group: gj.clone(),
                action,
                who: who.clone(),
                by: Some(by.clone()),
                ts: now,
            });
            let targets: Vec<AccountId> = {
                let w = self.net.world.lock();
                newly_added
                    .iter()
                    .filter_map(|p| w.account_by_phone(p))
                    .filter_map(|(id, _)| AccountId::parse(id).ok())
                    .collect()
            };
            let net = self.net.clone();
            tokio::spawn(async move {
                for account in targets {
                    net.deliver(
                        &account,
                        WaEvent::Group {
                            group: snapshot.clone(),
                            created: false,
                            by: Some(me_jid.clone()),
                            ts: now,
                        },
                    )
                    .await;
                }
            });
        }
        Ok(results)
    }

    async fn invite_code(&self, group: &Jid, reset: bool) -> Result<String, WaError> {
        self.check()?;
        self.with_group(group, |g, me| {
            Self::require_admin(g, me, "see or reset the invite link")?;
            if reset {
                g.invite_code = invite_code(&mut rand::rng());
            }
            Ok(g.invite_code.clone())
        })
    }

    async fn leave_group(&self, group: &Jid) -> Result<(), WaError> {
        self.check()?;
        let (_, _, me_jid) = self.me()?;
        self.with_group(group, |g, me| {
            g.members.retain(|m| m.phone != me);
            // A group keeps an admin: the longest-standing member takes over.
            if !g.members.iter().any(|m| m.role.is_admin()) {
                if let Some(m) = g.members.first_mut() {
                    m.role = ParticipantRole::Admin;
                }
            }
            Ok(())
        })?;
        let ts = now_ms();
        let (gj, me_j) = (group.clone(), me_jid.clone());
        // Tell the others (the account is no longer a member, so list them first).
        let targets: Vec<AccountId> = {
            let w = self.net.world.lock();
            w.groups
                .get(group.user())
                .map(|g| {
                    g.members
                        .iter()
                        .filter_map(|m| w.account_by_phone(&m.phone))
                        .filter_map(|(id, _)| AccountId::parse(id).ok())
                        .collect()
                })
                .unwrap_or_default()
        };
        let net = self.net.clone();
        tokio::spawn(async move {
            for account in targets {
                net.deliver(
                    &account,
                    WaEvent::Participants {
                        group: gj.clone(),
                        action: ParticipantAction::Remove,
                        who: vec![me_j.clone()],
                        by: Some(me_j.clone()),
                        ts,
                    },
                )
                .await;
            }
        });
        Ok(())
    }

    async fn set_push_name(&self, name: &str) -> Result<(), WaError> {
        self.check()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_PUSH_NAME {
            return Err(WaError::Invalid(format!(
                "a profile name has 1 to {MAX_PUSH_NAME} characters"
            )));
        }
        if let Some(a) = self.net.world.lock().accounts.get_mut(self.account.as_str()) {
            a.push_name = name.to_owned();
        }
        self.net.save();
        Ok(())
    }

    async fn set_about(&self, about: &str) -> Result<(), WaError> {
        self.check()?;
        if about.chars().count() > MAX_ABOUT {
            return Err(WaError::Invalid(format!(
                "an about text has at most {MAX_ABOUT} characters"
            )));
        }
        if let Some(a) = self.net.world.lock().accounts.get_mut(self.account.as_str()) {
            a.about = about.to_owned();
        }
        self.net.save();
        Ok(())
    }

    async fn set_profile_picture(&self, jpeg: &[u8]) -> Result<(), WaError> {
        self.check()?;
        if jpeg.is_empty() {
            return Err(WaError::Invalid("empty picture".into()));
        }
        if let Some(a) = self.net.world.lock().accounts.get_mut(self.account.as_str()) {
            a.picture_rev += 1;
        }
        self.net.save();
        Ok(())
    }

    async fn download(&self, remote: &RemoteMedia) -> Result<Vec<u8>, WaError> {
        self.check()?;
        if older::is_expired(remote) {
            return Err(WaError::MediaExpired(
                "WhatsApp's CDN no longer has this media (its copy expired)".into(),
            ));
        }
        media::generate(remote).ok_or_else(|| WaError::NotFound("the media is no longer on the server".into()))
    }

    async fn reupload(&self, remote: &RemoteMedia, _message: &MsgKey) -> Result<RemoteMedia, WaError> {
        self.check()?;
        // The phone looks for the file and uploads it again.
        self.net.sleep(delays::PHONE).await;
        older::reupload(remote)
            .ok_or_else(|| WaError::MediaExpired("the CDN copy expired and the phone no longer has the file".into()))
    }

    async fn request_older(
        &self,
        chat: &Jid,
        oldest: Option<(&MsgKey, Millis)>,
        count: u32,
    ) -> Result<String, WaError> {
        self.check()?;
        let (me, _, _) = self.me()?;
        let request = format!("SBPDO{:016X}", rand::random::<u64>());
        let before = oldest.map_or_else(now_ms, |(_, ts)| ts);
        let (net, account, chat, id) = (self.net.clone(), self.account.clone(), chat.clone(), request.clone());
        // The phone answers a moment later, as a page of history naming the request.
        tokio::spawn(async move {
            if !net.sleep(delays::PHONE).await {
                return;
            }
            let (messages, more) = {
                let w = net.world.lock();
                older::older(&w, &me, &chat, before, count as usize)
            };
            let batch = HistoryBatch {
                as_of: messages.iter().map(|m| m.ts).max().unwrap_or(0),
                chats: vec![WaChatMeta {
                    jid: Some(chat),
                    older_on_phone: Some(more),
                    ..Default::default()
                }],
                messages,
                chunk: Some(HistoryChunk {
                    sync_type: "on_demand".into(),
                    order: None,
                    progress: None,
                    request: Some(id),
                }),
                ..Default::default()
            };
            net.deliver(&account, WaEvent::History(batch)).await;
        });
        Ok(request)
    }
}

/// People in the sandbox who may react or write on their own.
pub(crate) fn is_lively(p: Persona) -> bool {
    matches!(p, Persona::Chatty | Persona::Terse)
}
