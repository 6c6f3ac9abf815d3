//! An in-process stand-in for WhatsApp's chat server, enough to drive the real
//! `whatsapp-rust` client through pairing and login: the Noise XX and IK
//! handshakes, the `pair-device` refs a QR code is made of, a phone "scanning"
//! the code (a signed `pair-success`), the 515 restart, `<success>` logins, the
//! offline-queue marker, answers to every IQ, and the server's ways of ending a
//! session (stream replaced, logged out, temporary ban, outdated client).
//!
//! It speaks the real wire format (frames, Noise transport encryption, binary
//! XML nodes) through the library's public building blocks; what it does not do
//! is Signal-encrypted messaging between devices.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::Mac;
use parking_lot::Mutex;
use tokio::sync::{mpsc, Notify};
use whatsapp_rust::async_channel;
use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::transport::{Transport, TransportEvent, TransportFactory};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::handshake::{NoiseCipher, NoiseHandshake};
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PrivateKey};
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::consts::{NOISE_PATTERN_IK, NOISE_PATTERN_XX, WA_CONN_HEADER};
use whatsapp_rust::wacore_binary::marshal::{marshal, unmarshal_ref};
use whatsapp_rust::wacore_binary::util::unpack;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::waproto::whatsapp as wa;

const ADV_PREFIX_ACCOUNT_SIGNATURE: &[u8] = &[6, 0];

/// How the server treats the next login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Accept,
    /// `<failure reason="…">`: 401 logged out, 402 banned, 405 outdated, …
    Fail(u16),
}

/// A device the phone linked.
#[derive(Debug, Clone)]
pub struct Linked {
    pub pn: String,
    pub lid: String,
    pub device: u32,
    pub push_name: String,
}

#[derive(Clone)]
pub struct FakeWhatsApp {
    inner: Arc<Inner>,
}

struct Inner {
    static_key: KeyPair,
    cert_chain: Vec<u8>,
    refs: usize,
    next_conn: AtomicU64,
    /// While false, connecting fails as when the network is down.
    reachable: AtomicBool,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Default)]
struct State {
    conns: Vec<Arc<Conn>>,
    /// Devices the phone linked, by `user:device`.
    linked: HashMap<String, Linked>,
    login: Option<Login>,
    logins: usize,
    /// Tags of every node clients sent, in order.
    seen: Vec<String>,
    /// Groups by their user part: subject and (member, role) pairs.
    groups: HashMap<String, (String, Vec<(String, String)>)>,
    /// The phones of other people (and of linked accounts), by user: their
    /// Signal keys, handed out as prekey bundles so clients can encrypt to them.
    peers: HashMap<String, Peer>,
    /// Messages clients sent, in order.
    sent: Vec<Sent>,
}

/// A person's primary device, as far as the server sees it: its public keys.
struct Peer {
    identity: KeyPair,
    registration_id: u32,
    signed_prekey: KeyPair,
    signed_prekey_signature: Vec<u8>,
    prekey: KeyPair,
}

impl Peer {
    fn new() -> Self {
        let identity = random_key();
        let signed_prekey = random_key();
        let signed_prekey_signature = identity
            .private_key
            .calculate_signature(&signed_prekey.public_key.serialize(), &mut rand010::rng())
            .expect("sign")
            .to_vec();
        Self {
            identity,
            registration_id: rand::random::<u32>() & 0x3fff,
            signed_prekey,
            signed_prekey_signature,
            prekey: random_key(),
        }
    }

    fn bundle(&self, jid: &str) -> Node {
        // A leaf node holding bytes.
        let leaf = |tag: &'static str, bytes: Vec<u8>| NodeBuilder::new(tag).bytes(bytes).build();
        // A prekey as a bundle carries it: its 3-byte ID, its public key, and for the
        // signed prekey the identity's signature.
        let prekey = |tag: &'static str, id: u32, key: &KeyPair, signature: Option<Vec<u8>>| {
            let mut parts = vec![
                leaf("id", id.to_be_bytes()[1..].to_vec()),
                leaf("value", key.public_key.public_key_bytes().to_vec()),
            ];
            parts.extend(signature.map(|s| leaf("signature", s)));
            NodeBuilder::new(tag).children(parts).build()
        };
        NodeBuilder::new("user")
            .attr("jid", jid)
            .children([
                leaf("registration", self.registration_id.to_be_bytes().to_vec()),
                leaf("type", vec![5]),
                leaf("identity", self.identity.public_key.public_key_bytes().to_vec()),
                prekey("key", 7, &self.prekey, None),
                prekey(
                    "skey",
                    1,
                    &self.signed_prekey,
                    Some(self.signed_prekey_signature.clone()),
                ),
            ])
            .build()
    }
}

/// A message as it reached the server.
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: String,
    pub id: String,
    pub kind: String,
    /// The `type` of each encrypted payload (`pkmsg`, `msg`, `skmsg`) and whom it is for.
    pub payloads: Vec<(String, String)>,
}

impl State {
    fn login(&self) -> Login {
        self.login.unwrap_or(Login::Accept)
    }
}

/// What a connection turned out to be once its handshake finished.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    Handshaking,
    /// A new device asking to be paired, shown these refs.
    Registering {
        refs: Vec<String>,
    },
    /// A linked device logged in.
    LoggedIn {
        key: String,
    },
    Closed,
}

struct Conn {
    id: u64,
    to_client: async_channel::Sender<TransportEvent>,
    write: Mutex<Option<(NoiseCipher, u32)>>,
    role: Mutex<Role>,
    closed: AtomicBool,
}

impl Conn {
    fn send(&self, node: &Node) {
        let mut w = self.write.lock();
        let Some((cipher, counter)) = w.as_mut() else { return };
        let plain = marshal(node).expect("marshal");
        let sealed = cipher.encrypt_with_counter(*counter, &plain).expect("encrypt");
        *counter += 1;
        let frame = encode_frame(&sealed, None).expect("frame");
        let _ = self
            .to_client
            .try_send(TransportEvent::DataReceived(Bytes::from(frame)));
    }

    fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            *self.role.lock() = Role::Closed;
            let _ = self.to_client.try_send(TransportEvent::Disconnected(
                whatsapp_rust::transport::DisconnectReason::StreamEnded,
            ));
            self.to_client.close();
        }
    }
}

fn random_key() -> KeyPair {
    let bytes: [u8; 32] = rand::random();
    let private = PrivateKey::deserialize(&bytes).expect("private key");
    KeyPair::new(private.public_key().expect("public key"), private)
}

fn cert_chain(server_static_pub: &[u8]) -> Vec<u8> {
    // The client checks the leaf key and the validity windows, not the signatures.
    let details = |serial: u32, issuer: u32, key: Vec<u8>| {
        wa::cert_chain::noise_certificate::Details {
            serial: Some(serial),
            issuer_serial: Some(issuer),
            key: Some(key),
            not_before: Some(1_700_000_000),
            not_after: Some(1_900_000_000),
        }
        .encode_to_vec()
    };
    wa::CertChain {
        leaf: MessageField::some(wa::cert_chain::NoiseCertificate {
            details: Some(details(2, 1, server_static_pub.to_vec())),
            signature: Some(vec![0; 64]),
        }),
        intermediate: MessageField::some(wa::cert_chain::NoiseCertificate {
            details: Some(details(1, 0, vec![0xCC; 32])),
            signature: Some(vec![0; 64]),
        }),
    }
    .encode_to_vec()
}

impl FakeWhatsApp {
    /// A server that shows new devices `refs` QR refs (WhatsApp sends six).
    pub fn new(refs: usize) -> Self {
        let static_key = random_key();
        let cert_chain = cert_chain(static_key.public_key.public_key_bytes());
        Self {
            inner: Arc::new(Inner {
                static_key,
                cert_chain,
                refs,
                next_conn: AtomicU64::new(1),
                reachable: AtomicBool::new(true),
                state: Mutex::default(),
                changed: Notify::new(),
            }),
        }
    }

    /// The transport factory to hand the client (in place of WhatsApp's WebSocket).
    pub fn transport(&self) -> Arc<dyn TransportFactory> {
        Arc::new(self.clone())
    }

    /// Live accounts of an engine, pointed here (and not asking the network for
    /// WhatsApp Web's version).
    pub fn live_options(&self) -> wuse_engine::wa::live::LiveOptions {
        wuse_engine::wa::live::LiveOptions {
            transport: Some(self.transport()),
            http: None,
            version: Some((2, 3000, 1_000_000_000)),
        }
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

    /// Waits for a client to send a message to `to` (a JID).
    pub async fn wait_sent(&self, to: &str) -> Sent {
        self.wait("a message", Duration::from_secs(15), |s| {
            s.sent.iter().any(|m| m.to == to)
        })
        .await;
        self.sent().into_iter().find(|m| m.to == to).unwrap()
    }

    pub fn linked(&self) -> Vec<Linked> {
        self.inner.state.lock().linked.values().cloned().collect()
    }

    /// Waits until `done` holds for the server's state.
    async fn wait(&self, what: &str, timeout: Duration, done: impl Fn(&State) -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.changed.notified();
            if done(&self.inner.state.lock()) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("fake WhatsApp: timed out waiting for {what}");
            }
        }
    }

    /// Waits for a logged-in connection of `pn`.
    pub async fn wait_logged_in(&self, pn: &str, timeout: Duration) {
        let prefix = format!("{pn}:");
        self.wait("a login", timeout, |s| {
            s.conns
                .iter()
                .any(|c| matches!(&*c.role.lock(), Role::LoggedIn { key } if key.starts_with(&prefix)))
        })
        .await;
    }

    /// The phone scans `qr` and links the device as `pn` (digits) with `lid`.
    /// Answers like WhatsApp: a signed `pair-success` on the connection that showed
    /// the code, then, once the device signed it back, a 515 restart.
    pub async fn scan(&self, qr: &str, pn: &str, lid: &str, push_name: &str) {
        let fields: Vec<&str> = qr.split(',').collect();
        assert!(fields.len() >= 4, "not a WhatsApp QR code: {qr}");
        let (r, identity_b64, adv_b64) = (fields[0], fields[2], fields[3]);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let identity = b64.decode(identity_b64).expect("identity key");
        let adv_secret = b64.decode(adv_b64).expect("adv secret");
        let conn = {
            let s = self.inner.state.lock();
            s.conns
                .iter()
                .find(|c| matches!(&*c.role.lock(), Role::Registering { refs } if refs.iter().any(|x| x == r)))
                .cloned()
                .unwrap_or_else(|| panic!("no connection is showing ref {r}"))
        };
        let device = 7;
        let identity_proof = device_identity(&identity, &adv_secret);
        let iq = NodeBuilder::new("iq")
            .attr("from", "s.whatsapp.net")
            .attr("type", "set")
            .attr("id", format!("pair-{}", conn.id))
            .attr("t", now_secs().to_string())
            .children([NodeBuilder::new("pair-success")
                .children([
                    NodeBuilder::new("device-identity").bytes(identity_proof).build(),
                    NodeBuilder::new("platform").attr("name", "android").build(),
                    NodeBuilder::new("device")
                        .attr("jid", format!("{pn}:{device}@s.whatsapp.net"))
                        .attr("lid", format!("{lid}:{device}@lid"))
                        .build(),
                    NodeBuilder::new("biz").attr("name", push_name).build(),
                ])
                .build()])
            .build();
        conn.send(&iq);
        // The device answers with its own signature (`pair-device-sign`).
        let expected = format!("pair-{}", conn.id);
        self.wait("the device's pair-device-sign", Duration::from_secs(10), |s| {
            s.seen.iter().any(|t| t == &format!("signed:{expected}"))
        })
        .await;
        self.inner.state.lock().linked.insert(
            format!("{pn}:{device}"),
            Linked {
                pn: pn.into(),
                lid: lid.into(),
                device,
                push_name: push_name.into(),
            },
        );
        conn.send(&NodeBuilder::new("stream:error").attr("code", "515").build());
        conn.close();
    }

    /// Ends every session of `pn` the way WhatsApp does when another client takes it over.
    pub fn replace_session(&self, pn: &str) {
        self.end(
            pn,
            NodeBuilder::new("stream:error")
                .children([NodeBuilder::new("conflict").attr("type", "replaced").build()])
                .build(),
        );
    }

    /// The phone removed the device.
    pub fn unlink(&self, pn: &str) {
        self.inner.state.lock().linked.retain(|_, l| l.pn != pn);
        self.end(pn, NodeBuilder::new("stream:error").attr("code", "516").build());
    }

    /// A group the server knows: what a group query answers (`role`: "member",
    /// "admin" or "superadmin").
    pub fn set_group(&self, id: &str, subject: &str, members: &[(&str, &str)]) {
        self.inner.state.lock().groups.insert(
            id.into(),
            (
                subject.into(),
                members.iter().map(|(j, r)| (j.to_string(), r.to_string())).collect(),
            ),
        );
    }

    /// Sends `node` to every logged-in connection of `pn`, as the server would
    /// relay a notification, a presence or a chat state.
    pub fn push(&self, pn: &str, node: Node) {
        for c in self.conns_of(pn) {
            c.send(&node);
        }
    }

    /// Drops the connections of `pn` without a word (a network failure).
    pub fn drop_connections(&self, pn: &str) {
        for c in self.conns_of(pn) {
            c.close();
        }
    }

    fn conns_of(&self, pn: &str) -> Vec<Arc<Conn>> {
        let prefix = format!("{pn}:");
        self.inner
            .state
            .lock()
            .conns
            .iter()
            .filter(|c| matches!(&*c.role.lock(), Role::LoggedIn { key } if key.starts_with(&prefix)))
            .cloned()
            .collect()
    }

    fn end(&self, pn: &str, node: Node) {
        for c in self.conns_of(pn) {
            c.send(&node);
            c.close();
        }
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What the phone sends a new device: its account's signature over the device's
/// identity key, wrapped in an HMAC keyed by the secret from the QR code.
fn device_identity(device_identity_pub: &[u8], adv_secret: &[u8]) -> Vec<u8> {
    let account = random_key();
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(1),
        timestamp: Some(now_secs()),
        key_index: Some(1),
        account_type: Some(wa::ADVEncryptionType::E2EE),
        device_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec();
    let mut to_sign = ADV_PREFIX_ACCOUNT_SIGNATURE.to_vec();
    to_sign.extend_from_slice(&details);
    to_sign.extend_from_slice(device_identity_pub);
    let signature = account
        .private_key
        .calculate_signature(&to_sign, &mut rand010::rng())
        .expect("sign");
    let signed = wa::ADVSignedDeviceIdentity {
        details: Some(details),
        account_signature_key: Some(account.public_key.public_key_bytes().to_vec()),
        account_signature: Some(signature.to_vec()),
        device_signature: None,
    }
    .encode_to_vec();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(adv_secret).expect("hmac");
    mac.update(&signed);
    wa::ADVSignedDeviceIdentityHMAC {
        details: Some(signed),
        hmac: Some(mac.finalize().into_bytes().to_vec()),
        account_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec()
}

#[async_trait::async_trait]
impl TransportFactory for FakeWhatsApp {
    async fn create_transport(&self) -> anyhow::Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        if !self.inner.reachable.load(Ordering::SeqCst) {
            anyhow::bail!("failed to lookup address information: Temporary failure in name resolution");
        }
        let (to_client, from_server) = async_channel::unbounded();
        let (to_server, inbox) = mpsc::unbounded_channel();
        let conn = Arc::new(Conn {
            id: self.inner.next_conn.fetch_add(1, Ordering::Relaxed),
            to_client,
            write: Mutex::new(None),
            role: Mutex::new(Role::Handshaking),
            closed: AtomicBool::new(false),
        });
        self.inner.state.lock().conns.push(conn.clone());
        let _ = conn.to_client.try_send(TransportEvent::Connected);
        tokio::spawn(serve(self.inner.clone(), conn.clone(), inbox));
        Ok((Arc::new(ClientEnd { to_server, conn }), from_server))
    }
}

/// The client's end of a connection.
struct ClientEnd {
    to_server: mpsc::UnboundedSender<Bytes>,
    conn: Arc<Conn>,
}

#[async_trait::async_trait]
impl Transport for ClientEnd {
    async fn send(&self, data: Bytes) -> anyhow::Result<()> {
        if self.conn.closed.load(Ordering::SeqCst) {
            anyhow::bail!("connection closed");
        }
        self.to_server
            .send(data)
            .map_err(|_| anyhow::anyhow!("connection closed"))
    }

    async fn disconnect(&self) {
        self.conn.close();
    }
}

/// One connection, from the first byte to the close.
async fn serve(inner: Arc<Inner>, conn: Arc<Conn>, mut inbox: mpsc::UnboundedReceiver<Bytes>) {
    let mut decoder = FrameDecoder::new();
    let mut header_seen = false;
    let mut handshake: Option<Handshake> = None;
    let mut read: Option<(NoiseCipher, u32)> = None;
    while let Some(mut data) = inbox.recv().await {
        if conn.closed.load(Ordering::SeqCst) {
            break;
        }
        if !header_seen {
            header_seen = true;
            if data.starts_with(&WA_CONN_HEADER) {
                data = data.slice(WA_CONN_HEADER.len()..);
            }
        }
        decoder.feed(&data);
        while let Some(frame) = decoder.decode_frame() {
            if let Some((cipher, counter)) = read.as_mut() {
                let mut buf = frame.to_vec();
                if cipher.decrypt_in_place_with_counter(*counter, &mut buf).is_err() {
                    conn.close();
                    return;
                }
                *counter += 1;
                received(&inner, &conn, &buf);
                continue;
            }
            match handshake.take() {
                None => match client_hello(&inner, &conn, &frame) {
                    Step::Wait(h) => handshake = Some(h),
                    Step::Done { read: r, payload } => {
                        read = Some((r, 0));
                        logged_on(&inner, &conn, payload);
                    }
                    Step::Fail => {
                        conn.close();
                        return;
                    }
                },
                Some(h) => match client_finish(h, &frame) {
                    Some((w, r, payload)) => {
                        *conn.write.lock() = Some((w, 0));
                        read = Some((r, 0));
                        logged_on(&inner, &conn, payload);
                    }
                    None => {
                        conn.close();
                        return;
                    }
                },
            }
        }
    }
    conn.close();
}

/// An XX handshake waiting for the client's finish.
struct Handshake {
    noise: NoiseHandshake,
    ephemeral: KeyPair,
}

enum Step {
    Wait(Handshake),
    Done {
        read: NoiseCipher,
        payload: wa::ClientPayload,
    },
    Fail,
}

fn client_hello(inner: &Inner, conn: &Conn, frame: &[u8]) -> Step {
    let Ok(msg) = wa::HandshakeMessage::decode_from_slice(frame) else {
        return Step::Fail;
    };
    let Some(hello) = msg.client_hello.into_option() else {
        return Step::Fail;
    };
    let Some(Ok(client_eph)) = hello.ephemeral.map(<[u8; 32]>::try_from) else {
        return Step::Fail;
    };
    let server_eph = random_key();
    let server_eph_pub = server_eph.public_key.public_key_bytes().to_vec();
    let static_priv = inner.static_key.private_key.serialize();
    let reply = |noise: &mut NoiseHandshake, with_static: bool| -> Option<Vec<u8>> {
        let r#static = if with_static {
            Some(noise.encrypt(inner.static_key.public_key.public_key_bytes()).ok()?)
        } else {
            None
        };
        if with_static {
            noise.mix_shared_secret(static_priv, &client_eph).ok()?;
        }
        let payload = noise.encrypt(&inner.cert_chain).ok()?;
        let hello = wa::HandshakeMessage {
            server_hello: MessageField::some(wa::handshake_message::ServerHello {
                ephemeral: Some(server_eph_pub.clone()),
                r#static,
                payload: Some(payload),
                ..Default::default()
            }),
            ..Default::default()
        };
        Some(hello.encode_to_vec())
    };
    let send_raw = |bytes: Vec<u8>| {
        let frame = encode_frame(&bytes, None).expect("frame");
        let _ = conn
            .to_client
            .try_send(TransportEvent::DataReceived(Bytes::from(frame)));
    };
    match (hello.r#static, hello.payload) {
        // IK: the client already knows our static key.
        (Some(enc_static), Some(enc_payload)) => {
            let Ok(mut noise) = NoiseHandshake::new(NOISE_PATTERN_IK, &WA_CONN_HEADER) else {
                return Step::Fail;
            };
            noise.authenticate(inner.static_key.public_key.public_key_bytes());
            noise.authenticate(&client_eph);
            if noise.mix_shared_secret(static_priv, &client_eph).is_err() {
                return Step::Fail;
            }
            let Ok(client_static) = noise.decrypt(&enc_static) else {
                return Step::Fail;
            };
            if noise.mix_shared_secret(static_priv, &client_static).is_err() {
                return Step::Fail;
            }
            let Ok(payload) = noise.decrypt(&enc_payload) else {
                return Step::Fail;
            };
            noise.authenticate(&server_eph_pub);
            let eph_priv = server_eph.private_key.serialize();
            if noise.mix_shared_secret(eph_priv, &client_eph).is_err()
                || noise.mix_shared_secret(eph_priv, &client_static).is_err()
            {
                return Step::Fail;
            }
            let Some(bytes) = reply(&mut noise, false) else {
                return Step::Fail;
            };
            send_raw(bytes);
            let Ok((c2s, s2c)) = noise.finish() else {
                return Step::Fail;
            };
            *conn.write.lock() = Some((s2c, 0));
            match wa::ClientPayload::decode_from_slice(&payload) {
                Ok(payload) => Step::Done { read: c2s, payload },
                Err(_) => Step::Fail,
            }
        }
        _ => {
            let Ok(mut noise) = NoiseHandshake::new(NOISE_PATTERN_XX, &WA_CONN_HEADER) else {
                return Step::Fail;
            };
            noise.authenticate(&client_eph);
            noise.authenticate(&server_eph_pub);
            if noise
                .mix_shared_secret(server_eph.private_key.serialize(), &client_eph)
                .is_err()
            {
                return Step::Fail;
            }
            let Some(bytes) = reply(&mut noise, true) else {
                return Step::Fail;
            };
            send_raw(bytes);
            Step::Wait(Handshake {
                noise,
                ephemeral: server_eph,
            })
        }
    }
}

fn client_finish(mut h: Handshake, frame: &[u8]) -> Option<(NoiseCipher, NoiseCipher, wa::ClientPayload)> {
    let msg = wa::HandshakeMessage::decode_from_slice(frame).ok()?;
    let finish = msg.client_finish.into_option()?;
    let client_static = h.noise.decrypt(finish.r#static.as_deref()?).ok()?;
    h.noise
        .mix_shared_secret(h.ephemeral.private_key.serialize(), &client_static)
        .ok()?;
    let payload = h.noise.decrypt(finish.payload.as_deref()?).ok()?;
    let payload = wa::ClientPayload::decode_from_slice(&payload).ok()?;
    let (c2s, s2c) = h.noise.finish().ok()?;
    Some((s2c, c2s, payload))
}

/// The handshake is done: a new device is shown QR refs; a linked one logs in.
fn logged_on(inner: &Inner, conn: &Conn, payload: wa::ClientPayload) {
    match (payload.username, payload.device) {
        (Some(user), device) => {
            let key = format!("{user}:{}", device.unwrap_or(0));
            let (login, linked) = {
                let mut s = inner.state.lock();
                s.logins += 1;
                (s.login(), s.linked.get(&key).cloned())
            };
            match (login, linked) {
                (Login::Fail(reason), _) => fail(conn, reason),
                (Login::Accept, None) => fail(conn, 401),
                (Login::Accept, Some(l)) => {
                    *conn.role.lock() = Role::LoggedIn { key };
                    conn.send(
                        &NodeBuilder::new("success")
                            .attr("t", now_secs().to_string())
                            .attr("lid", format!("{}@lid", l.lid))
                            .attr("props", "1")
                            .build(),
                    );
                    conn.send(
                        &NodeBuilder::new("ib")
                            .attr("from", "s.whatsapp.net")
                            .children([NodeBuilder::new("offline").attr("count", "0").build()])
                            .build(),
                    );
                }
            }
        }
        (None, _) => {
            let refs: Vec<String> = (0..inner.refs).map(|i| format!("2@ref{}-{i}", conn.id)).collect();
            *conn.role.lock() = Role::Registering { refs: refs.clone() };
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
    inner.changed.notify_waiters();
}

fn fail(conn: &Conn, reason: u16) {
    let mut b = NodeBuilder::new("failure").attr("reason", reason.to_string());
    if reason == 402 {
        b = b.attr("code", "101").attr("expire", "3600");
    }
    conn.send(&b.build());
    conn.close();
}

/// A node from a client: noted, and IQs answered.
fn received(inner: &Inner, conn: &Conn, plain: &[u8]) {
    let Ok(unpacked) = unpack(plain) else { return };
    let Ok(node) = unmarshal_ref(&unpacked) else { return };
    let node = node.to_owned();
    let tag = node.tag.to_string();
    let mut attrs = node.attrs();
    let id = attrs.optional_string("id").map(|s| s.to_string());
    let kind = attrs.optional_string("type").map(|s| s.to_string());
    let xmlns = attrs.optional_string("xmlns").map(|s| s.to_string());
    {
        let mut s = inner.state.lock();
        s.seen.push(tag.clone());
        if tag == "iq" && node.get_optional_child("pair-device-sign").is_some() {
            s.seen.push(format!("signed:{}", id.clone().unwrap_or_default()));
        }
    }
    inner.changed.notify_waiters();
    if tag == "message" {
        message(inner, conn, &node);
        return;
    }
    if tag != "iq" || kind.as_deref() == Some("result") || kind.as_deref() == Some("error") {
        return;
    }
    let Some(id) = id else { return };
    let mut answer = NodeBuilder::new("iq")
        .attr("from", "s.whatsapp.net")
        .attr("type", "result")
        .attr("id", id);
    if let Some(reg) = node.get_optional_child("link_code_companion_reg") {
        // A phone-number link: the server hands back a pairing ref; the code
        // itself is the device's own.
        let jid = reg
            .attrs()
            .optional_string("jid")
            .map(|s| s.to_string())
            .unwrap_or_default();
        inner.state.lock().seen.push(format!("pair-code:{jid}"));
        answer = answer.children([NodeBuilder::new("link_code_companion_reg")
            .children([NodeBuilder::new("link_code_pairing_ref")
                .bytes(format!("code-ref-{}", conn.id).into_bytes())
                .build()])
            .build()]);
    } else if xmlns.as_deref() == Some("usync") {
        answer = answer.children([usync(&node)]);
    } else if xmlns.as_deref() == Some("encrypt") && node.get_optional_child("key").is_some() {
        let mut s = inner.state.lock();
        let bundles: Vec<Node> = node
            .get_optional_child("key")
            .map(|k| {
                k.get_children_by_tag("user")
                    .filter_map(|u| attrs_of(u, "jid"))
                    .map(|jid| {
                        let user = jid.split(['@', ':']).next().unwrap_or_default().to_owned();
                        s.peers.entry(user).or_insert_with(Peer::new).bundle(&jid)
                    })
                    .collect()
            })
            .unwrap_or_default();
        answer = answer.children([NodeBuilder::new("list").children(bundles).build()]);
    } else if xmlns.as_deref() == Some("w:g2") {
        let groups = inner.state.lock().groups.clone();
        let group_node = |id: &str, (subject, members): &(String, Vec<(String, String)>)| {
            NodeBuilder::new("group")
                .attr("id", id.to_string())
                .attr("subject", subject.as_str())
                .attr("creation", "1600000000")
                .children(members.iter().map(|(jid, role)| {
                    let p = NodeBuilder::new("participant").attr("jid", jid.as_str());
                    if role == "member" {
                        p.build()
                    } else {
                        p.attr("type", role.as_str()).build()
                    }
                }))
                .build()
        };
        let to = attrs_of(&node, "to");
        if node.get_optional_child("participating").is_some() {
            answer = answer.children([NodeBuilder::new("groups")
                .children(groups.iter().map(|(id, g)| group_node(id, g)))
                .build()]);
        } else if let Some(g) = to
            .as_deref()
            .and_then(|t| t.strip_suffix("@g.us"))
            .and_then(|u| groups.get(u).map(|g| (u, g)))
        {
            answer = answer
                .attr("from", to.clone().unwrap_or_default())
                .children([group_node(g.0, g.1)]);
        }
    } else if xmlns.as_deref() == Some("w:sync:app:state") {
        // Every collection asked for is up to date: nothing to send.
        let names: Vec<Node> = node
            .get_optional_child("sync")
            .map(|s| {
                s.get_children_by_tag("collection")
                    .filter_map(|c| c.attrs().optional_string("name").map(|n| n.to_string()))
                    .map(|n| NodeBuilder::new("collection").attr("name", n).build())
                    .collect()
            })
            .unwrap_or_default();
        answer = answer.children([NodeBuilder::new("sync").children(names).build()]);
    }
    conn.send(&answer.build());
}

fn attrs_of(node: &Node, key: &str) -> Option<String> {
    node.attrs().optional_string(key).map(|s| s.to_string())
}

/// A message from a client: recorded, and acknowledged as WhatsApp's server does.
fn message(inner: &Inner, conn: &Conn, node: &Node) {
    let to = attrs_of(node, "to").unwrap_or_default();
    let id = attrs_of(node, "id").unwrap_or_default();
    let mut payloads = Vec::new();
    let mut collect = |n: &Node, whom: &str| {
        for enc in n.get_children_by_tag("enc") {
            payloads.push((attrs_of(enc, "type").unwrap_or_default(), whom.to_owned()));
        }
    };
    collect(node, &to);
    if let Some(ps) = node.get_optional_child("participants") {
        for p in ps.get_children_by_tag("to") {
            collect(p, &attrs_of(p, "jid").unwrap_or_default());
        }
    }
    inner.state.lock().sent.push(Sent {
        to: to.clone(),
        id: id.clone(),
        kind: attrs_of(node, "type").unwrap_or_default(),
        payloads,
    });
    inner.changed.notify_waiters();
    conn.send(
        &NodeBuilder::new("ack")
            .attr("class", "message")
            .attr("id", id)
            .attr("from", to)
            .attr("t", now_secs().to_string())
            .build(),
    );
}

/// A user lookup: everyone asked about is on WhatsApp with one device, their phone
/// (device 0), and a LID of their own. Answers the protocols the query names.
fn usync(node: &Node) -> Node {
    let asked: Vec<String> = node
        .get_optional_child_by_tag(&["usync", "query"])
        .and_then(|q| q.children())
        .map(|cs| cs.iter().map(|c| c.tag.to_string()).collect())
        .unwrap_or_default();
    let users: Vec<Node> = node
        .get_optional_child_by_tag(&["usync", "list"])
        .map(|l| {
            l.get_children_by_tag("user")
                .filter_map(|u| {
                    attrs_of(u, "jid").or_else(|| {
                        let phone = u.get_optional_child("contact")?.content_as_string()?;
                        Some(format!("{}@s.whatsapp.net", phone.trim_start_matches('+')))
                    })
                })
                .map(|jid| {
                    let user = jid.split(['@', ':']).next().unwrap_or_default().to_owned();
                    let mut children = Vec::new();
                    for p in &asked {
                        children.push(match p.as_str() {
                            "devices" => NodeBuilder::new("devices")
                                .children([NodeBuilder::new("device-list")
                                    .children([NodeBuilder::new("device").attr("id", "0").build()])
                                    .build()])
                                .build(),
                            "contact" => NodeBuilder::new("contact").attr("type", "in").build(),
                            "lid" if !jid.ends_with("@lid") => {
                                NodeBuilder::new("lid").attr("val", format!("7{user}@lid")).build()
                            }
                            _ => continue,
                        });
                    }
                    NodeBuilder::new("user").attr("jid", jid).children(children).build()
                })
                .collect()
        })
        .unwrap_or_default();
    NodeBuilder::new("usync")
        .children([NodeBuilder::new("list").children(users).build()])
        .build()
}
