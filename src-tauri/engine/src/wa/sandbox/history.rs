//! The history a sandbox phone pushes after pairing: a few thousand messages across
//! its chats and groups, generated deterministically from the world seed.

use base64::Engine as _;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::text;
use super::world::{rng_for, wa_message_id, Persona, World};
use crate::model::{ContactCard, Location, MediaInfo, MessageStatus};
use crate::time::Millis;
use crate::wa::{
    HistoryBatch, HistoryChunk, Jid, MediaBlob, MsgKey, RemoteMedia, WaChatMeta, WaContact, WaContent, WaMedia,
    WaMessage,
};

const DAY: Millis = 86_400_000;
const BATCH: usize = 1000;

/// Sandbox media lives at `/sandbox/<kind>/<key>`; the sandbox "downloads" it by
/// generating the bytes again from that path.
pub fn remote(kind: &str, key: &str) -> RemoteMedia {
    RemoteMedia {
        kind: kind.into(),
        direct_path: format!("/sandbox/{kind}/{key}"),
        media_key: base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
        file_sha256: None,
        file_enc_sha256: None,
        file_length: None,
    }
}

fn media(kind: &str, key: &str, info: MediaInfo) -> WaMedia {
    WaMedia {
        info,
        blob: MediaBlob::Remote(remote(kind, key)),
    }
}

/// Some content for a generated message.
pub(super) fn content(rng: &mut impl Rng, id: &str) -> WaContent {
    let roll = rng.random_range(0..1000);
    match roll {
        0..=29 => WaContent::Image {
            media: media(
                "image",
                id,
                MediaInfo {
                    mime: "image/png".into(),
                    width: Some(640),
                    height: Some(480),
                    ..Default::default()
                },
            ),
            caption: rng
                .random_bool(0.6)
                .then(|| text::STATEMENTS.choose(rng).copied().unwrap_or("").to_owned()),
        },
        30..=39 => WaContent::Document {
            media: media(
                "document",
                id,
                MediaInfo {
                    mime: "application/pdf".into(),
                    file_name: Some(
                        [
                            "invoice-2026-10.pdf",
                            "orçamento-reforma.pdf",
                            "tickets.pdf",
                            "notes.pdf",
                        ]
                        .choose(rng)
                        .copied()
                        .unwrap_or("file.pdf")
                        .into(),
                    ),
                    ..Default::default()
                },
            ),
            caption: None,
        },
        40..=49 => WaContent::Audio {
            media: media(
                "audio",
                id,
                MediaInfo {
                    mime: "audio/wav".into(),
                    duration_s: Some(f64::from(rng.random_range(2..40))),
                    voice_note: true,
                    ..Default::default()
                },
            ),
        },
        50..=57 => WaContent::Location(Location {
            latitude: 38.7 + rng.random_range(0.0..0.1),
            longitude: -9.15 + rng.random_range(0.0..0.1),
            name: Some(
                ["Café Central", "Parque da Cidade", "Office", "Gym"]
                    .choose(rng)
                    .copied()
                    .unwrap_or("Here")
                    .into(),
            ),
            address: None,
        }),
        58..=61 => {
            let first = text::FIRST_NAMES.choose(rng).copied().unwrap_or("Alex");
            WaContent::Contact(ContactCard {
                display_name: format!("{first} (plumber)"),
                vcard: format!(
                    "BEGIN:VCARD\nVERSION:3.0\nFN:{first}\nTEL;type=CELL:+1 415 555 01{:02}\nEND:VCARD",
                    rng.random_range(0..100)
                ),
            })
        }
        _ => {
            let bank = match rng.random_range(0..10) {
                0 => text::GREETINGS,
                1..=3 => text::QUESTIONS,
                4..=5 => text::ANSWERS,
                _ => text::STATEMENTS,
            };
            WaContent::text(bank.choose(rng).copied().unwrap_or("ok"))
        }
    }
}

struct ChatPlan {
    jid: Jid,
    /// (sender JID, is me) candidates.
    speakers: Vec<(Jid, bool)>,
    count: usize,
    meta: WaChatMeta,
}

/// All history for the account with phone digits `me`, in batches.
pub fn generate(world: &World, me: &str, now: Millis) -> Vec<HistoryBatch> {
    let seed = world.seed;
    let mut rng = rng_for(seed, &format!("book:{me}"));
    let me_jid = Jid::new(me, crate::wa::USER_SERVER);

    // The address book: most people are saved under their name, a few under a nickname.
    let mut contacts = Vec::new();
    let mut direct_with = Vec::new();
    for u in world.users.values() {
        let saved = rng.random_bool(0.7) || u.persona != Persona::Chatty;
        let saved_name = saved.then(|| {
            if rng.random_bool(0.05) {
                format!("{} 🏠", u.name.split(' ').next().unwrap_or(&u.name))
            } else {
                u.name.clone()
            }
        });
        contacts.push(WaContact {
            pn: Some(u.jid()),
            lid: Some(u.lid_jid()),
            saved_name,
            push_name: Some(u.name.clone()),
            business_name: u.business.clone(),
            is_business: u.business.is_some(),
        });
        if saved || rng.random_bool(0.3) {
            direct_with.push(u);
        }
    }

    let mut plans = Vec::new();
    for u in &direct_with {
        let count = match u.persona {
            Persona::Echo | Persona::Silent | Persona::Business => rng.random_range(2..8),
            _ => rng.random_range(15..110),
        };
        plans.push(ChatPlan {
            jid: u.jid(),
            speakers: vec![(me_jid.clone(), true), (u.jid(), false)],
            count,
            meta: WaChatMeta::default(),
        });
    }
    for g in world.groups.values().filter(|g| g.member(me).is_some()) {
        let speakers = g
            .members
            .iter()
            .map(|m| {
                let is_me = m.phone == me;
                let jid = match world.users.get(&m.phone) {
                    Some(u) if u.lid_in_groups => u.lid_jid(),
                    _ => Jid::new(&m.phone, crate::wa::USER_SERVER),
                };
                (if is_me { me_jid.clone() } else { jid }, is_me)
            })
            .collect();
        plans.push(ChatPlan {
            jid: g.jid(),
            speakers,
            count: rng.random_range(90..260),
            meta: WaChatMeta {
                name: Some(g.subject.clone()),
                ..Default::default()
            },
        });
    }

    // A lived-in chat list: something pinned, archived, muted, labelled, unread.
    for (i, plan) in plans.iter_mut().enumerate() {
        let name = plan.meta.name.clone();
        let m = &mut plan.meta;
        m.jid = Some(plan.jid.clone());
        // The phone keeps older messages than it pushes (`older`).
        m.older_on_phone = Some(true);
        if plan.jid.is_group() {
            match name.as_deref() {
                Some(n) if n.starts_with("Family") => {
                    m.pinned_at = Some(now - 20 * DAY);
                    m.labels = vec!["family".into()];
                }
                Some("Product Team") => m.labels = vec!["work".into()],
                Some("Neighbours") => m.muted_until = Some(-1),
                _ => {}
            }
        } else if i % 11 == 3 {
            m.archived = true;
        } else if i % 9 == 5 {
            m.labels = vec!["work".into()];
        } else if i % 13 == 7 {
            m.labels = vec!["important".into()];
        }
    }

    let mut messages = Vec::new();
    let mut reactions = Vec::new();
    for plan in &mut plans {
        let mut crng = rng_for(seed, &format!("chat:{me}:{}", plan.jid));
        let mut ts = now - crng.random_range(3..90) * DAY;
        let end = now - 5 * 60_000;
        let step = ((end - ts) / plan.count.max(1) as i64).max(1000);
        let mut ids: Vec<MsgKey> = Vec::new();
        let mut speaker = plan.speakers[0].clone();
        let mut trailing_incoming = 0;
        for n in 0..plan.count {
            ts = (ts + crng.random_range(step / 4..=step * 7 / 4)).min(end - (plan.count - n) as i64 * 1000);
            // Runs of the same speaker, like real chats.
            if crng.random_bool(0.6) {
                speaker = plan.speakers.choose(&mut crng).cloned().unwrap_or(speaker);
            }
            let (sender, from_me) = speaker.clone();
            let id = wa_message_id(&mut crng);
            let key = MsgKey {
                chat: plan.jid.clone(),
                id: id.clone(),
                from_me,
                sender: (!from_me).then(|| sender.clone()),
            };
            let reply_to = (!ids.is_empty() && crng.random_bool(0.05)).then(|| {
                ids[crng.random_range(ids.len().saturating_sub(10)..ids.len())]
                    .id
                    .clone()
            });
            let push_name = if from_me {
                None
            } else {
                let phone = if sender.is_lid() {
                    world.phone_of_lid(sender.user())
                } else {
                    Some(sender.user().to_owned())
                };
                phone.and_then(|p| world.users.get(&p)).map(|u| u.name.clone())
            };
            let mut body = content(&mut crng, &format!("{me}-{id}"));
            if ts < now - super::older::CDN_DAYS * DAY {
                body = super::older::expired(body);
            }
            messages.push(WaMessage {
                key: key.clone(),
                ts,
                push_name,
                content: body,
                reply_to,
                forwarded: crng.random_bool(0.02),
                status: from_me.then_some(if n + 3 >= plan.count {
                    MessageStatus::Delivered
                } else {
                    MessageStatus::Read
                }),
                starred: crng.random_bool(0.01),
            });
            if crng.random_bool(0.05) {
                let (who, who_is_me) = plan.speakers.choose(&mut crng).cloned().unwrap_or(speaker.clone());
                if who_is_me != from_me || !plan.jid.is_group() {
                    let emoji = text::REACTIONS.choose(&mut crng).copied().unwrap_or("👍");
                    reactions.push((key.clone(), who, emoji.to_owned(), ts + 60_000));
                }
            }
            trailing_incoming = if from_me { 0 } else { trailing_incoming + 1 };
            ids.push(key);
        }
        if trailing_incoming > 0 && crng.random_bool(0.3) {
            plan.meta.unread_count = trailing_incoming.min(5);
        }
    }

    let chats: Vec<WaChatMeta> = plans.into_iter().map(|p| p.meta).collect();
    let groups = world
        .groups
        .values()
        .filter(|g| g.member(me).is_some())
        .map(|g| g.to_wa())
        .collect();
    // Newest first, as a phone sends it: recent chats are usable before old history lands.
    messages.sort_by_key(|m| std::cmp::Reverse(m.ts));
    let total = messages.len().max(1);
    let mut batches = Vec::new();
    let mut first = Some((contacts, groups, chats));
    let mut done = 0;
    let mut chunks = messages.chunks(BATCH).peekable();
    while let Some(chunk) = chunks.next() {
        done += chunk.len();
        let sync_type = if first.is_some() { "initial_bootstrap" } else { "recent" };
        let (contacts, groups, chats) = first.take().unwrap_or_default();
        batches.push(HistoryBatch {
            contacts,
            groups,
            chats,
            messages: chunk.to_vec(),
            reactions: if chunks.peek().is_none() {
                std::mem::take(&mut reactions)
            } else {
                Vec::new()
            },
            as_of: now,
            current: false,
            chunk: Some(HistoryChunk {
                sync_type: sync_type.into(),
                order: Some(batches.len() as u32 + 1),
                progress: Some((done * 100 / total) as u8),
                request: None,
            }),
        });
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(seed: u64) -> Vec<HistoryBatch> {
        let mut world = World::seeded(seed, 1_800_000_000_000);
        world.join_seeded_groups("14155550100");
        generate(&world, "14155550100", 1_800_000_000_000)
    }

    #[test]
    fn same_seed_same_history_and_a_few_thousand_messages() {
        let a = all(7);
        let b = all(7);
        assert_eq!(a, b);
        let messages: Vec<&WaMessage> = a.iter().flat_map(|b| &b.messages).collect();
        assert!((2_000..8_000).contains(&messages.len()), "{} messages", messages.len());
        let mut ids: Vec<&str> = messages.iter().map(|m| m.key.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), messages.len(), "WhatsApp IDs are unique");
        assert_eq!(a.last().and_then(|b| b.chunk.as_ref()?.progress), Some(100));
        assert!(!a[0].contacts.is_empty() && !a[0].groups.is_empty() && !a[0].chats.is_empty());
        // Newest first, as a phone pushes it.
        assert!(messages.windows(2).all(|w| w[0].ts >= w[1].ts));
        // Every kind the product renders shows up.
        for kind in ["text", "image", "document", "audio", "location", "contact"] {
            assert!(
                messages
                    .iter()
                    .any(|m| crate::store::messages::type_of(&m.content).as_str() == kind),
                "no {kind} in history"
            );
        }
        assert!(messages.iter().any(|m| m.reply_to.is_some()));
        assert!(
            messages.iter().any(|m| m.key.sender.as_ref().is_some_and(Jid::is_lid)),
            "some group senders use LIDs"
        );
        assert!(messages
            .iter()
            .any(|m| m.content.text_or_caption().is_some_and(|t| t.contains("orçamento"))));
    }

    #[test]
    fn another_seed_another_world() {
        let a: Vec<String> = all(7)
            .iter()
            .flat_map(|b| b.messages.iter().map(|m| m.key.id.clone()))
            .take(50)
            .collect();
        let b: Vec<String> = all(8)
            .iter()
            .flat_map(|b| b.messages.iter().map(|m| m.key.id.clone()))
            .take(50)
            .collect();
        assert_ne!(a, b);
    }
}
