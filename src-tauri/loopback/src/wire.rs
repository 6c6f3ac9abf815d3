//! One client connection: its frames, the Noise transport ciphers once the
//! handshake is done, and the two ways a client reaches us (a WebSocket on
//! 127.0.0.1, or an in-process transport for tests that drive the library directly).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use whatsapp_rust::async_channel;
use whatsapp_rust::transport::{DisconnectReason, Transport, TransportEvent, TransportFactory};
use whatsapp_rust::wacore::framing::{encode_frame, FrameDecoder};
use whatsapp_rust::wacore::handshake::NoiseCipher;
use whatsapp_rust::wacore_binary::consts::WA_CONN_HEADER;
use whatsapp_rust::wacore_binary::marshal::{marshal, unmarshal_ref};
use whatsapp_rust::wacore_binary::util::unpack;
use whatsapp_rust::wacore_binary::Node;

use crate::noise::{self, Step};
use crate::Network;

/// What a connection turned out to be once its handshake finished.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Role {
    Handshaking,
    /// A new device asking to be paired, shown these refs.
    Registering {
        refs: Vec<String>,
        /// What the device says it is (its `DeviceProps`).
        props: crate::directory::DeviceProps,
    },
    /// A linked device logged in, as `user:device`.
    LoggedIn {
        device: String,
    },
    Closed,
}

/// Bytes for the client, or the end of the connection.
pub(crate) enum Out {
    Data(Bytes),
    Close,
}

pub(crate) struct Conn {
    pub id: u64,
    out: mpsc::UnboundedSender<Out>,
    write: Mutex<Option<(NoiseCipher, u32)>>,
    pub role: Mutex<Role>,
    closed: AtomicBool,
}

impl Conn {
    pub fn new(id: u64, out: mpsc::UnboundedSender<Out>) -> Self {
        Self {
            id,
            out,
            write: Mutex::new(None),
            role: Mutex::new(Role::Handshaking),
            closed: AtomicBool::new(false),
        }
    }

    /// Sends a node, encrypted with the session's cipher (dropped before the handshake).
    pub fn send(&self, node: &Node) {
        let mut w = self.write.lock();
        let Some((cipher, counter)) = w.as_mut() else { return };
        let Ok(plain) = marshal(node) else { return };
        let Ok(sealed) = cipher.encrypt_with_counter(*counter, &plain) else {
            return;
        };
        *counter += 1;
        self.send_raw(&sealed);
    }

    /// Sends one handshake message, framed but not encrypted.
    pub fn send_raw(&self, bytes: &[u8]) {
        if let Ok(frame) = encode_frame(bytes, None) {
            let _ = self.out.send(Out::Data(Bytes::from(frame)));
        }
    }

    pub fn set_write(&self, cipher: NoiseCipher) {
        *self.write.lock() = Some((cipher, 0));
    }

    pub fn logged_in_as(&self) -> Option<String> {
        match &*self.role.lock() {
            Role::LoggedIn { device } => Some(device.clone()),
            _ => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    pub fn close(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            *self.role.lock() = Role::Closed;
            let _ = self.out.send(Out::Close);
        }
    }
}

/// Reads a connection from its first byte to its close: the header, the Noise
/// handshake, then encrypted nodes handed to the network.
pub(crate) async fn serve(net: Network, conn: Arc<Conn>, mut inbox: mpsc::UnboundedReceiver<Bytes>) {
    let mut decoder = FrameDecoder::new();
    let mut header_seen = false;
    let mut handshake: Option<noise::Handshake> = None;
    let mut read: Option<(NoiseCipher, u32)> = None;
    'conn: while let Some(mut data) = inbox.recv().await {
        if conn.is_closed() {
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
                    break 'conn;
                }
                *counter += 1;
                if let Some(node) = decode(&buf) {
                    net.received(&conn, node).await;
                }
                continue;
            }
            let step = match handshake.take() {
                None => noise::client_hello(net.static_key(), net.cert_chain(), &conn, &frame),
                Some(h) => noise::client_finish(h, &conn, &frame),
            };
            match step {
                Step::Wait(h) => handshake = Some(h),
                Step::Done { read: r, payload } => {
                    read = Some((r, 0));
                    net.logged_on(&conn, payload).await;
                }
                Step::Fail => break 'conn,
            }
        }
    }
    conn.close();
    net.changed();
}

fn decode(plain: &[u8]) -> Option<Node> {
    let unpacked = unpack(plain).ok()?;
    Some(unmarshal_ref(&unpacked).ok()?.to_owned())
}

/// Connects in process: the library's transport, wired to a connection here.
#[async_trait::async_trait]
impl TransportFactory for Network {
    async fn create_transport(&self) -> anyhow::Result<(Arc<dyn Transport>, async_channel::Receiver<TransportEvent>)> {
        if !self.reachable() {
            anyhow::bail!("failed to lookup address information: Temporary failure in name resolution");
        }
        let (to_client, from_server) = async_channel::unbounded();
        let (out, mut outbox) = mpsc::unbounded_channel();
        let (to_server, inbox) = mpsc::unbounded_channel();
        let conn = self.open(out);
        let _ = to_client.try_send(TransportEvent::Connected);
        tokio::spawn(async move {
            while let Some(o) = outbox.recv().await {
                match o {
                    Out::Data(b) => {
                        let _ = to_client.try_send(TransportEvent::DataReceived(b));
                    }
                    Out::Close => break,
                }
            }
            let _ = to_client.try_send(TransportEvent::Disconnected(DisconnectReason::StreamEnded));
            to_client.close();
        });
        tokio::spawn(serve(self.clone(), conn.clone(), inbox));
        Ok((Arc::new(ClientEnd { to_server, conn }), from_server))
    }
}

/// The client's end of an in-process connection.
struct ClientEnd {
    to_server: mpsc::UnboundedSender<Bytes>,
    conn: Arc<Conn>,
}

#[async_trait::async_trait]
impl Transport for ClientEnd {
    async fn send(&self, data: Bytes) -> anyhow::Result<()> {
        if self.conn.is_closed() {
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
