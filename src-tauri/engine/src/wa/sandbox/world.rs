//! The sandbox network's state: its people, groups and the sandbox accounts living in
//! it. Seeded deterministically, persisted in the store so it survives restarts.

use std::collections::BTreeMap;

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::text;
use crate::time::Millis;
use crate::wa::{Jid, ParticipantRole, WaGroup, WaMessage, WaParticipant, GROUP_SERVER, LID_SERVER, USER_SERVER};

/// First phone number handed to sandbox accounts (+1 415 555 0100 … 0109: the
/// 555-01xx range is reserved for fiction).
pub const ACCOUNT_PHONE_BASE: u64 = 14155550100;
pub const ACCOUNT_PHONES: u64 = 10;
/// A person who repeats every message back at once: handy for agents and tests.
pub const ECHO_PHONE: &str = "14155550199";
/// A person who reads but never answers.
pub const SILENT_PHONE: &str = "14155550197";
/// A business account.
pub const BUSINESS_PHONE: &str = "14155550190";

/// A deterministic RNG for one purpose: same seed and tag, same sequence.
pub fn rng_for(seed: u64, tag: &str) -> ChaCha8Rng {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(tag.as_bytes())
        .finalize();
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&digest);
    ChaCha8Rng::from_seed(bytes)
}

/// How a simulated person behaves when written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Persona {
    /// Reads, types, answers, sometimes reacts.
    Chatty,
    /// Answers briefly and late.
    Terse,
    /// Repeats each message back immediately.
    Echo,
    /// Reads, never answers.
    Silent,
    /// A business: answers with a canned message.
    Business,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Phone digits (the JID user).
    pub phone: String,
    pub lid: String,
    pub name: String,
    pub about: String,
    pub about_set_at: Millis,
    #[serde(default)]
    pub business: Option<String>,
    pub persona: Persona,
    pub online: bool,
    pub last_seen: Millis,
    /// Writes in groups under their LID (as WhatsApp does for many people now).
    #[serde(default)]
    pub lid_in_groups: bool,
    #[serde(default)]
    pub picture_rev: u32,
}

impl User {
    pub fn jid(&self) -> Jid {
        Jid::new(&self.phone, USER_SERVER)
    }
    pub fn lid_jid(&self) -> Jid {
        Jid::new(&self.lid, LID_SERVER)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Member {
    /// Phone digits.
    pub phone: String,
    pub role: ParticipantRole,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub subject: String,
    pub description: Option<String>,
    pub owner: String,
    pub created_at: Millis,
    pub members: Vec<Member>,
    pub invite_code: String,
    #[serde(default)]
    pub announce: bool,
    #[serde(default)]
    pub locked: bool,
    #[serde(default)]
    pub picture_rev: u32,
    /// Seeded at world creation (its history is generated), or made by someone later.
    #[serde(default)]
    pub seeded: bool,
}

impl Group {
    pub fn jid(&self) -> Jid {
        Jid::new(&self.id, GROUP_SERVER)
    }

    pub fn member(&self, phone: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.phone == phone)
    }

    pub fn to_wa(&self) -> WaGroup {
        WaGroup {
            jid: self.jid(),
            subject: self.subject.clone(),
            description: self.description.clone(),
            owner: Some(Jid::new(&self.owner, USER_SERVER)),
            created_at: Some(self.created_at),
            participants: self
                .members
                .iter()
                .map(|m| WaParticipant {
                    jid: Jid::new(&m.phone, USER_SERVER),
                    role: m.role,
                })
                .collect(),
            announce: self.announce,
            locked: self.locked,
        }
    }
}

/// A sandbox account as the network knows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountState {
    pub phone: String,
    pub lid: String,
    pub push_name: String,
    pub about: String,
    pub paired: bool,
    /// Messages that arrived while no device was connected, delivered on connect.
    #[serde(default)]
    pub offline_queue: Vec<WaMessage>,
    #[serde(default)]
    pub picture_rev: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct World {
    pub seed: u64,
    pub created_at: Millis,
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    /// Keyed by account ID.
    pub accounts: BTreeMap<String, AccountState>,
    pub next_group: u64,
}

fn lid_for(seed: u64, phone: &str) -> String {
    let mut rng = rng_for(seed, &format!("lid:{phone}"));
    format!("{}", rng.random_range(100_000_000_000_000u64..999_999_999_999_999))
}

pub fn invite_code(rng: &mut impl Rng) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..22).map(|_| A[rng.random_range(0..A.len())] as char).collect()
}

impl World {
    /// The same seed always gives the same people and groups.
    pub fn seeded(seed: u64, now: Millis) -> Self {
        let mut rng = rng_for(seed, "people");
        let mut users = BTreeMap::new();
        let mut phones: Vec<String> = (110..=159).map(|n| format!("1415555{n:04}")).collect();
        phones.extend((100..=111).map(|n| format!("447700900{n:03}")));
        for (i, phone) in phones.iter().enumerate() {
            let first = text::FIRST_NAMES[i % text::FIRST_NAMES.len()];
            let last = text::LAST_NAMES.choose(&mut rng).copied().unwrap_or("Smith");
            let persona = match rng.random_range(0..10) {
                0..=6 => Persona::Chatty,
                _ => Persona::Terse,
            };
            users.insert(
                phone.clone(),
                User {
                    phone: phone.clone(),
                    lid: lid_for(seed, phone),
                    name: format!("{first} {last}"),
                    about: text::ABOUTS.choose(&mut rng).copied().unwrap_or("Available").into(),
                    about_set_at: now - rng.random_range(1..400) * 86_400_000,
                    business: None,
                    persona,
                    online: rng.random_bool(0.3),
                    last_seen: now - rng.random_range(1..72 * 60) * 60_000,
                    lid_in_groups: rng.random_bool(0.35),
                    picture_rev: u32::from(rng.random_bool(0.7)),
                },
            );
        }
        for (phone, name, persona, business) in [
            (ECHO_PHONE, "Echo Bot", Persona::Echo, None),
            (SILENT_PHONE, "Silent Sam", Persona::Silent, None),
            (BUSINESS_PHONE, "Acme Support", Persona::Business, Some("Acme Inc.")),
        ] {
            users.insert(
                phone.into(),
                User {
                    phone: phone.into(),
                    lid: lid_for(seed, phone),
                    name: name.into(),
                    about: match persona {
                        Persona::Echo => "I repeat what you say.".into(),
                        Persona::Silent => "Read receipts on, replies off.".into(),
                        _ => "Mon–Fri 9:00–18:00".into(),
                    },
                    about_set_at: now - 30 * 86_400_000,
                    business: business.map(str::to_owned),
                    persona,
                    online: true,
                    last_seen: now,
                    lid_in_groups: false,
                    picture_rev: 1,
                },
            );
        }

        let mut groups = BTreeMap::new();
        let mut grng = rng_for(seed, "groups");
        let people: Vec<String> = users
            .values()
            .filter(|u| matches!(u.persona, Persona::Chatty | Persona::Terse))
            .map(|u| u.phone.clone())
            .collect();
        for (i, (subject, description)) in text::GROUP_NAMES.iter().enumerate() {
            let id = format!("1203630{:011}", 25_246_125_244u64 + i as u64 * 7_919);
            let size = grng.random_range(4..=12);
            let mut members: Vec<Member> = people
                .choose_multiple(&mut grng, size)
                .map(|p| Member {
                    phone: p.clone(),
                    role: ParticipantRole::Member,
                })
                .collect();
            members[0].role = ParticipantRole::Superadmin;
            if members.len() > 3 {
                members[1].role = ParticipantRole::Admin;
            }
            groups.insert(
                id.clone(),
                Group {
                    owner: members[0].phone.clone(),
                    id,
                    subject: (*subject).into(),
                    description: Some((*description).into()),
                    created_at: now - grng.random_range(100..900) * 86_400_000,
                    members,
                    invite_code: invite_code(&mut grng),
                    announce: false,
                    locked: false,
                    picture_rev: 1,
                    seeded: true,
                },
            );
        }
        Self {
            seed,
            created_at: now,
            users,
            groups,
            accounts: BTreeMap::new(),
            next_group: 1,
        }
    }

    /// The next free sandbox phone number for a new account.
    pub fn free_account_phone(&self) -> Option<String> {
        (0..ACCOUNT_PHONES)
            .map(|i| (ACCOUNT_PHONE_BASE + i).to_string())
            .find(|p| !self.accounts.values().any(|a| &a.phone == p))
    }

    /// Joins a newly paired account into the seeded groups (admin in some).
    pub fn join_seeded_groups(&mut self, phone: &str) {
        for (i, g) in self.groups.values_mut().filter(|g| g.seeded).enumerate() {
            if g.member(phone).is_none() {
                let role = if matches!(i, 1 | 4) {
                    ParticipantRole::Admin
                } else {
                    ParticipantRole::Member
                };
                g.members.push(Member {
                    phone: phone.into(),
                    role,
                });
            }
        }
    }

    pub fn account_by_phone(&self, phone: &str) -> Option<(&String, &AccountState)> {
        self.accounts.iter().find(|(_, a)| a.phone == phone && a.paired)
    }

    /// Whether a phone number is on the sandbox network: its people, its accounts, and
    /// (so agents can write to made-up numbers) two in three other valid numbers.
    pub fn is_registered(&self, phone: &str) -> bool {
        if self.users.contains_key(phone) || self.accounts.values().any(|a| a.phone == phone && a.paired) {
            return true;
        }
        let h = Sha256::digest(format!("{}:{phone}", self.seed));
        h[0] % 3 != 0
    }

    /// A person met on the fly (a registered number nobody seeded): made up once, kept.
    pub fn user_or_newcomer(&mut self, phone: &str, now: Millis) -> Option<&User> {
        if !self.users.contains_key(phone) {
            if !self.is_registered(phone) || self.accounts.values().any(|a| a.phone == phone) {
                return None;
            }
            let mut rng = rng_for(self.seed, &format!("newcomer:{phone}"));
            let first = text::FIRST_NAMES.choose(&mut rng).copied().unwrap_or("Alex");
            let last = text::LAST_NAMES.choose(&mut rng).copied().unwrap_or("Smith");
            self.users.insert(
                phone.into(),
                User {
                    phone: phone.into(),
                    lid: lid_for(self.seed, phone),
                    name: format!("{first} {last}"),
                    about: "Hey there! I am using WhatsApp.".into(),
                    about_set_at: now,
                    business: None,
                    persona: Persona::Chatty,
                    online: false,
                    last_seen: now - 3_600_000,
                    lid_in_groups: false,
                    picture_rev: 0,
                },
            );
        }
        self.users.get(phone)
    }

    /// Resolves a LID back to its phone digits.
    pub fn phone_of_lid(&self, lid: &str) -> Option<String> {
        self.users
            .values()
            .find(|u| u.lid == lid)
            .map(|u| u.phone.clone())
            .or_else(|| self.accounts.values().find(|a| a.lid == lid).map(|a| a.phone.clone()))
    }
}

/// A WhatsApp-looking message ID (as phones make them).
pub fn wa_message_id(rng: &mut impl Rng) -> String {
    let mut s = String::from("3EB0");
    for _ in 0..16 {
        s.push(
            char::from_digit(rng.random_range(0..16), 16)
                .unwrap_or('0')
                .to_ascii_uppercase(),
        );
    }
    s
}

pub fn account_lid(seed: u64, phone: &str) -> String {
    lid_for(seed, phone)
}
