//! Turns what a backend reports into store rows and product events, in one
//! transaction per report, the same way for live and sandbox accounts.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::events::{Emitter, EventBus, EventType};
use crate::ids::{AccountId, ChatId, ContactId, MessageId};
use crate::model::MessageStatus;
use crate::presence::Presence;
use crate::store::chats::{self, ChatRef};
use crate::store::{contacts, failures, groups, identity, messages, Heard, Store, StoreResult};
use crate::time::{now_ms, Millis};
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
                if let Some((chat, id)) = store_message(tx, &mut Lookups::default(), account, &m, true)? {
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
            // The network's word on a person now (a push name, an address book entry).
            WaEvent::Contact(c) => {
                identity::upsert(tx, account, &c, Heard::Live(now_ms()))?;
            }
            // A person's security code changed: reported once per change, though
            // WhatsApp's notification and the first message under new keys both tell it.
            WaEvent::IdentityChanged { who, ts } => {
                let Some(contact) = contacts::by_jid(tx, account, &who)? else {
                    return Ok(());
                };
                if contacts::identity_changed(tx, &contact, ts)? {
                    let chat = chats::direct_with(tx, account, &contact)?;
                    em.emit(
                        tx,
                        EventType::ContactIdentityChanged,
                        account,
                        chat.as_ref(),
                        ts,
                        json!({ "contact": person_json(tx, account, &who)? }),
                    )?;
                }
            }
            WaEvent::Group { group, created, by, ts } => {
                let chat = chats::ensure(tx, account, &group.jid)?;
                groups::upsert(tx, &chat, &group, Heard::Live(ts))?;
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
                let change = apply_group_change(tx, &chat.id, &change, ts)?;
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
            | WaEvent::OfflineSync(_)
            | WaEvent::AppStateSyncFailed { .. }
            | WaEvent::History(_) => {}
        }
        Ok(())
    }

    /// Stores a page of history in one transaction. History is the past: it raises
    /// no events of its own, only a `history.synced` summary for a chunk of the
    /// phone's sync. An item the store refuses is recorded and skipped (the page is
    /// then stored again, each item in its own savepoint); a failure of the store
    /// itself stores nothing.
    pub fn history(&self, account: &AccountId, batch: &HistoryBatch) -> StoreResult<HistoryStored> {
        let page = |items: Items| {
            self.bus
                .write(&self.store, |tx, em| page(tx, em, account, batch, items))
        };
        match page(Items::Together) {
            Err(e) if e.refused_item() => page(Items::EachOnItsOwn),
            done => done,
        }
    }
}

/// What a page of history added to the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryStored {
    /// Messages that were new.
    pub new: usize,
    /// The oldest message's time among them.
    pub oldest: Option<Millis>,
}

/// How the items of a page go in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Items {
    /// All or nothing (fast: no savepoints).
    Together,
    /// Each in a savepoint of its own: what the store refuses is recorded and skipped.
    EachOnItsOwn,
}

impl Items {
    /// Runs one item. On its own, it starts from an empty `seen`: what an item that
    /// was rolled back looked up or created is gone.
    fn each<T>(
        self,
        tx: &Transaction<'_>,
        account: &AccountId,
        seen: &mut Lookups,
        (kind, item): (&str, String),
        f: impl FnOnce(&mut Lookups) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        if self == Self::Together {
            return f(seen).map(Some);
        }
        *seen = Lookups::default();
        tx.execute_batch("SAVEPOINT item")?;
        match f(seen) {
            Ok(v) => {
                tx.execute_batch("RELEASE item")?;
                Ok(Some(v))
            }
            Err(e) if e.refused_item() => {
                tx.execute_batch("ROLLBACK TO item; RELEASE item")?;
                failures::record(tx, account, kind, &item, &e)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

fn jid_label(kind: &'static str, jid: &Jid) -> (&'static str, String) {
    (kind, jid.to_string())
}

fn page(
    tx: &Transaction<'_>,
    em: &mut Emitter,
    account: &AccountId,
    batch: &HistoryBatch,
    items: Items,
) -> StoreResult<HistoryStored> {
    let heard = if batch.current {
        Heard::Live(batch.as_of)
    } else {
        Heard::History(batch.as_of)
    };
    let at = batch.as_of;
    let on_demand = batch.chunk.as_ref().is_some_and(|c| c.on_demand());
    let mut seen = Lookups::default();
    // Contacts first: linking a phone number to a LID may fold two people into
    // one, which must happen before their IDs are remembered below.
    for c in &batch.contacts {
        let who =
            c.pn.as_ref()
                .or(c.lid.as_ref())
                .map(|j| j.to_string())
                .unwrap_or_default();
        items.each(tx, account, &mut seen, ("contact", who), |_| {
            identity::upsert(tx, account, c, heard)
        })?;
    }
    for g in &batch.groups {
        items.each(tx, account, &mut seen, jid_label("group", &g.jid), |seen| {
            let chat = seen.chat(tx, account, &g.jid)?;
            groups::upsert(tx, &chat, g, heard)
        })?;
    }
    // Each chat's newest time is written once per page, not once per message.
    let mut newest: HashMap<ChatId, Millis> = HashMap::new();
    let mut stored = HistoryStored::default();
    for m in &batch.messages {
        let label = ("message", m.key.id.clone());
        if let Some(Some((chat, _))) = items.each(tx, account, &mut seen, label, |seen| {
            store_message(tx, seen, account, m, batch.current)
        })? {
            let ts = newest.entry(chat.id).or_insert(m.ts);
            *ts = (*ts).max(m.ts);
            stored.new += 1;
            stored.oldest = Some(stored.oldest.map_or(m.ts, |o| o.min(m.ts)));
        }
    }
    for (chat, ts) in &newest {
        chats::on_message(tx, chat, *ts, false)?;
    }
    for meta in &batch.chats {
        if let Some(jid) = &meta.jid {
            items.each(tx, account, &mut seen, jid_label("chat", jid), |seen| {
                let chat = seen.chat(tx, account, jid)?;
                // An answer for older messages says only whether the phone has more;
                // its chat state is not news.
                match (on_demand, meta.older_on_phone) {
                    (true, Some(more)) => chats::set_older_on_phone(tx, &chat.id, more),
                    (true, None) => Ok(()),
                    (false, _) => chats::apply_meta(tx, &chat.id, meta, at),
                }
            })?;
        }
    }
    if !batch.reactions.is_empty() {
        let own = crate::store::accounts::get(tx, account)?.and_then(|a| a.jid);
        for (target, from, emoji, ts) in &batch.reactions {
            items.each(tx, account, &mut seen, ("reaction", target.id.clone()), |seen| {
                let Some(chat) = seen.known_chat(tx, account, &target.chat)? else {
                    return Ok(());
                };
                if let Some(id) = messages::find(tx, &chat, target.from_me, &target.id)? {
                    messages::set_reaction(tx, &id, from, own.as_ref() == Some(from), Some(emoji), *ts)?;
                }
                Ok(())
            })?;
        }
    }
    if let Some(chunk) = &batch.chunk {
        // An on-demand page answers for one chat.
        let chat = match batch.chats.as_slice() {
            [only] if chunk.on_demand() => only
                .jid
                .as_ref()
                .map(|j| seen.known_chat(tx, account, j))
                .transpose()?
                .flatten(),
            _ => None,
        };
        em.emit(
            tx,
            EventType::HistorySynced,
            account,
            chat.as_ref().map(|c| &c.id),
            now_ms(),
            json!({
                "sync_type": chunk.sync_type,
                "on_demand": chunk.on_demand(),
                "chunk": chunk.order,
                "progress": chunk.progress,
                "messages": stored.new,
                "received": batch.messages.len(),
                "oldest": stored.oldest.map(crate::time::to_iso),
            }),
        )?;
    }
    Ok(stored)
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
        heard: Heard,
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
            heard,
        )?;
        self.push_names.insert(id.clone(), name.to_owned());
        Ok(())
    }
}

/// Inserts a message (and its chat and sender) unless known. Returns the chat and ID
/// when it is new. `live`: it just arrived (its sender's name is news), rather than
/// from a page of history.
pub fn store_message(
    tx: &Transaction<'_>,
    seen: &mut Lookups,
    account: &AccountId,
    m: &WaMessage,
    live: bool,
) -> StoreResult<Option<(ChatRef, MessageId)>> {
    let chat = seen.chat(tx, account, &m.key.chat)?;
    let sender = match (&m.key.sender, m.key.from_me) {
        (Some(s), false) => {
            let id = seen.contact(tx, account, s)?;
            if let Some(name) = &m.push_name {
                let heard = if live { Heard::Live(m.ts) } else { Heard::History(m.ts) };
                seen.push_name(tx, account, s, &id, name, heard)?;
            }
            Some(id)
        }
        (None, false) if !m.key.chat.is_group() => chat.contact_id.clone(),
        _ => None,
    };
    let (id, new) = messages::insert(tx, &chat, m, sender.as_ref())?;
    Ok(new.then_some((chat, id)))
}

/// Applies a change of a group's info made at `at` (unless the store knows newer).
pub fn apply_group_change(
    tx: &Transaction<'_>,
    chat: &ChatId,
    change: &GroupInfoChange,
    at: Millis,
) -> StoreResult<Value> {
    Ok(match change {
        GroupInfoChange::Subject(s) => {
            groups::set_subject(tx, chat, s, at)?;
            json!({ "subject": s })
        }
        GroupInfoChange::Description(d) => {
            groups::set_description(tx, chat, d.as_deref(), at)?;
            json!({ "description": d })
        }
        GroupInfoChange::Picture => json!({ "picture": "changed" }),
        GroupInfoChange::Announce(a) => {
            groups::set_flags(tx, chat, Some(*a), None, at)?;
            json!({ "announce": a })
        }
        GroupInfoChange::Locked(l) => {
            groups::set_flags(tx, chat, None, Some(*l), at)?;
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
    groups::members_changed(tx, &chat.id, ts)?;
    let mut people = Vec::new();
    for j in who {
        match action {
            ParticipantAction::Add => {
                groups::add_participant(tx, chat, j, ParticipantRole::Member, Some(ts))?;
                if is_me(j) {
                    groups::mark_joined(tx, &chat.id)?;
                }
            }
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
                chats::set_archived(tx, &c.id, *archived, ts)?;
            }
        }
        AppStateChange::Pin { chat, pinned } => {
            if let Some(c) = chat_of(chat)? {
                chats::set_pinned(tx, &c.id, *pinned, ts)?;
            }
        }
        AppStateChange::Mute { chat, until } => {
            if let Some(c) = chat_of(chat)? {
                chats::set_muted(tx, &c.id, *until, ts)?;
            }
        }
        AppStateChange::MarkUnread { chat, unread } => {
            if let Some(c) = chat_of(chat)? {
                if *unread {
                    chats::set_marked_unread(tx, &c.id, true, ts)?;
                } else {
                    chats::clear_unread(tx, &c.id, ts)?;
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
