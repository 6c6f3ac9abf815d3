//! Turns what a backend reports into store rows and product events, in one
//! transaction per report, the same way for live and sandbox accounts.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::events::{Emitter, EventBus, EventType};
use crate::ids::{AccountId, ChatId, ContactId, MessageId};
use crate::model::MessageStatus;
use crate::presence::Presence;
use crate::store::chats::{self, ChatRef};
use crate::store::{contacts, groups, identity, messages, Store, StoreResult};
use crate::time::Millis;
use crate::wa::*;
use rusqlite::Transaction;

#[derive(Clone)]
pub struct Ingest {
    pub store: Store,
    pub bus: EventBus,
    pub presence: Presence,
}

/// The message object tools return, for event payloads.
pub fn message_json(c: &rusqlite::Connection, id: &MessageId) -> StoreResult<Value> {
    Ok(messages::get(c, id)?
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .unwrap_or(Value::Null))
}

fn person_json(c: &rusqlite::Connection, account: &AccountId, jid: &Jid) -> StoreResult<Value> {
    Ok(serde_json::to_value(contacts::person(c, account, jid)?).unwrap_or(Value::Null))
}

impl Ingest {
    /// Applies one data event. (Pairing and connection events belong to the account
    /// manager.)
    pub fn apply(&self, account: &AccountId, event: WaEvent) -> StoreResult<()> {
        match event {
            WaEvent::History(batch) => self.history(account, &batch).map(|_| ()),
            other => self
                .bus
                .write(&self.store, |tx, em| self.apply_one(tx, em, account, other)),
        }
    }

    fn apply_one(
        &self,
        tx: &Transaction<'_>,
        em: &mut Emitter,
        account: &AccountId,
        event: WaEvent,
    ) -> StoreResult<()> {
        match event {
            WaEvent::Message(m) => {
                if let Some((chat, id)) = store_message(tx, &mut Lookups::default(), account, &m)? {
                    let kind = if m.key.from_me {
                        EventType::MessageSent
                    } else {
                        EventType::MessageReceived
                    };
                    chats::on_message(tx, &chat.id, m.ts, !m.key.from_me)?;
                    em.emit(
                        tx,
                        kind,
                        account,
                        Some(&chat.id),
                        m.ts,
                        json!({ "message": message_json(tx, &id)? }),
                    )?;
                }
            }
            WaEvent::Edited { key, content, ts } => {
                let Some(id) = messages::find_by_key(tx, account, &key)? else {
                    return Ok(());
                };
                let text = content.text_or_caption().unwrap_or_default();
                if messages::set_edited(tx, &id, text, ts)? {
                    let chat = messages::get_ref(tx, &id)?.map(|r| r.chat_id);
                    em.emit(
                        tx,
                        EventType::MessageEdited,
                        account,
                        chat.as_ref(),
                        ts,
                        json!({ "message": message_json(tx, &id)? }),
                    )?;
                }
            }
            WaEvent::Revoked { key, by, ts } => {
                let Some(id) = messages::find_by_key(tx, account, &key)? else {
                    return Ok(());
                };
                if messages::set_revoked(tx, &id, ts)? {
                    let chat = messages::get_ref(tx, &id)?.map(|r| r.chat_id);
                    let by = by.map(|b| person_json(tx, account, &b)).transpose()?;
                    em.emit(
                        tx,
                        EventType::MessageDeleted,
                        account,
                        chat.as_ref(),
                        ts,
                        json!({ "message_id": id, "scope": "everyone", "by": by }),
                    )?;
                }
            }
            WaEvent::Reaction {
                target,
                from,
                from_me,
                emoji,
                ts,
            } => {
                let Some(id) = messages::find_by_key(tx, account, &target)? else {
                    return Ok(());
                };
                let Some(r) = messages::get_ref(tx, &id)? else {
                    return Ok(());
                };
                if messages::set_reaction(tx, &id, &from, from_me, emoji.as_deref(), ts)? {
                    let kind = if emoji.is_some() {
                        EventType::ReactionAdded
                    } else {
                        EventType::ReactionRemoved
                    };
                    let sender = (!from_me).then(|| person_json(tx, account, &from)).transpose()?;
                    em.emit(
                        tx,
                        kind,
                        account,
                        Some(&r.chat_id),
                        ts,
                        json!({ "message_id": id, "emoji": emoji, "from_me": from_me, "sender": sender }),
                    )?;
                }
            }
            WaEvent::Receipt {
                chat,
                ids,
                from,
                kind,
                ts,
            } => {
                let status = match kind {
                    ReceiptKind::Delivered => MessageStatus::Delivered,
                    ReceiptKind::Read => MessageStatus::Read,
                    ReceiptKind::Played => MessageStatus::Played,
                };
                let Some(chat) = chats::find_by_jid(tx, account, &chat)? else {
                    return Ok(());
                };
                let mut advanced = Vec::new();
                for wa in &ids {
                    if let Some(id) = messages::find(tx, &chat, true, wa)? {
                        if messages::advance_status(tx, &id, status)? {
                            advanced.push(id);
                        }
                    }
                }
                if kind != ReceiptKind::Delivered && !advanced.is_empty() {
                    em.emit(tx, EventType::MessageRead, account, Some(&chat.id), ts, json!({
                        "message_ids": advanced, "by": person_json(tx, account, &from)?, "played": kind == ReceiptKind::Played,
                    }))?;
                }
            }
            WaEvent::ChatState { chat, from, state, ts } => {
                let chat = chats::ensure(tx, account, &chat)?;
                let who = contacts::ensure(tx, account, &from)?;
                self.presence.set_activity(account, &who, state, ts);
                let kind = if state == ChatState::Paused {
                    EventType::TypingStopped
                } else {
                    EventType::TypingStarted
                };
                em.emit(
                    tx,
                    kind,
                    account,
                    Some(&chat.id),
                    ts,
                    json!({ "sender": person_json(tx, account, &from)?, "state": state }),
                )?;
            }
            WaEvent::Undecryptable { chat, sender, id, ts } => {
                let chat = chats::ensure(tx, account, &chat)?;
                em.emit(
                    tx,
                    EventType::MessageUndecryptable,
                    account,
                    Some(&chat.id),
                    ts,
                    json!({ "sender": person_json(tx, account, &sender)?, "whatsapp_id": id }),
                )?;
            }
            WaEvent::Presence {
                who,
                online,
                last_seen,
                ts,
            } => {
                let contact = contacts::ensure(tx, account, &who)?;
                self.presence.set(account, &contact, online, last_seen, ts);
                let last_seen = last_seen.map(crate::time::to_iso);
                em.emit(
                    tx,
                    EventType::PresenceChanged,
                    account,
                    None,
                    ts,
                    json!({
                        "contact": person_json(tx, account, &who)?, "online": online, "last_seen": last_seen,
                    }),
                )?;
            }
            WaEvent::Contact(c) => {
                identity::upsert(tx, account, &c)?;
            }
            WaEvent::Group { group, created, by, ts } => {
                let chat = chats::ensure(tx, account, &group.jid)?;
                groups::upsert(tx, &chat, &group)?;
                let kind = if created {
                    EventType::GroupCreated
                } else {
                    EventType::GroupUpdated
                };
                let by = by.map(|b| person_json(tx, account, &b)).transpose()?;
                em.emit(
                    tx,
                    kind,
                    account,
                    Some(&chat.id),
                    ts,
                    json!({ "group": groups::get(tx, &chat.id)?, "by": by }),
                )?;
            }
            WaEvent::GroupInfoChanged { group, change, by, ts } => {
                let chat = chats::ensure(tx, account, &group)?;
                let change = apply_group_change(tx, &chat.id, &change)?;
                let by = by.map(|b| person_json(tx, account, &b)).transpose()?;
                em.emit(
                    tx,
                    EventType::GroupUpdated,
                    account,
                    Some(&chat.id),
                    ts,
                    json!({ "group_id": chat.id.group_id(), "change": change, "by": by }),
                )?;
            }
            WaEvent::Participants {
                group,
                action,
                who,
                by,
                ts,
            } => {
                let chat = chats::ensure(tx, account, &group)?;
                participants_changed(tx, em, account, &chat, action, &who, by.as_ref(), ts)?;
            }
            WaEvent::AppState { change, ts } => apply_app_state(tx, account, &change, ts)?,
            WaEvent::IdentityLink { pn, lid } => {
                identity::link(tx, account, &pn, &lid)?;
            }
            WaEvent::SelfProfile { push_name, about } => {
                crate::store::accounts::set_profile(tx, account, push_name.as_deref(), about.as_deref())?;
            }
            // Pairing and connection state is the account manager's.
            WaEvent::PairingQr { .. }
            | WaEvent::PairingCode { .. }
            | WaEvent::Paired { .. }
            | WaEvent::PairingExpired
            | WaEvent::PairingFailed { .. }
            | WaEvent::Connected
            | WaEvent::Unreachable { .. }
            | WaEvent::Connecting
            | WaEvent::Disconnected(_)
            | WaEvent::LoggedOut { .. }
            | WaEvent::History(_) => {}
        }
        Ok(())
    }

    /// Stores a page of history in one transaction. History is the past: it raises
    /// no events. Returns how many messages were new.
    pub fn history(&self, account: &AccountId, batch: &HistoryBatch) -> StoreResult<usize> {
        self.store.write(|tx| {
            // Contacts first: linking a phone number to a LID may fold two people into
            // one, which must happen before their IDs are remembered below.
            for c in &batch.contacts {
                identity::upsert(tx, account, c)?;
            }
            let mut seen = Lookups::default();
            for g in &batch.groups {
                let chat = seen.chat(tx, account, &g.jid)?;
                groups::upsert(tx, &chat, g)?;
            }
            // Each chat's newest time is written once per page, not once per message.
            let mut newest: HashMap<ChatId, Millis> = HashMap::new();
            let mut new = 0;
            for m in &batch.messages {
                if let Some((chat, _)) = store_message(tx, &mut seen, account, m)? {
                    let ts = newest.entry(chat.id).or_insert(m.ts);
                    *ts = (*ts).max(m.ts);
                    new += 1;
                }
            }
            for (chat, ts) in &newest {
                chats::on_message(tx, chat, *ts, false)?;
            }
            for meta in &batch.chats {
                if let Some(jid) = &meta.jid {
                    let chat = seen.chat(tx, account, jid)?;
                    chats::apply_meta(tx, &chat.id, meta)?;
                }
            }
            if !batch.reactions.is_empty() {
                let own = crate::store::accounts::get(tx, account)?.and_then(|a| a.jid);
                for (target, from, emoji, ts) in &batch.reactions {
                    let Some(chat) = seen.known_chat(tx, account, &target.chat)? else {
                        continue;
                    };
                    if let Some(id) = messages::find(tx, &chat, target.from_me, &target.id)? {
                        messages::set_reaction(tx, &id, from, own.as_ref() == Some(from), Some(emoji), *ts)?;
                    }
                }
            }
            Ok(new)
        })
    }
}

/// Chats and people already resolved in the current transaction. A page of history
/// names the same few hundred chats and senders thousands of times; each is looked up
/// (or created) once. Only valid while no two people are folded into one, so it lives
/// for one batch, after that batch's contacts are applied.
#[derive(Default)]
pub struct Lookups {
    chats: HashMap<Jid, ChatRef>,
    contacts: HashMap<Jid, ContactId>,
    push_names: HashMap<ContactId, String>,
}

impl Lookups {
    pub fn chat(&mut self, tx: &Transaction<'_>, account: &AccountId, jid: &Jid) -> StoreResult<ChatRef> {
        if let Some(c) = self.chats.get(jid) {
            return Ok(c.clone());
        }
        let chat = chats::ensure(tx, account, jid)?;
        self.chats.insert(jid.clone(), chat.clone());
        Ok(chat)
    }

    /// The chat for `jid` if the account has one (none is created).
    pub fn known_chat(&mut self, tx: &Transaction<'_>, account: &AccountId, jid: &Jid) -> StoreResult<Option<ChatRef>> {
        if let Some(c) = self.chats.get(jid) {
            return Ok(Some(c.clone()));
        }
        let found = chats::find_by_jid(tx, account, jid)?;
        if let Some(chat) = &found {
            self.chats.insert(jid.clone(), chat.clone());
        }
        Ok(found)
    }

    pub fn contact(&mut self, tx: &Transaction<'_>, account: &AccountId, jid: &Jid) -> StoreResult<ContactId> {
        if let Some(c) = self.contacts.get(jid) {
            return Ok(c.clone());
        }
        let id = contacts::ensure(tx, account, jid)?;
        self.contacts.insert(jid.clone(), id.clone());
        Ok(id)
    }

    /// Records the name a sender calls themselves, once per name per batch.
    fn push_name(
        &mut self,
        tx: &Transaction<'_>,
        account: &AccountId,
        jid: &Jid,
        id: &ContactId,
        name: &str,
    ) -> StoreResult<()> {
        if self.push_names.get(id).is_some_and(|n| n == name) {
            return Ok(());
        }
        identity::upsert(
            tx,
            account,
            &WaContact {
                pn: jid.is_pn().then(|| jid.clone()),
                lid: jid.is_lid().then(|| jid.clone()),
                push_name: Some(name.to_owned()),
                ..Default::default()
            },
        )?;
        self.push_names.insert(id.clone(), name.to_owned());
        Ok(())
    }
}

/// Inserts a message (and its chat and sender) unless known. Returns the chat and ID
/// when it is new.
pub fn store_message(
    tx: &Transaction<'_>,
    seen: &mut Lookups,
    account: &AccountId,
    m: &WaMessage,
) -> StoreResult<Option<(ChatRef, MessageId)>> {
    let chat = seen.chat(tx, account, &m.key.chat)?;
    let sender = match (&m.key.sender, m.key.from_me) {
        (Some(s), false) => {
            let id = seen.contact(tx, account, s)?;
            if let Some(name) = &m.push_name {
                seen.push_name(tx, account, s, &id, name)?;
            }
            Some(id)
        }
        (None, false) if !m.key.chat.is_group() => chat.contact_id.clone(),
        _ => None,
    };
    let (id, new) = messages::insert(tx, &chat, m, sender.as_ref())?;
    Ok(new.then_some((chat, id)))
}

pub fn apply_group_change(tx: &Transaction<'_>, chat: &ChatId, change: &GroupInfoChange) -> StoreResult<Value> {
    Ok(match change {
        GroupInfoChange::Subject(s) => {
            groups::set_subject(tx, chat, s)?;
            json!({ "subject": s })
        }
        GroupInfoChange::Description(d) => {
            groups::set_description(tx, chat, d.as_deref())?;
            json!({ "description": d })
        }
        GroupInfoChange::Picture => json!({ "picture": "changed" }),
        GroupInfoChange::Announce(a) => {
            groups::set_flags(tx, chat, Some(*a), None)?;
            json!({ "announce": a })
        }
        GroupInfoChange::Locked(l) => {
            groups::set_flags(tx, chat, None, Some(*l))?;
            json!({ "locked": l })
        }
    })
}

/// Applies a participant change and raises its events (shared by ingest and tools).
#[allow(clippy::too_many_arguments)]
pub fn participants_changed(
    tx: &Transaction<'_>,
    em: &mut Emitter,
    account: &AccountId,
    chat: &ChatRef,
    action: ParticipantAction,
    who: &[Jid],
    by: Option<&Jid>,
    ts: Millis,
) -> StoreResult<()> {
    let own = crate::store::accounts::get(tx, account)?;
    let is_me = |j: &Jid| {
        own.as_ref()
            .is_some_and(|a| a.jid.as_ref() == Some(j) || a.lid.as_ref() == Some(j))
    };
    let mut people = Vec::new();
    for j in who {
        match action {
            ParticipantAction::Add => groups::add_participant(tx, chat, j, ParticipantRole::Member, Some(ts))?,
            ParticipantAction::Remove => {
                groups::remove_participant(tx, chat, j)?;
                if is_me(j) {
                    groups::mark_left(tx, &chat.id, ts)?;
                }
            }
            ParticipantAction::Promote => {
                groups::set_role(tx, chat, j, ParticipantRole::Admin)?;
            }
            ParticipantAction::Demote => {
                groups::set_role(tx, chat, j, ParticipantRole::Member)?;
            }
        }
        people.push(person_json(tx, account, j)?);
    }
    let by = by.map(|b| person_json(tx, account, b)).transpose()?;
    let group_id = chat.id.group_id();
    let (kind, data) = match action {
        ParticipantAction::Add => (
            EventType::GroupParticipantAdded,
            json!({ "group_id": group_id, "participants": people, "by": by }),
        ),
        ParticipantAction::Remove => (
            EventType::GroupParticipantRemoved,
            json!({ "group_id": group_id, "participants": people, "by": by }),
        ),
        ParticipantAction::Promote | ParticipantAction::Demote => (
            EventType::GroupUpdated,
            json!({ "group_id": group_id, "change": { "participants": people, "role": if action == ParticipantAction::Promote { "admin" } else { "member" } }, "by": by }),
        ),
    };
    em.emit(tx, kind, account, Some(&chat.id), ts, data)
}

/// Chat and message state synced from another device.
pub fn apply_app_state(
    tx: &Transaction<'_>,
    account: &AccountId,
    change: &AppStateChange,
    ts: Millis,
) -> StoreResult<()> {
    let chat_of = |jid: &Jid| chats::find_by_jid(tx, account, jid);
    match change {
        AppStateChange::Archive { chat, archived } => {
            if let Some(c) = chat_of(chat)? {
                chats::set_archived(tx, &c.id, *archived)?;
            }
        }
        AppStateChange::Pin { chat, pinned } => {
            if let Some(c) = chat_of(chat)? {
                chats::set_pinned(tx, &c.id, pinned.then_some(ts))?;
            }
        }
        AppStateChange::Mute { chat, until } => {
            if let Some(c) = chat_of(chat)? {
                chats::set_muted(tx, &c.id, *until)?;
            }
        }
        AppStateChange::MarkUnread { chat, unread } => {
            if let Some(c) = chat_of(chat)? {
                if *unread {
                    chats::set_marked_unread(tx, &c.id, true)?;
                } else {
                    chats::clear_unread(tx, &c.id)?;
                }
            }
        }
        AppStateChange::Star { message, starred } => {
            if let Some(id) = messages::find_by_key(tx, account, message)? {
                messages::set_starred(tx, &id, *starred)?;
            }
        }
        AppStateChange::DeleteChat { chat } => {
            if let Some(c) = chat_of(chat)? {
                chats::delete(tx, &c.id)?;
            }
        }
        AppStateChange::DeleteForMe { message } => {
            let Some(id) = messages::find_by_key(tx, account, message)? else {
                return Ok(());
            };
            if messages::set_deleted_for_me(tx, &id)? {
                if let Some(r) = messages::get_ref(tx, &id)? {
                    chats::refresh_last_message(tx, &r.chat_id)?;
                }
            }
        }
    }
    Ok(())
}
