//! The network's one port: the chat WebSocket (`/ws/chat`) and the control API
//! (`/control/*`, JSON) that creates people, links devices and drives what the
//! people do. See the crate's README for the API.

use std::net::SocketAddr;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
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
}

async fn send(State(net): State<Network>, Json(s): Json<Send>) -> Answer {
    let from = crate::digits(&s.from)?;
    let phone = net
        .phone(&from)
        .ok_or_else(|| ControlError::NotFound(format!("no person +{from} with a phone")))?;
    let text = s
        .text
        .ok_or_else(|| ControlError::BadRequest("a message needs \"text\"".into()))?;
    let id = phone.send_text(&s.to, &text).await?;
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

#[derive(Deserialize)]
struct Who {
    phone: String,
}

async fn inbox(State(net): State<Network>, Query(w): Query<Who>) -> Answer {
    let pn = crate::digits(&w.phone)?;
    let phone = net
        .phone(&pn)
        .ok_or_else(|| ControlError::NotFound(format!("no person +{pn} with a phone")))?;
    Ok(Json(serde_json::to_value(phone.inbox()).unwrap_or_default()))
}
