//! Synthetic history at scale, for benchmarks and load tests: `messages` messages
//! across thousands of direct chats and groups, with realistic text lengths, media,
//! replies and reactions, written through the same ingest path as a phone's history
//! sync (so the time it takes is the ingest rate). Deterministic for a seed.
//!
//! A few words are planted at known rates so searches have stable answers:
//! [`RARE_WORD`] in about 20 messages, [`PHRASE`] in about 1 in 500.

use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use rand::Rng;

use super::history::content;
use super::text;
use super::world::rng_for;
use crate::ids::AccountId;
use crate::ingest::Ingest;
use crate::store::StoreResult;
use crate::time::Millis;
use crate::wa::{HistoryBatch, Jid, MsgKey, WaChatMeta, WaContact, WaContent, WaMessage, GROUP_SERVER, USER_SERVER};

/// A word that occurs in about 20 messages whatever the size.
pub const RARE_WORD: &str = "quetzalcoatlus";
/// A phrase that occurs in about 1 message in 500.
pub const PHRASE: &str = "see you at the station";
/// Messages per ingest transaction (a phone's history pages are of this order).
pub const BATCH: usize = 10_000;

#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub messages: usize,
    /// Chats; by default one per 400 messages, at least 50.
    pub chats: Option<usize>,
    pub seed: u64,
}

#[derive(Debug, Clone)]
pub struct SynthReport {
    pub messages: usize,
    pub new: usize,
    pub chats: usize,
    pub elapsed: Duration,
}

impl SynthReport {
    pub fn rate(&self) -> f64 {
        self.new as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

struct Chat {
    jid: Jid,
    /// Other people who write here.
    people: Vec<Jid>,
}

const WORDS: &[&str] = &[
    "tomorrow",
    "today",
    "meeting",
    "dinner",
    "amanhã",
    "orçamento",
    "photos",
    "weekend",
    "train",
    "coffee",
    "kids",
    "school",
    "project",
    "deadline",
    "invoice",
    "birthday",
    "flight",
    "hotel",
    "doctor",
    "gym",
    "rain",
    "traffic",
    "call",
    "later",
    "ready",
    "office",
    "beach",
    "café",
    "música",
    "obrigado",
    "gracias",
    "merci",
];

/// Text of a realistic length: mostly a sentence, sometimes a few, now and then a long note.
fn body(rng: &mut impl Rng, i: usize, rare_every: usize) -> String {
    let bank = |rng: &mut dyn rand::RngCore| {
        let b = match rng.random_range(0..10) {
            0 => text::GREETINGS,
            1..=3 => text::QUESTIONS,
            4..=5 => text::ANSWERS,
            _ => text::STATEMENTS,
        };
        b.choose(rng).copied().unwrap_or("ok")
    };
    let mut s = String::from(bank(rng));
    let extra = match rng.random_range(0..100) {
        0..=59 => 0,
        60..=89 => rng.random_range(1..3),
        _ => rng.random_range(3..12),
    };
    for _ in 0..extra {
        s.push(' ');
        if rng.random_bool(0.5) {
            s.push_str(bank(rng));
        } else {
            for _ in 0..rng.random_range(2..8) {
                s.push_str(WORDS.choose(rng).copied().unwrap_or("ok"));
                s.push(' ');
            }
        }
    }
    if i.is_multiple_of(500) {
        s.push(' ');
        s.push_str(PHRASE);
    }
    if i.is_multiple_of(rare_every) {
        s.push(' ');
        s.push_str(RARE_WORD);
    }
    s
}

/// Writes the history into `account` (whose own JID is `me`).
pub fn generate(
    ingest: &Ingest,
    account: &AccountId,
    me: &Jid,
    spec: &SynthSpec,
    mut progress: impl FnMut(usize),
) -> StoreResult<SynthReport> {
    let mut rng = rng_for(spec.seed, "synth");
    let n_chats = spec.chats.unwrap_or((spec.messages / 400).max(50));
    let person = |k: usize| Jid::new(format!("1555{:07}", k % 10_000_000), USER_SERVER);
    let mut contacts = Vec::new();
    let mut chats = Vec::with_capacity(n_chats);
    let mut metas = Vec::new();
    for k in 0..n_chats {
        // One chat in ten is a group of 3 to 30 people.
        if k % 10 == 9 {
            let people = (0..rng.random_range(3..30))
                .map(|_| person(rng.random_range(0..n_chats * 3)))
                .collect();
            let jid = Jid::new(format!("1203630{k:011}"), GROUP_SERVER);
            let (name, _) = text::GROUP_NAMES.choose(&mut rng).copied().unwrap_or(("Group", ""));
            metas.push(WaChatMeta {
                jid: Some(jid.clone()),
                name: Some(format!("{name} {k}")),
                ..Default::default()
            });
            chats.push(Chat { jid, people });
        } else {
            let jid = person(k);
            let first = text::FIRST_NAMES.choose(&mut rng).copied().unwrap_or("Alex");
            let last = text::LAST_NAMES.choose(&mut rng).copied().unwrap_or("Lee");
            contacts.push(WaContact {
                pn: Some(jid.clone()),
                saved_name: Some(format!("{first} {last}")),
                push_name: Some(first.to_owned()),
                ..Default::default()
            });
            chats.push(Chat {
                jid: jid.clone(),
                people: vec![jid],
            });
        }
    }
    // How many messages each chat holds: busy chats get most of them (a skewed pick).
    let mut counts = vec![0usize; n_chats];
    for _ in 0..spec.messages {
        let pick = rng.random_range(0.0f64..1.0);
        counts[((pick * pick * pick) * n_chats as f64) as usize % n_chats] += 1;
    }
    // Like a phone's history sync: conversation after conversation, each one's three
    // years of messages oldest first, cut into pages of `BATCH`.
    let now = crate::time::now_ms();
    let span: Millis = 3 * 365 * 86_400_000;
    let rare_every = (spec.messages / 20).max(1);
    let started = Instant::now();
    let (mut written, mut new) = (0, 0);
    let mut batch = HistoryBatch {
        contacts,
        chats: metas,
        ..Default::default()
    };
    for (chat, &count) in chats.iter().zip(&counts) {
        let step = (span / count.max(1) as Millis).max(1);
        let mut recent: Vec<MsgKey> = Vec::new();
        for k in 0..count {
            let i = written + batch.messages.len();
            let message = synth_message(
                &mut rng,
                chat,
                me,
                i,
                rare_every,
                now - span + k as Millis * step,
                &mut recent,
                &mut batch.reactions,
            );
            batch.messages.push(message);
            if batch.messages.len() == BATCH {
                (written, new) = flush(ingest, account, &mut batch, written, new, spec.messages)?;
                progress(written);
            }
        }
    }
    if !batch.messages.is_empty() || written == 0 {
        (written, new) = flush(ingest, account, &mut batch, written, new, spec.messages)?;
        progress(written);
    }
    Ok(SynthReport {
        messages: written,
        new,
        chats: n_chats,
        elapsed: started.elapsed(),
    })
}

/// Message number `i` of the history, in `chat` at `ts`: text of a realistic length or,
/// about 7% of the time, media, a location or a contact card; now and then a reply to
/// or a reaction on one of the chat's recent messages.
#[allow(clippy::too_many_arguments)]
fn synth_message(
    rng: &mut impl Rng,
    chat: &Chat,
    me: &Jid,
    i: usize,
    rare_every: usize,
    ts: Millis,
    recent: &mut Vec<MsgKey>,
    reactions: &mut Vec<(MsgKey, Jid, String, Millis)>,
) -> WaMessage {
    let from_me = rng.random_bool(0.4);
    let id = format!("SYN{i:013X}");
    let key = MsgKey {
        chat: chat.jid.clone(),
        id: id.clone(),
        from_me,
        sender: (!from_me && chat.jid.is_group())
            .then(|| chat.people.choose(rng).cloned())
            .flatten(),
    };
    // Messages carrying the planted words are always text, so their counts are exact.
    let planted = i.is_multiple_of(500) || i.is_multiple_of(rare_every);
    let content = if rng.random_range(0..100) < 7 && !planted {
        let mut c = content(rng, &id);
        while matches!(c, WaContent::Text { .. }) {
            c = content(rng, &id);
        }
        c
    } else {
        WaContent::text(body(rng, i, rare_every))
    };
    let reply_to = (rng.random_range(0..100) < 3)
        .then(|| recent.choose(rng).map(|k| k.id.clone()))
        .flatten();
    if rng.random_range(0..100) < 2 {
        if let Some(target) = recent.choose(rng) {
            let who = if from_me { me.clone() } else { chat.people[0].clone() };
            let emoji = text::REACTIONS.choose(rng).copied().unwrap_or("👍");
            reactions.push((target.clone(), who, emoji.to_owned(), ts));
        }
    }
    if recent.len() == 64 {
        recent.remove(0);
    }
    recent.push(key.clone());
    WaMessage {
        key,
        ts,
        push_name: None,
        content,
        reply_to,
        forwarded: false,
        status: None,
        starred: false,
    }
}

/// Ingests one page of history (one write transaction) and starts the next.
/// Returns the messages written and stored as new so far.
fn flush(
    ingest: &Ingest,
    account: &AccountId,
    batch: &mut HistoryBatch,
    written: usize,
    new: usize,
    total: usize,
) -> StoreResult<(usize, usize)> {
    let written = written + batch.messages.len();
    tracing::debug!(written, total, "synthetic history");
    let stored = ingest.history(account, batch)?;
    *batch = HistoryBatch::default();
    Ok((written, new + stored.new))
}
