//! A WhatsApp network on 127.0.0.1, for testing the live path end to end.
//!
//! - **The chat server** ([`Network`]): the Noise handshakes, pairing by QR,
//!   logins, prekey bundles, usync, groups, and a router that carries messages,
//!   receipts and chat states between devices, holding them for a device that is
//!   offline until it logs in again.
//! - **People** ([`phone`]): each has a primary phone that is a real
//!   `whatsapp-rust` client (its own Signal identity, in memory) logged in as
//!   device 0. It encrypts to our devices with the library's Signal port, decrypts
//!   what they send, and keeps what it received in an inbox.
//! - **HTTP** ([`http`]): the chat WebSocket at `/ws/chat` and the control API at
//!   `/control/*`, on one port.
//!
//! Nothing here is a security boundary: the certificate it presents is not
//! WhatsApp's, so only a client built to skip that check talks to it.

mod appstate;
pub mod cdn;
pub mod chats;
pub mod directory;
pub mod history;
pub mod http;
mod iq;
pub mod media;
mod media_retry;
mod noise;
pub mod pairing;
pub mod phone;
mod route;
mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};
use whatsapp_rust::transport::TransportFactory;
use whatsapp_rust::wacore::libsignal::protocol::KeyPair;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::waproto::whatsapp as wa;

use directory::{device_key, Directory};
pub use directory::{split_jid, DeviceProps, Group, Person};
pub use phone::{Inbox, Phone, StarSeen};
use wire::{Conn, Out, Role};

/// How the server treats the next login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Accept,
    /// `<failure reason="…">`: 401 logged out, 402 banned, 405 outdated, …
    Fail(u16),
}

/// A companion device a phone linked.
#[derive(Debug, Clone)]
pub struct Linked {
    pub pn: String,
    pub lid: String,
    pub device: u32,
    pub push_name: String,
    /// What it said it is (the phone's Linked devices list shows `props.name`).
    pub props: directory::DeviceProps,
}

/// A message as it reached the server.
#[derive(Debug, Clone)]
pub struct Sent {
    pub from: String,
    pub to: String,
    pub id: String,
    pub kind: String,
    /// The `type` of each encrypted payload (`pkmsg`, `msg`, `skmsg`) and whom it is for.
    pub payloads: Vec<(String, String)>,
}

/// Errors of the control operations, worded for the person driving the network.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Failed(String),
}

/// The network: cheap to clone, one per test or per `wuse-loopback` process.
#[derive(Clone)]
pub struct Network {
    inner: Arc<Inner>,
}

struct Inner {
    static_key: KeyPair,
    cert_chain: Vec<u8>,
    refs: usize,
    next_conn: AtomicU64,
    next_id: AtomicU64,
    /// While false, connecting fails as when the network is down.
    reachable: AtomicBool,
    state: Mutex<State>,
    /// People's phones, by phone number (outside `state`: they are async).
    phones: Mutex<HashMap<String, Arc<Phone>>>,
    changed: Notify,
}

#[derive(Default)]
struct State {
    conns: Vec<Arc<Conn>>,
    dir: Directory,
    login: Option<Login>,
    logins: usize,
    /// Tags of every node clients sent, in order.
    seen: Vec<String>,
    sent: Vec<Sent>,
    /// Phones whose devices' queues are held (`/control/offline`).
    held: std::collections::HashSet<String>,
    /// Error codes the next message sends of a phone number are nacked with.
    nacks: Injected,
    /// Devices whose next N messages arrive with a payload they cannot decrypt.
    corrupt: HashMap<String, usize>,
    /// Error codes the next IQs of a namespace are answered with.
    iq_failures: Injected,
    /// Who is online (by number), since when (unix seconds), and which devices
    /// subscribed to hear about it.
    presence: HashMap<String, (bool, u64)>,
    subscribers: HashMap<String, std::collections::BTreeSet<String>>,
    /// App-state patches, per account and collection.
    patches: appstate::Patches,
    /// The CDN's blobs (encrypted media and history), by direct path.
    media: HashMap<String, bytes::Bytes>,
    /// Where the HTTP side listens (media hosts point there).
    http: Option<std::net::SocketAddr>,
}

impl Network {
    /// A network that shows new devices `refs` QR refs (WhatsApp sends six).
    pub fn new(refs: usize) -> Self {
        let static_key = noise::random_key();
        let cert_chain = noise::cert_chain(static_key.public_key.public_key_bytes());
        Self {
            inner: Arc::new(Inner {
                static_key,
                cert_chain,
                refs,
                next_conn: AtomicU64::new(1),
                next_id: AtomicU64::new(1),
                reachable: AtomicBool::new(true),
                state: Mutex::default(),
                phones: Mutex::default(),
                changed: Notify::new(),
            }),
        }
    }

    /// The transport factory that connects a client in process (in place of a WebSocket).
    pub fn transport(&self) -> Arc<dyn TransportFactory> {
        Arc::new(self.clone())
    }

    pub(crate) fn static_key(&self) -> &KeyPair {
        &self.inner.static_key
    }

    pub(crate) fn cert_chain(&self) -> &[u8] {
        &self.inner.cert_chain
    }

    pub(crate) fn reachable(&self) -> bool {
        self.inner.reachable.load(Ordering::SeqCst)
    }

    /// Whether connecting works at all (false: "failed to lookup address").
    pub fn set_reachable(&self, reachable: bool) {
        self.inner.reachable.store(reachable, Ordering::SeqCst);
    }

    pub fn set_login(&self, login: Login) {
        self.inner.state.lock().login = Some(login);
    }

    pub fn logins(&self) -> usize {
        self.inner.state.lock().logins
    }

    pub fn seen(&self) -> Vec<String> {
        self.inner.state.lock().seen.clone()
    }

    /// The messages clients sent, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.inner.state.lock().sent.clone()
    }

    pub(crate) fn changed(&self) {
        self.inner.changed.notify_waiters();
    }

    pub(crate) fn next_id(&self) -> String {
        format!("LB{:016X}", self.inner.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// A new connection, registered until it closes.
    pub(crate) fn open(&self, out: mpsc::UnboundedSender<Out>) -> Arc<Conn> {
        let conn = Arc::new(Conn::new(self.inner.next_conn.fetch_add(1, Ordering::Relaxed), out));
        let mut s = self.inner.state.lock();
        s.conns.retain(|c| !c.is_closed());
        s.conns.push(conn.clone());
        conn
    }

    /// Waits until `done` holds for the server's state.
    async fn wait(&self, what: &str, timeout: Duration, done: impl Fn(&State) -> bool) -> Result<(), ControlError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.changed.notified();
            if done(&self.inner.state.lock()) {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(ControlError::Failed(format!("timed out waiting for {what}")));
            }
        }
    }

    /// Waits for a message a client sent to `to` (a JID).
    pub async fn wait_sent(&self, to: &str) -> Sent {
        self.wait("a message", Duration::from_secs(15), |s| {
            s.sent.iter().any(|m| m.to == to)
        })
        .await
        .expect("a message was sent");
        self.sent().into_iter().find(|m| m.to == to).unwrap()
    }

    /// The companion devices phones linked.
    pub fn linked(&self) -> Vec<Linked> {
        let s = self.inner.state.lock();
        s.dir
            .people
            .values()
            .flat_map(|p| {
                p.devices.iter().filter(|(d, _)| **d != 0).map(|(d, info)| Linked {
                    pn: p.pn.clone(),
                    lid: p.lid.clone(),
                    device: *d,
                    push_name: p.name.clone(),
                    props: info.props.clone(),
                })
            })
            .collect()
    }

    /// Waits for a logged-in connection of a device of `pn`.
    pub async fn wait_logged_in(&self, pn: &str, timeout: Duration) {
        let prefix = format!("{pn}:");
        self.wait("a login", timeout, |s| {
            s.conns.iter().any(|c| {
                c.logged_in_as()
                    .is_some_and(|d| d.starts_with(&prefix) && !d.ends_with(":0"))
            })
        })
        .await
        .expect("the device logged in");
    }

    /// Waits until a companion of `pn` has logged in and uploaded its keys
    /// (messages can be encrypted to it then); false on timeout.
    pub(crate) async fn wait_companion_online(&self, pn: &str, timeout: Duration) -> bool {
        let prefix = format!("{pn}:");
        self.wait("a companion online", timeout, |s| {
            s.conns.iter().any(|c| {
                c.logged_in_as()
                    .is_some_and(|d| d.starts_with(&prefix) && !d.ends_with(":0") && s.dir.keys.contains_key(&d))
            })
        })
        .await
        .is_ok()
    }

    /// Knows `pn` as a person (no phone client: see [`Network::add_person`]).
    fn ensure_person(&self, pn: &str, lid: &str, name: &str) -> Person {
        self.inner.state.lock().dir.add_person(pn, lid, name).clone()
    }

    pub fn person(&self, pn: &str) -> Option<Person> {
        self.inner.state.lock().dir.people.get(pn).cloned()
    }

    pub fn phone(&self, pn: &str) -> Option<Arc<Phone>> {
        self.inner.phones.lock().get(pn).cloned()
    }

    /// The phone of the person a control call names (`+1555…`), or why there is none.
    pub fn phone_of(&self, phone: &str) -> Result<Arc<Phone>, ControlError> {
        let pn = digits(phone)?;
        self.phone(&pn)
            .ok_or_else(|| ControlError::NotFound(format!("no person +{pn} with a phone")))
    }

    /// A person with a primary phone, connected and ready to send. Their LID is
    /// their number behind a 9.
    pub async fn add_person(&self, pn: &str, name: &str) -> Result<Arc<Phone>, ControlError> {
        let pn = digits(pn)?;
        if let Some(p) = self.phone(&pn) {
            return Ok(p);
        }
        let lid = format!("9{pn}");
        self.ensure_person(&pn, &lid, name);
        let phone = Phone::start(self.clone(), &pn, &lid, name).await?;
        self.inner.phones.lock().insert(pn.clone(), phone.clone());
        Ok(phone)
    }

    /// The person reinstalls WhatsApp: a new phone with a new identity (their
    /// security code changes). WhatsApp tells everyone's devices (an `identity`
    /// notification), and what the new phone sends starts new sessions.
    pub async fn reinstall(&self, pn: &str) -> Result<Arc<Phone>, ControlError> {
        let pn = digits(pn)?;
        let old = self
            .inner
            .phones
            .lock()
            .remove(&pn)
            .ok_or_else(|| ControlError::NotFound(format!("no person +{pn} with a phone")))?;
        old.stop().await;
        let person = self.person(&pn).expect("a person with a phone");
        let phone = Phone::start(self.clone(), &pn, &person.lid, &person.name).await?;
        self.inner.phones.lock().insert(pn.clone(), phone.clone());
        let others: Vec<String> = self
            .inner
            .state
            .lock()
            .dir
            .people
            .keys()
            .filter(|p| **p != pn)
            .cloned()
            .collect();
        for other in others {
            self.deliver_to_user(&other, |to| {
                NodeBuilder::new("notification")
                    .attr("from", format!("{pn}@s.whatsapp.net"))
                    .attr("type", "encrypt")
                    .attr("id", self.next_id())
                    .attr("t", now_secs().to_string())
                    .attr("to", to)
                    .children([NodeBuilder::new("identity").build()])
                    .build()
            });
        }
        Ok(phone)
    }

    /// The phone of `pn` scans `qr`: our device becomes its companion. Answers
    /// like WhatsApp: a signed `pair-success` on the connection that shows the
    /// code, then, once the device signed it back, a 515 restart.
    pub async fn link(&self, qr: &str, pn: &str) -> Result<Linked, ControlError> {
        let pn = digits(pn)?;
        let person = self
            .person(&pn)
            .ok_or_else(|| ControlError::NotFound(format!("no person +{pn}: create them first")))?;
        let phone = self.phone(&pn);
        let account = match &phone {
            Some(p) => p.identity(),
            None => noise::random_key(),
        };
        self.pair(qr, &person, &account).await
    }

    /// As [`Network::link`], for an account whose phone the test does not need:
    /// `pn` and `lid` become a person with no phone client.
    pub async fn scan(&self, qr: &str, pn: &str, lid: &str, push_name: &str) {
        let person = self.ensure_person(pn, lid, push_name);
        self.pair(qr, &person, &noise::random_key())
            .await
            .expect("the device linked");
    }

    async fn pair(&self, qr: &str, person: &Person, account: &KeyPair) -> Result<Linked, ControlError> {
        let qr = pairing::Qr::parse(qr).map_err(ControlError::BadRequest)?;
        let conn = {
            let s = self.inner.state.lock();
            s.conns
                .iter()
                .find(|c| matches!(&*c.role.lock(), Role::Registering { refs, .. } if refs.contains(&qr.r#ref)))
                .cloned()
                .ok_or_else(|| ControlError::NotFound(format!("no device is showing QR ref {}", qr.r#ref)))?
        };
        let device = {
            let s = self.inner.state.lock();
            let used = &s.dir.people[&person.pn].devices;
            (7..).find(|d| !used.contains_key(d)).unwrap()
        };
        let props = match &*conn.role.lock() {
            Role::Registering { props, .. } => props.clone(),
            _ => Default::default(),
        };
        let iq_id = format!("pair-{}", conn.id);
        conn.send(&pairing::pair_success(
            &iq_id,
            &qr,
            account,
            &person.pn,
            &person.lid,
            device,
            &person.name,
        ));
        // The device answers with its own signature (`pair-device-sign`).
        let signed = format!("signed:{iq_id}");
        self.wait("the device's pair-device-sign", Duration::from_secs(10), |s| {
            s.seen.iter().any(|t| t == &signed)
        })
        .await?;
        self.inner
            .state
            .lock()
            .dir
            .people
            .get_mut(&person.pn)
            .expect("the person exists")
            .devices
            .entry(device)
            .or_default()
            .props = props.clone();
        conn.send(&NodeBuilder::new("stream:error").attr("code", "515").build());
        conn.close();
        self.announce_device(&person.pn, device);
        if let Some(phone) = self.phone(&person.pn) {
            phone.linked(self, props.full_sync);
        }
        self.changed();
        Ok(Linked {
            pn: person.pn.clone(),
            lid: person.lid.clone(),
            device,
            push_name: person.name.clone(),
            props,
        })
    }

    /// Tells every phone that `pn` has a new device, as WhatsApp's server does, so
    /// their cached device lists include it (the account's own phone first of all).
    fn announce_device(&self, pn: &str, device: u32) {
        let (companions, phones): (Vec<u32>, Vec<String>) = {
            let s = self.inner.state.lock();
            let companions = s.dir.people[pn].devices.keys().copied().filter(|d| *d != 0).collect();
            (companions, s.dir.people.keys().cloned().collect())
        };
        for to in phones {
            let node = NodeBuilder::new("notification")
                .attr("from", format!("{pn}@s.whatsapp.net"))
                .attr("type", "devices")
                .attr("id", self.next_id())
                .attr("t", now_secs().to_string())
                .children([NodeBuilder::new("add")
                    .children([
                        NodeBuilder::new("device")
                            .attr("jid", format!("{pn}:{device}@s.whatsapp.net"))
                            .attr("key-index", device.to_string())
                            .build(),
                        iq::key_index_list(&companions),
                    ])
                    .build()])
                .build();
            self.deliver(&device_key(&to, 0), node);
        }
    }

    /// Ends every companion session of `pn` the way WhatsApp does when another client takes it over.
    pub fn replace_session(&self, pn: &str) {
        self.end(
            pn,
            NodeBuilder::new("stream:error")
                .children([NodeBuilder::new("conflict").attr("type", "replaced").build()])
                .build(),
        );
    }

    /// A companion (`user:device`) asked to be unlinked: it is gone from its
    /// account's devices, and cannot log in again.
    pub(crate) fn remove_device(&self, key: &str) {
        let (pn, device, _) = split_jid(key);
        if device == 0 {
            return;
        }
        if let Some(p) = self.inner.state.lock().dir.people.get_mut(pn) {
            p.devices.remove(&device);
        }
        self.note(format!("unlinked:{pn}:{device}"));
    }

    /// The phone removed its companion devices.
    pub fn unlink(&self, pn: &str) {
        if let Some(p) = self.inner.state.lock().dir.people.get_mut(pn) {
            p.devices.retain(|d, _| *d == 0);
        }
        self.end(pn, NodeBuilder::new("stream:error").attr("code", "516").build());
    }

    /// A group the server knows (`role`: "member", "admin" or "superadmin").
    pub fn set_group(&self, id: &str, subject: &str, members: &[(&str, &str)]) {
        let members = members
            .iter()
            .map(|(j, r)| (split_jid(j).0.to_owned(), r.to_string()))
            .collect::<Vec<_>>();
        let creator = members.first().map(|m| m.0.clone()).unwrap_or_default();
        self.inner.state.lock().dir.groups.insert(
            id.into(),
            Group {
                subject: subject.into(),
                creator,
                created: 1_600_000_000,
                members,
            },
        );
    }

    pub fn group(&self, id: &str) -> Option<Group> {
        self.inner.state.lock().dir.groups.get(id).cloned()
    }

    /// Creates a group of people (by number; the first is its creator) and
    /// tells every member's devices, as WhatsApp does. Returns its JID.
    pub fn create_group(&self, subject: &str, members: &[String]) -> Result<String, ControlError> {
        let members = members.iter().map(|m| digits(m)).collect::<Result<Vec<_>, _>>()?;
        let Some(creator) = members.first().cloned() else {
            return Err(ControlError::BadRequest("a group needs members".into()));
        };
        let id = format!(
            "1203630{}",
            10_000_000 + self.inner.next_id.fetch_add(1, Ordering::Relaxed)
        );
        {
            let mut s = self.inner.state.lock();
            if let Some(m) = members.iter().find(|m| !s.dir.people.contains_key(*m)) {
                return Err(ControlError::NotFound(format!("no person +{m}")));
            }
            let roles = members
                .iter()
                .map(|m| {
                    (
                        m.clone(),
                        if *m == creator { "superadmin" } else { "member" }.to_owned(),
                    )
                })
                .collect();
            s.dir.groups.insert(
                id.clone(),
                Group {
                    subject: subject.into(),
                    creator: creator.clone(),
                    created: now_secs(),
                    members: roles,
                },
            );
        }
        let jid = format!("{id}@g.us");
        let group = self.group(&id).expect("just made");
        let create = NodeBuilder::new("create")
            .children([iq::group_node(&id, &group)])
            .build();
        self.announce_to_group(&jid, &creator, &members, create);
        Ok(jid)
    }

    /// Adds people to a group and tells every member's devices.
    pub fn add_to_group(&self, group: &str, who: &[String]) -> Result<(), ControlError> {
        let who = who.iter().map(|m| digits(m)).collect::<Result<Vec<_>, _>>()?;
        let (id, (members, creator)) = self.edit_group(group, |g| {
            for w in &who {
                if !g.members.iter().any(|(m, _)| m == w) {
                    g.members.push((w.clone(), "member".into()));
                }
            }
            (g.members.clone(), g.creator.clone())
        })?;
        let add = NodeBuilder::new("add")
            .children(who.iter().map(|w| {
                NodeBuilder::new("participant")
                    .attr("jid", format!("{w}@s.whatsapp.net"))
                    .build()
            }))
            .build();
        let members: Vec<String> = members.into_iter().map(|(m, _)| m).collect();
        self.announce_to_group(&format!("{id}@g.us"), &creator, &members, add);
        Ok(())
    }

    /// Changes a group the server knows (by JID or ID): its ID, and what `change` said.
    fn edit_group<T>(&self, group: &str, change: impl FnOnce(&mut Group) -> T) -> Result<(String, T), ControlError> {
        let id = group.trim_end_matches("@g.us").to_owned();
        let mut s = self.inner.state.lock();
        let g = s
            .dir
            .groups
            .get_mut(&id)
            .ok_or_else(|| ControlError::NotFound(format!("no group {group}")))?;
        let out = change(g);
        Ok((id, out))
    }

    /// `by`, a member, renames a group; every member's devices hear.
    pub fn rename_group(&self, group: &str, by: &str, subject: &str) -> Result<(), ControlError> {
        let by = digits(by)?;
        let (id, members) = self.edit_group(group, |g| {
            g.subject = subject.to_owned();
            g.members.iter().map(|(m, _)| m.clone()).collect::<Vec<_>>()
        })?;
        let change = NodeBuilder::new("subject")
            .attr("subject", subject)
            .attr("s_o", format!("{by}@s.whatsapp.net"))
            .attr("s_t", now_secs().to_string())
            .build();
        self.announce_to_group(&format!("{id}@g.us"), &by, &members, change);
        Ok(())
    }

    /// `by` removes people from a group (themselves: they leave); every member's
    /// devices hear, the removed ones' too.
    pub fn remove_from_group(&self, group: &str, by: &str, who: &[String]) -> Result<(), ControlError> {
        let by = digits(by)?;
        let who = who.iter().map(|m| digits(m)).collect::<Result<Vec<_>, _>>()?;
        let (id, before) = self.edit_group(group, |g| {
            let before: Vec<String> = g.members.iter().map(|(m, _)| m.clone()).collect();
            g.members.retain(|(m, _)| !who.contains(m));
            before
        })?;
        let remove = NodeBuilder::new("remove")
            .children(who.iter().map(|w| {
                NodeBuilder::new("participant")
                    .attr("jid", format!("{w}@s.whatsapp.net"))
                    .build()
            }))
            .build();
        self.announce_to_group(&format!("{id}@g.us"), &by, &before, remove);
        Ok(())
    }

    /// A group change (`w:gp2`) by `by`, told to every device of every member.
    fn announce_to_group(&self, group: &str, by: &str, members: &[String], change: Node) {
        for m in members {
            self.deliver_to_user(m, |to| {
                NodeBuilder::new("notification")
                    .attr("type", "w:gp2")
                    .attr("from", group)
                    .attr("id", self.next_id())
                    .attr("participant", format!("{by}@s.whatsapp.net"))
                    .attr("t", now_secs().to_string())
                    .attr("to", to)
                    .children([change.clone()])
                    .build()
            });
        }
    }

    /// Sends `node` to every logged-in companion connection of `pn`, as the
    /// server would relay a notification, a presence or a chat state.
    pub fn push(&self, pn: &str, node: Node) {
        for c in self.companion_conns(pn) {
            c.send(&node);
        }
    }

    /// Drops the companion connections of `pn` without a word (a network failure).
    pub fn drop_connections(&self, pn: &str) {
        for c in self.companion_conns(pn) {
            c.close();
        }
    }

    /// Holds (or releases) the stanzas for `pn`'s companion devices: while held,
    /// they are offline to the network, and their queue fills.
    pub fn set_offline(&self, pn: &str, offline: bool) -> Result<(), ControlError> {
        let pn = digits(pn)?;
        {
            let mut s = self.inner.state.lock();
            if offline {
                s.held.insert(pn.clone());
            } else {
                s.held.remove(&pn);
            }
        }
        if offline {
            self.drop_connections(&pn);
        }
        Ok(())
    }

    /// The next `n` messages for `device` (`user:device`) arrive damaged (a
    /// flipped byte: the Signal MAC fails), as after a broken session.
    pub fn corrupt_next(&self, device: &str, n: usize) {
        self.inner.state.lock().corrupt.insert(device.to_owned(), n);
    }

    /// Whether the message on its way to `device` is to be damaged (and counts it).
    pub(crate) fn take_corrupt(&self, device: &str) -> bool {
        let mut s = self.inner.state.lock();
        match s.corrupt.get_mut(device) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether a client sent a receipt of this type (`retry`, `read`, …).
    pub fn seen_receipt(&self, kind: &str) -> bool {
        self.inner
            .state
            .lock()
            .seen
            .iter()
            .any(|t| t == &format!("receipt:{kind}"))
    }

    /// Stores an uploaded blob; its direct path.
    pub(crate) fn put_media(&self, kind: &str, token: &str, body: bytes::Bytes) -> String {
        let path = format!("/v/loopback/{kind}/{token}");
        self.inner.state.lock().media.insert(path.clone(), body);
        path
    }

    pub(crate) fn media(&self, path: &str) -> Option<bytes::Bytes> {
        self.inner.state.lock().media.get(path).cloned()
    }

    /// The CDN forgets a blob: its URL answers 404 from now on, as an expired one does.
    pub fn expire_media(&self, direct_path: &str) -> bool {
        self.inner.state.lock().media.remove(direct_path).is_some()
    }

    /// The direct paths of every blob on the CDN.
    pub fn media_paths(&self) -> Vec<String> {
        self.inner.state.lock().media.keys().cloned().collect()
    }

    /// How many stanzas wait for a device (`user:device`) to come online.
    pub fn queued(&self, device: &str) -> usize {
        self.inner.state.lock().dir.queues.get(device).map_or(0, |q| q.len())
    }

    /// The next message sends of `pn`'s devices are refused with `code` (one per call).
    pub fn nack_next(&self, pn: &str, code: u16) {
        self.inner.state.lock().nacks.push(pn, code);
    }

    fn companion_conns(&self, pn: &str) -> Vec<Arc<Conn>> {
        let prefix = format!("{pn}:");
        self.inner
            .state
            .lock()
            .conns
            .iter()
            .filter(|c| {
                c.logged_in_as()
                    .is_some_and(|d| d.starts_with(&prefix) && !d.ends_with(":0"))
            })
            .cloned()
            .collect()
    }

    fn end(&self, pn: &str, node: Node) {
        for c in self.companion_conns(pn) {
            c.send(&node);
            c.close();
        }
    }

    /// Hands `node` to a device: at once if it is connected, else into its queue.
    pub(crate) fn deliver(&self, key: &str, node: Node) {
        let mut s = self.inner.state.lock();
        let (pn, _, _) = split_jid(key);
        let held = s.held.contains(pn) && !key.ends_with(":0");
        let conn = s
            .conns
            .iter()
            .find(|c| !c.is_closed() && c.logged_in_as().as_deref() == Some(key))
            .cloned();
        match conn {
            Some(c) if !held => c.send(&node),
            _ => s.dir.queues.entry(key.to_owned()).or_default().push_back(node),
        }
    }

    /// Hands a node built for each of a user's devices (given its JID) to them.
    fn deliver_to_user(&self, pn: &str, node: impl Fn(&str) -> Node) {
        let devices = self.inner.state.lock().dir.devices_of(&format!("{pn}@s.whatsapp.net"));
        for (key, device) in devices {
            let jid = if device == 0 {
                format!("{pn}@s.whatsapp.net")
            } else {
                format!("{pn}:{device}@s.whatsapp.net")
            };
            self.deliver(&key, node(&jid));
        }
    }

    /// The next IQ in namespace `xmlns` (e.g. `w:g2`, `usync`) is answered with error `code`.
    pub fn fail_next_iq(&self, xmlns: &str, code: u16) {
        self.inner.state.lock().iq_failures.push(xmlns, code);
    }

    /// The next IQ in namespace `xmlns` from a companion device of `pn` (not its
    /// phone) is answered with error `code`.
    pub fn fail_next_companion_iq(&self, pn: &str, xmlns: &str, code: u16) {
        self.inner.state.lock().iq_failures.push(&format!("{xmlns} {pn}"), code);
    }

    /// The next app-state sync of a companion of `pn` that asks for regular
    /// collections gets them refused with `code` (inside a result, as WhatsApp
    /// does per collection); the critical ones are served.
    pub fn fail_next_app_state_sync(&self, pn: &str, code: u16) {
        self.inner
            .state
            .lock()
            .iq_failures
            .push(&format!("app-state-sync {pn}"), code);
    }

    /// The failure a test asked for the IQ `from` (`user:device`) sent, if any.
    pub(crate) fn take_iq_failure(&self, xmlns: &str, from: Option<&str>) -> Option<u16> {
        let mut s = self.inner.state.lock();
        let companion = from.map(split_jid).filter(|(_, device, _)| *device != 0);
        companion
            .and_then(|(pn, _, _)| s.iq_failures.take(&format!("{xmlns} {pn}")))
            .or_else(|| s.iq_failures.take(xmlns))
    }

    pub(crate) fn note(&self, seen: String) {
        self.inner.state.lock().seen.push(seen);
        self.changed();
    }

    /// Where the HTTP side listens: media hosts handed to clients point there.
    pub fn set_http_addr(&self, addr: std::net::SocketAddr) {
        self.inner.state.lock().http = Some(addr);
    }

    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.inner.state.lock().http
    }

    /// The media hosts clients upload to and download from: this server.
    pub(crate) fn media_conn(&self) -> Node {
        let host = self
            .http_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|| "127.0.0.1:9".into());
        NodeBuilder::new("media_conn")
            .attr("auth", "loopback-media-auth")
            .attr("ttl", "3600")
            .attr("auth_ttl", "3600")
            .attr("max_buckets", "4")
            .children([NodeBuilder::new("host").attr("hostname", host).build()])
            .build()
    }

    /// App-state sync: patches stored and handed out; the account's other devices
    /// hear when a collection moved (`server_sync`), as from WhatsApp's server.
    pub(crate) fn app_state_answer(&self, from: Option<&str>, node: &Node, result: NodeBuilder) -> NodeBuilder {
        let Some(from) = from else { return result };
        let (pn, device, _) = split_jid(from);
        let refusal = (device != 0 && appstate::is_download(node) && appstate::asks_regular(node))
            .then(|| {
                self.inner
                    .state
                    .lock()
                    .iq_failures
                    .take(&format!("app-state-sync {pn}"))
            })
            .flatten();
        let appstate::Outcome::Answer(sync, moved) = self.inner.state.lock().patches.answer(pn, node);
        let sync = match refusal {
            Some(code) => appstate::refuse_regular(sync, code),
            None => sync,
        };
        if !moved.is_empty() {
            let others: Vec<String> = self
                .devices_of(&format!("{pn}@s.whatsapp.net"))
                .into_iter()
                .filter(|(_, d)| *d != device)
                .map(|(k, _)| k)
                .collect();
            for key in others {
                let node = NodeBuilder::new("notification")
                    .attr("from", "s.whatsapp.net")
                    .attr("type", "server_sync")
                    .attr("id", self.next_id())
                    .attr("t", now_secs().to_string())
                    .children(moved.iter().map(|(name, version)| {
                        NodeBuilder::new("collection")
                            .attr("name", name.as_str())
                            .attr("version", version.to_string())
                            .build()
                    }))
                    .build();
                self.deliver(&key, node);
            }
        }
        result.children([sync])
    }

    /// `device` subscribes to `pn`'s presence; `pn`'s state now (online, last seen).
    pub(crate) fn subscribe_presence(&self, pn: &str, device: &str) -> (bool, u64) {
        let mut s = self.inner.state.lock();
        s.subscribers
            .entry(pn.to_owned())
            .or_default()
            .insert(device.to_owned());
        s.presence.get(pn).copied().unwrap_or((false, 0))
    }

    /// `pn` went online or offline; the devices subscribed to it.
    pub(crate) fn set_presence(&self, pn: &str, online: bool) -> Vec<String> {
        let mut s = self.inner.state.lock();
        s.presence.insert(pn.to_owned(), (online, now_secs()));
        s.subscribers
            .get(pn)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn take_nack(&self, pn: &str) -> Option<u16> {
        self.inner.state.lock().nacks.take(pn)
    }

    pub(crate) fn record(&self, sent: Sent) {
        self.inner.state.lock().sent.push(sent);
        self.changed();
    }

    pub(crate) fn pn_of(&self, jid: &str) -> Option<String> {
        self.inner.state.lock().dir.pn_of(jid)
    }

    pub(crate) fn devices_of(&self, jid: &str) -> Vec<(directory::DeviceKey, u32)> {
        self.inner.state.lock().dir.devices_of(jid)
    }

    /// Every device of every member of a group.
    pub(crate) fn group_devices(&self, group: &str) -> Vec<directory::DeviceKey> {
        let s = self.inner.state.lock();
        let id = split_jid(group).0;
        let Some(g) = s.dir.groups.get(id) else { return vec![] };
        g.members
            .iter()
            .flat_map(|(m, _)| s.dir.devices_of(&format!("{m}@s.whatsapp.net")))
            .map(|(k, _)| k)
            .collect()
    }

    /// Runs `f` on the directory.
    pub(crate) fn with_dir<T>(&self, f: impl FnOnce(&mut Directory) -> T) -> T {
        f(&mut self.inner.state.lock().dir)
    }

    /// The handshake is done: a new device is shown QR refs; a known one logs in.
    pub(crate) async fn logged_on(&self, conn: &Arc<Conn>, payload: wa::ClientPayload) {
        match (payload.username, payload.device) {
            (Some(user), device) => {
                let device = device.unwrap_or(0);
                let key = device_key(&user.to_string(), device);
                let (login, lid, known, held) = {
                    let mut s = self.inner.state.lock();
                    s.logins += 1;
                    let person = s.dir.people.get(&user.to_string());
                    let known = person.is_some_and(|p| p.devices.contains_key(&device));
                    let lid = person.map(|p| p.lid.clone()).unwrap_or_default();
                    let held = s.held.contains(&user.to_string()) && device != 0;
                    (s.login.unwrap_or(Login::Accept), lid, known, held)
                };
                match (login, known) {
                    (Login::Fail(reason), _) if device != 0 => fail(conn, reason),
                    (_, false) => fail(conn, 401),
                    _ if held => conn.close(),
                    _ => {
                        *conn.role.lock() = Role::LoggedIn { device: key.clone() };
                        conn.send(
                            &NodeBuilder::new("success")
                                .attr("t", now_secs().to_string())
                                .attr("lid", format!("{lid}@lid"))
                                .attr("props", "1")
                                .build(),
                        );
                        // What waited for the device, then the end-of-offline marker.
                        let queued: Vec<Node> = {
                            let mut s = self.inner.state.lock();
                            s.dir.queues.remove(&key).map(Vec::from).unwrap_or_default()
                        };
                        let count = queued.len();
                        // What is waiting, announced first, as WhatsApp's server does.
                        if count > 0 {
                            let of = |tag: &str| queued.iter().filter(|n| n.tag == tag).count().to_string();
                            conn.send(
                                &NodeBuilder::new("ib")
                                    .attr("from", "s.whatsapp.net")
                                    .children([NodeBuilder::new("offline_preview")
                                        .attr("count", count.to_string())
                                        .attr("message", of("message"))
                                        .attr("receipt", of("receipt"))
                                        .attr("notification", of("notification"))
                                        .build()])
                                    .build(),
                            );
                        }
                        for mut node in queued {
                            node.attrs.insert("offline", "1");
                            conn.send(&node);
                        }
                        conn.send(
                            &NodeBuilder::new("ib")
                                .attr("from", "s.whatsapp.net")
                                .children([NodeBuilder::new("offline").attr("count", count.to_string()).build()])
                                .build(),
                        );
                    }
                }
            }
            (None, _) => {
                let refs: Vec<String> = (0..self.inner.refs).map(|i| format!("2@ref{}-{i}", conn.id)).collect();
                let props = directory::DeviceProps::decode(
                    payload
                        .device_pairing_data
                        .as_option()
                        .and_then(|d| d.device_props.as_deref()),
                );
                *conn.role.lock() = Role::Registering {
                    refs: refs.clone(),
                    props,
                };
                conn.send(
                    &NodeBuilder::new("iq")
                        .attr("from", "s.whatsapp.net")
                        .attr("type", "set")
                        .attr("id", format!("refs-{}", conn.id))
                        .attr("xmlns", "md")
                        .children([NodeBuilder::new("pair-device")
                            .children(
                                refs.into_iter()
                                    .map(|r| NodeBuilder::new("ref").bytes(r.into_bytes()).build()),
                            )
                            .build()])
                        .build(),
                );
            }
        }
        self.changed();
    }

    /// A node from a client: noted, then routed or answered.
    pub(crate) async fn received(&self, conn: &Arc<Conn>, node: Node) {
        let tag = node.tag.to_string();
        {
            let mut s = self.inner.state.lock();
            s.seen.push(tag.clone());
            if tag == "iq" && node.get_optional_child("pair-device-sign").is_some() {
                let id = node
                    .attrs()
                    .optional_string("id")
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                s.seen.push(format!("signed:{id}"));
            }
        }
        self.changed();
        let from = conn.logged_in_as();
        match (tag.as_str(), from) {
            ("message", Some(from)) => route::message(self, conn, &from, &node),
            ("receipt", Some(from)) => route::receipt(self, conn, &from, &node),
            ("chatstate", Some(from)) => route::chatstate(self, &from, &node),
            ("presence", Some(from)) => route::presence(self, &from, &node),
            ("iq", from) => iq::answer(self, conn, from.as_deref(), &node),
            _ => {}
        }
    }
}

impl history::Lookup for Network {
    fn person(&self, pn: &str) -> Option<history::Known> {
        Network::person(self, pn).map(|p| history::Known {
            pn: p.pn,
            lid: p.lid,
            name: p.name,
        })
    }

    fn group(&self, id: &str) -> Option<(String, Vec<String>)> {
        Network::group(self, id).map(|g| (g.subject, g.members.into_iter().map(|(m, _)| m).collect()))
    }
}

/// Failures a test asked for, by what they hit (a number, an IQ namespace): each
/// code is used once, in order.
#[derive(Default)]
struct Injected(HashMap<String, std::collections::VecDeque<u16>>);

impl Injected {
    fn push(&mut self, key: &str, code: u16) {
        self.0.entry(key.to_owned()).or_default().push_back(code);
    }

    fn take(&mut self, key: &str) -> Option<u16> {
        self.0.get_mut(key)?.pop_front()
    }
}

/// The digits of a phone number (`+1 555-0001` → `15550001`), or why it is not one.
pub fn digits(phone: &str) -> Result<String, ControlError> {
    let phone = phone.split('@').next().unwrap_or(phone);
    let d: String = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    if d.len() < 5 || d.len() > 15 || phone.chars().any(|c| !(c.is_ascii_digit() || "+- ()".contains(c))) {
        return Err(ControlError::BadRequest(format!("not a phone number: {phone:?}")));
    }
    Ok(d)
}

fn fail(conn: &Conn, reason: u16) {
    let mut b = NodeBuilder::new("failure").attr("reason", reason.to_string());
    if reason == 402 {
        b = b.attr("code", "101").attr("expire", "3600");
    }
    conn.send(&b.build());
    conn.close();
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
