//! How the sandbox's people behave: they receive, read, type, answer and react, and
//! now and then write, come online or change a group on their own.

use std::sync::Arc;

use rand::seq::IndexedRandom;
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::client::is_lively;
use super::text;
use super::world::{rng_for, wa_message_id, Persona};
use super::{delays, Net};
use crate::ids::AccountId;
use crate::time::now_ms;
use crate::wa::*;

fn pick<'a>(bank: &'a [&'a str], key: &str) -> &'a str {
    let h = Sha256::digest(key.as_bytes());
    bank[usize::from(h[0]) % bank.len()]
}

/// What a chatty person answers to `content`: deterministic for the same text.
pub fn reply_to(persona: Persona, name: &str, content: &WaContent) -> String {
    let first = name.split(' ').next().unwrap_or(name);
    let Some(text) = content
        .text_or_caption()
        .filter(|_| matches!(content, WaContent::Text { .. }))
    else {
        return match content {
            WaContent::Image { .. } | WaContent::Video { .. } => "Nice! 😍".into(),
            WaContent::Document { .. } => "Got the file, thanks.".into(),
            WaContent::Audio { .. } => "Just listened — sounds good 👍".into(),
            WaContent::Location(_) => "📍 On my way!".into(),
            WaContent::Contact(_) => "Thanks for the contact.".into(),
            _ => "👍".into(),
        };
    };
    let lower = text.to_lowercase();
    if persona == Persona::Business {
        let ticket =
            u32::from_le_bytes(Sha256::digest(text.as_bytes())[..4].try_into().unwrap_or_default()) % 90_000 + 10_000;
        return format!(
            "Thanks for contacting Acme Support! A team member will reply within 1 business day. Your ticket is #{ticket}."
        );
    }
    if lower.contains("ping") {
        return "pong 🏓".into();
    }
    let greeting = [
        "hi",
        "hello",
        "hey",
        "oi",
        "olá",
        "ola",
        "hola",
        "good morning",
        "bom dia",
    ]
    .iter()
    .any(|g| lower.starts_with(g));
    if greeting {
        return format!("{} I'm {first}.", pick(text::GREETINGS, &lower));
    }
    if lower.contains('?') {
        let answer = pick(text::ANSWERS, &lower);
        return if persona == Persona::Terse {
            answer.split([',', '.', '—']).next().unwrap_or(answer).trim().into()
        } else {
            answer.into()
        };
    }
    let acks = [
        "Got it!",
        "Haha true 😂",
        "Ok 👌",
        "Sounds good.",
        "Thanks!",
        "Right, makes sense.",
        "👍",
        "Perfeito!",
    ];
    pick(&acks, &lower).into()
}

/// An incoming message from a simulated person.
fn from_person(chat: Jid, sender: Jid, name: &str, content: WaContent, reply_to: Option<String>) -> WaMessage {
    WaMessage {
        key: MsgKey {
            chat,
            id: wa_message_id(&mut rand::rng()),
            from_me: false,
            sender: Some(sender),
        },
        ts: now_ms(),
        push_name: Some(name.to_owned()),
        content,
        reply_to,
        forwarded: false,
        status: None,
        starred: false,
    }
}

/// Someone received our 1:1 message: delivered, read, typing, answer (by persona).
pub fn on_direct_message(
    net: Arc<Net>,
    account: AccountId,
    token: CancellationToken,
    phone: String,
    persona: Persona,
    key: MsgKey,
    content: WaContent,
) {
    tokio::spawn(async move {
        let them = Jid::new(&phone, USER_SERVER);
        let name = net
            .world
            .lock()
            .users
            .get(&phone)
            .map(|u| u.name.clone())
            .unwrap_or_default();
        let (read_ms, typing_ms, answer_ms) = match persona {
            Persona::Echo => (200, 300, 300),
            Persona::Business => (400, 600, 1200),
            Persona::Terse => (4_000, 6_000, 3_000),
            Persona::Chatty | Persona::Silent => (1_200, 600, 1_800),
        };
        let receipt = |kind| WaEvent::Receipt {
            chat: them.clone(),
            ids: vec![key.id.clone()],
            from: them.clone(),
            kind,
            ts: now_ms(),
        };
        let step = |ms| {
            let net = net.clone();
            let token = token.clone();
            async move {
                tokio::select! {
                    ok = net.sleep(ms) => ok,
                    () = token.cancelled() => false,
                }
            }
        };
        if !step(200).await {
            return;
        }
        net.deliver(&account, receipt(ReceiptKind::Delivered)).await;
        if !step(read_ms).await {
            return;
        }
        net.deliver(&account, receipt(ReceiptKind::Read)).await;
        if persona == Persona::Silent {
            return;
        }
        // Now and then a reaction instead of words first.
        if persona == Persona::Chatty && pick(&["y", "n", "n", "n", "n"], &format!("{}{:?}", key.id, content)) == "y" {
            net.deliver(
                &account,
                WaEvent::Reaction {
                    target: key.clone(),
                    from: them.clone(),
                    from_me: false,
                    emoji: Some(pick(text::REACTIONS, &key.id).into()),
                    ts: now_ms(),
                },
            )
            .await;
        }
        if !step(typing_ms).await {
            return;
        }
        let typing = |state| WaEvent::ChatState {
            chat: them.clone(),
            from: them.clone(),
            state,
            ts: now_ms(),
        };
        net.deliver(&account, typing(ChatState::Typing)).await;
        if !step(answer_ms).await {
            return;
        }
        net.deliver(&account, typing(ChatState::Paused)).await;
        let answer = match persona {
            Persona::Echo => content.clone(),
            _ => WaContent::text(reply_to(persona, &name, &content)),
        };
        let quote = (persona != Persona::Echo && content.text_or_caption().is_some_and(|t| t.contains('?')))
            .then(|| key.id.clone());
        let msg = from_person(them.clone(), them.clone(), &name, answer, quote);
        if let Some(c) = net.devices.lock().get(&account) {
            c.client.remember(msg.key.clone());
        }
        net.deliver(&account, WaEvent::Message(msg)).await;
    });
}

/// Someone in the group answers now and then.
pub fn on_group_message(
    net: Arc<Net>,
    account: AccountId,
    token: CancellationToken,
    group: Jid,
    key: MsgKey,
    content: WaContent,
) {
    tokio::spawn(async move {
        let speaker = {
            let w = net.world.lock();
            let Some(g) = w.groups.get(group.user()) else { return };
            let candidates: Vec<_> = g
                .members
                .iter()
                .filter_map(|m| w.users.get(&m.phone))
                .filter(|u| is_lively(u.persona))
                .collect();
            let h = Sha256::digest(key.id.as_bytes());
            if candidates.is_empty() || h[1] % 3 == 0 {
                return;
            }
            let u = candidates[usize::from(h[0]) % candidates.len()];
            (
                u.name.clone(),
                if u.lid_in_groups { u.lid_jid() } else { u.jid() },
                u.persona,
            )
        };
        let (name, sender, persona) = speaker;
        tokio::select! {
            ok = net.sleep(1_500) => if !ok { return },
            () = token.cancelled() => return,
        }
        net.deliver(
            &account,
            WaEvent::ChatState {
                chat: group.clone(),
                from: sender.clone(),
                state: ChatState::Typing,
                ts: now_ms(),
            },
        )
        .await;
        tokio::select! {
            ok = net.sleep(2_000) => if !ok { return },
            () = token.cancelled() => return,
        }
        net.deliver(
            &account,
            WaEvent::ChatState {
                chat: group.clone(),
                from: sender.clone(),
                state: ChatState::Paused,
                ts: now_ms(),
            },
        )
        .await;
        let msg = from_person(
            group.clone(),
            sender,
            &name,
            WaContent::text(reply_to(persona, &name, &content)),
            None,
        );
        net.deliver(&account, WaEvent::Message(msg)).await;
    });
}

/// Someone says hello in a group they were just added to.
pub fn on_group_created(net: Arc<Net>, account: AccountId, token: CancellationToken, group: Jid) {
    tokio::spawn(async move {
        tokio::select! {
            ok = net.sleep(2_500) => if !ok { return },
            () = token.cancelled() => return,
        }
        let speaker = {
            let w = net.world.lock();
            w.groups.get(group.user()).and_then(|g| {
                g.members
                    .iter()
                    .filter_map(|m| w.users.get(&m.phone))
                    .find(|u| is_lively(u.persona))
                    .map(|u| (u.name.clone(), u.jid()))
            })
        };
        if let Some((name, jid)) = speaker {
            let msg = from_person(
                group.clone(),
                jid,
                &name,
                WaContent::text("Hi all 👋 thanks for adding me!"),
                None,
            );
            net.deliver(&account, WaEvent::Message(msg)).await;
        }
    });
}

/// Life goes on while the account is connected: people write, come and go, react,
/// and groups change. Deterministic per account for a given seed.
pub fn start_ambient(net: Arc<Net>, account: AccountId, token: CancellationToken) {
    tokio::spawn(async move {
        let mut rng = rng_for(net.config.seed, &format!("ambient:{account}"));
        loop {
            let wait = delays::AMBIENT_MS / 2 + rng.random_range(0..delays::AMBIENT_MS);
            tokio::select! {
                ok = net.sleep(wait) => if !ok { return },
                () = token.cancelled() => return,
            }
            let Some(me) = net.phone_of(&account) else { return };
            let roll = rng.random_range(0..100);
            let event = {
                let mut w = net.world.lock();
                let people: Vec<String> = w
                    .users
                    .values()
                    .filter(|u| is_lively(u.persona))
                    .map(|u| u.phone.clone())
                    .collect();
                let Some(phone) = people.choose(&mut rng).cloned() else {
                    continue;
                };
                match roll {
                    // A message from someone.
                    0..=44 => {
                        let u = &w.users[&phone];
                        let bank = if rng.random_bool(0.4) {
                            text::QUESTIONS
                        } else {
                            text::STATEMENTS
                        };
                        let body = bank.choose(&mut rng).copied().unwrap_or("Hi");
                        Some(WaEvent::Message(from_person(
                            u.jid(),
                            u.jid(),
                            &u.name,
                            WaContent::text(body),
                            None,
                        )))
                    }
                    // Chatter in a group.
                    45..=64 => {
                        let groups: Vec<_> = w.groups.values().filter(|g| g.member(&me).is_some()).cloned().collect();
                        groups.choose(&mut rng).and_then(|g| {
                            let m = g.members.iter().filter(|m| m.phone != me).collect::<Vec<_>>();
                            let m = m.choose(&mut rng)?;
                            let u = w.users.get(&m.phone)?;
                            let sender = if u.lid_in_groups { u.lid_jid() } else { u.jid() };
                            let body = text::STATEMENTS.choose(&mut rng).copied().unwrap_or("ok");
                            Some(WaEvent::Message(from_person(
                                g.jid(),
                                sender,
                                &u.name,
                                WaContent::text(body),
                                None,
                            )))
                        })
                    }
                    // Someone comes online or leaves.
                    65..=84 => {
                        let now = now_ms();
                        w.users.get_mut(&phone).map(|u| {
                            u.online = !u.online;
                            if !u.online {
                                u.last_seen = now;
                            }
                            WaEvent::Presence {
                                who: u.jid(),
                                online: u.online,
                                last_seen: (!u.online).then_some(u.last_seen),
                                ts: now,
                            }
                        })
                    }
                    // A reaction to something recent.
                    85..=94 => {
                        let recent = net
                            .devices
                            .lock()
                            .get(&account)
                            .map(|d| d.client.recent())
                            .unwrap_or_default();
                        recent.choose(&mut rng).cloned().map(|target| {
                            let from = if target.chat.is_group() {
                                w.groups
                                    .get(target.chat.user())
                                    .and_then(|g| g.members.iter().find(|m| m.phone != me))
                                    .map(|m| Jid::new(&m.phone, USER_SERVER))
                                    .unwrap_or_else(|| Jid::new(&phone, USER_SERVER))
                            } else {
                                target.chat.clone()
                            };
                            WaEvent::Reaction {
                                target,
                                from,
                                from_me: false,
                                emoji: text::REACTIONS.choose(&mut rng).map(|e| (*e).to_owned()),
                                ts: now_ms(),
                            }
                        })
                    }
                    // Now and then the connection drops (the engine reconnects with backoff).
                    99 => Some(WaEvent::Disconnected(DisconnectReason::Network)),
                    // A group admin adds or removes someone.
                    _ => {
                        let gid = w
                            .groups
                            .values()
                            .filter(|g| g.seeded && g.member(&me).is_some())
                            .map(|g| g.id.clone())
                            .collect::<Vec<_>>();
                        let gid = gid.choose(&mut rng).cloned();
                        gid.and_then(|gid| {
                            let g = w.groups.get_mut(&gid)?;
                            let admin = g
                                .members
                                .iter()
                                .find(|m| m.role.is_admin() && m.phone != me)?
                                .phone
                                .clone();
                            let (action, who) = if let Some(m) = g.members.iter().find(|m| m.phone == phone) {
                                if m.role.is_admin() || m.phone == g.owner {
                                    return None;
                                }
                                g.members.retain(|m| m.phone != phone);
                                (ParticipantAction::Remove, phone.clone())
                            } else {
                                g.members.push(super::world::Member {
                                    phone: phone.clone(),
                                    role: ParticipantRole::Member,
                                });
                                (ParticipantAction::Add, phone.clone())
                            };
                            Some(WaEvent::Participants {
                                group: g.jid(),
                                action,
                                who: vec![Jid::new(who, USER_SERVER)],
                                by: Some(Jid::new(admin, USER_SERVER)),
                                ts: now_ms(),
                            })
                        })
                    }
                }
            };
            let Some(event) = event else { continue };
            if matches!(event, WaEvent::Participants { .. } | WaEvent::Presence { .. }) {
                net.save();
            }
            if let WaEvent::Message(m) = &event {
                if let Some(d) = net.devices.lock().get(&account) {
                    d.client.remember(m.key.clone());
                }
            }
            let dropped = matches!(event, WaEvent::Disconnected(_));
            net.deliver(&account, event).await;
            if dropped {
                net.unregister(&account);
                return;
            }
        }
    });
}
