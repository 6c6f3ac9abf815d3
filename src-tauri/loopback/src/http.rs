//! The network's one port: the chat WebSocket (`/ws/chat`) and the control API
//! (`/control/*`, JSON) that creates people, links devices and drives what the
//! people do. See the crate's README for the API.

use std::net::SocketAddr;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::wire::{serve, Out};
use crate::{ControlError, Network};

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self {
            ControlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ControlError::NotFound(_) => StatusCode::NOT_FOUND,
            ControlError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

type Answer = Result<Json<Value>, ControlError>;

pub fn router(net: Network) -> Router {
    Router::new()
        .route("/ws/chat", get(chat))
        .route("/control/people", post(people))
        .route("/control/scan", post(scan))
        .route("/control/send", post(send))
        .route("/control/groups", post(groups))
        .route("/control/offline", post(offline))
        .route("/control/inbox", get(inbox))
        .route("/control/history", post(history))
        .route("/control/app-state", post(app_state))
        .route("/control/faults", post(faults))
        .route("/mms/{kind}/{token}", post(upload))
        .route("/v/loopback/{kind}/{token}", get(download))
        .with_state(net)
}

/// Serves the network on `listener` until the process ends.
pub async fn serve_on(net: Network, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    net.set_http_addr(addr);
    axum::serve(listener, router(net)).await
}

async fn chat(ws: WebSocketUpgrade, State(net): State<Network>) -> Response {
    ws.on_upgrade(move |socket| connection(net, socket))
}

/// One device's WebSocket: binary messages in, to the connection's reader; what
/// the server sends, out.
async fn connection(net: Network, mut socket: WebSocket) {
    if !net.reachable() {
        return;
    }
    let (out, mut outbox) = mpsc::unbounded_channel();
    let (to_server, inbox) = mpsc::unbounded_channel::<Bytes>();
    let conn = net.open(out);
    tokio::spawn(serve(net.clone(), conn.clone(), inbox));
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(b))) => {
                    if to_server.send(b).is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            outgoing = outbox.recv() => match outgoing {
                Some(Out::Data(b)) => {
                    if socket.send(Message::Binary(b)).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            },
        }
    }
    conn.close();
}

#[derive(Deserialize)]
struct NewPerson {
    phone: String,
    name: String,
}

async fn people(State(net): State<Network>, Json(p): Json<NewPerson>) -> Answer {
    let phone = net.add_person(&p.phone, &p.name).await?;
    Ok(Json(json!({
        "phone": format!("+{}", phone.pn),
        "jid": format!("{}@s.whatsapp.net", phone.pn),
        "lid": format!("{}@lid", phone.lid),
        "name": phone.name,
    })))
}

#[derive(Deserialize)]
struct Scan {
    phone: String,
    qr: String,
}

async fn scan(State(net): State<Network>, Json(s): Json<Scan>) -> Answer {
    let linked = net.link(&s.qr, &s.phone).await?;
    Ok(Json(json!({
        "jid": format!("{}:{}@s.whatsapp.net", linked.pn, linked.device),
        "device": linked.device,
    })))
}

#[derive(Deserialize)]
struct Send {
    from: String,
    to: String,
    text: Option<String>,
    media: Option<SendMedia>,
}

#[derive(Deserialize)]
struct SendMedia {
    kind: String,
    base64: String,
    mime: String,
}

async fn send(State(net): State<Network>, Json(s): Json<Send>) -> Answer {
    let phone = net.phone_of(&s.from)?;
    let id = match (s.media, s.text) {
        (Some(m), caption) => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&m.base64)
                .map_err(|e| ControlError::BadRequest(format!("media.base64: {e}")))?;
            let kind = crate::media::Kind::parse(&m.kind)?;
            phone.send_media(&s.to, kind, bytes, &m.mime, caption).await?
        }
        (None, Some(text)) => phone.send_text(&s.to, &text).await?,
        (None, None) => return Err(ControlError::BadRequest("a message needs \"text\" or \"media\"".into())),
    };
    Ok(Json(json!({ "id": id })))
}

#[derive(Deserialize)]
struct NewGroup {
    subject: String,
    members: Vec<String>,
}

async fn groups(State(net): State<Network>, Json(g): Json<NewGroup>) -> Answer {
    let id = net.create_group(&g.subject, &g.members)?;
    Ok(Json(json!({ "id": id })))
}

#[derive(Deserialize)]
struct Offline {
    phone: String,
    offline: bool,
}

async fn offline(State(net): State<Network>, Json(o): Json<Offline>) -> Answer {
    net.set_offline(&o.phone, o.offline)?;
    Ok(Json(json!({ "phone": o.phone, "offline": o.offline })))
}

/// Failures for the next operations of an account: sends WhatsApp refuses
/// (`nack`: the error code), messages to its devices that arrive damaged
/// (`corrupt`: how many; the receiver asks again, and after a few tries reports
/// them undecryptable), IQs answered with an error (`iq`: namespace and code), a
/// phone slow to answer its companions' requests (`answer_delay_ms`).
#[derive(Deserialize)]
struct Faults {
    phone: String,
    #[serde(default)]
    nack: Option<u16>,
    #[serde(default)]
    answer_delay_ms: Option<u64>,
    #[serde(default)]
    corrupt: Option<usize>,
    #[serde(default)]
    iq: Option<(String, u16)>,
}

async fn faults(State(net): State<Network>, Json(f): Json<Faults>) -> Answer {
    let pn = crate::digits(&f.phone)?;
    if let Some(code) = f.nack {
        net.nack_next(&pn, code);
    }
    if let Some(n) = f.corrupt {
        for linked in net.linked().into_iter().filter(|l| l.pn == pn) {
            net.corrupt_next(&format!("{pn}:{}", linked.device), n);
        }
    }
    if let Some((xmlns, code)) = &f.iq {
        net.fail_next_companion_iq(&pn, xmlns, *code);
    }
    if let Some(ms) = f.answer_delay_ms {
        net.phone_of(&f.phone)?
            .set_answer_delay(std::time::Duration::from_millis(ms));
    }
    Ok(Json(json!({ "phone": format!("+{pn}") })))
}

#[derive(Deserialize)]
struct Who {
    phone: String,
}

async fn inbox(State(net): State<Network>, Query(w): Query<Who>) -> Answer {
    let phone = net.phone_of(&w.phone)?;
    Ok(Json(serde_json::to_value(phone.inbox()).unwrap_or_default()))
}

#[derive(Deserialize)]
struct History {
    phone: String,
    chats: Vec<crate::history::HistoryChat>,
    /// `recent` (default) or `full`: a chunk on the CDN for a linked device.
    #[serde(default)]
    kind: Option<String>,
    /// Keep these on the phone for on-demand requests only.
    #[serde(default)]
    on_demand: bool,
}

/// Queues conversations on a phone for the history sync after the next link, or,
/// when the account already has a companion, sends them now as a CDN chunk.
async fn history(State(net): State<Network>, Json(h): Json<History>) -> Answer {
    let phone = net.phone_of(&h.phone)?;
    if h.on_demand {
        phone.keep_for_on_demand(h.chats);
        return Ok(Json(json!({ "kept": true })));
    }
    let kind = match h.kind.as_deref() {
        None | Some("recent") => crate::history::SyncKind::Recent,
        Some("full") => crate::history::SyncKind::Full,
        Some(k) => return Err(ControlError::BadRequest(format!("kind is recent or full, not {k:?}"))),
    };
    if net.linked().iter().any(|l| l.pn == phone.pn) {
        let id = phone.push_history(&net, kind, &h.chats, false).await?;
        return Ok(Json(json!({ "sent": id, "via": "cdn" })));
    }
    phone.queue_history(h.chats);
    Ok(Json(json!({ "queued": true })))
}

#[derive(Deserialize)]
struct UploadQuery {
    resume: Option<String>,
}

/// The CDN's upload: the encrypted bytes, kept under a direct path.
async fn upload(
    State(net): State<Network>,
    Path((kind, token)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    if q.resume.is_some() {
        // "Is it there already?" Never: upload it whole.
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "not uploaded" }))).into_response();
    }
    let path = net.put_media(&kind, &token, body);
    let host = net.http_addr().map(|a| a.to_string()).unwrap_or_default();
    Json(json!({ "url": format!("https://{host}{path}"), "direct_path": path })).into_response()
}

async fn download(State(net): State<Network>, Path((kind, token)): Path<(String, String)>) -> Response {
    match net.media(&format!("/v/loopback/{kind}/{token}")) {
        Some(b) => b.into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct AppState {
    phone: String,
    /// `mute`, `archive`, `pin`, `mark_read`, `star` or `contact_name`.
    action: String,
    chat: String,
    /// On or off (default on); for `star` the message's WhatsApp ID, for
    /// `contact_name` the name.
    #[serde(default = "yes")]
    value: Value,
}

fn yes() -> Value {
    Value::Bool(true)
}

/// The phone changes a chat's state; its companions sync the patch.
async fn app_state(State(net): State<Network>, Json(a): Json<AppState>) -> Answer {
    let phone = net.phone_of(&a.phone)?;
    phone.chat_action(&a.action, &a.chat, &a.value).await?;
    Ok(Json(json!({ "action": a.action, "chat": a.chat, "value": a.value })))
}
