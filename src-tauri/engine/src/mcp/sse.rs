//! Legacy HTTP+SSE transport (protocol 2024-11-05), which rmcp does not ship:
//! `GET /sse` opens an event stream whose first event names the endpoint for this
//! session; the client POSTs JSON-RPC messages to `/messages?sessionId=…` (202) and
//! reads every answer and notification from the stream.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::{SinkExt, Stream, StreamExt};
use parking_lot::Mutex;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::{CancellationToken, PollSender};

use super::guard::error_response;
use super::server::WuseServer;
use crate::engine::Engine;
use crate::error::ErrorCode;
use crate::keys::Principal;

/// Messages buffered per direction per session.
const CHANNEL: usize = 64;

struct Session {
    principal: Principal,
    to_server: mpsc::Sender<ClientJsonRpcMessage>,
}

#[derive(Clone)]
pub struct SseState {
    engine: Arc<Engine>,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    shutdown: CancellationToken,
}

impl SseState {
    pub fn new(engine: Arc<Engine>, shutdown: CancellationToken) -> Self {
        Self {
            engine,
            sessions: Arc::default(),
            shutdown,
        }
    }
}

/// Removes the session when the client goes away (the stream is dropped).
struct SessionGuard {
    id: String,
    sessions: Arc<Mutex<HashMap<String, Session>>>,
    cancel: CancellationToken,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.sessions.lock().remove(&self.id);
        self.cancel.cancel();
    }
}

pub async fn open(State(state): State<SseState>, Extension(principal): Extension<Principal>) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (to_server, from_client) = mpsc::channel::<ClientJsonRpcMessage>(CHANNEL);
    let (to_client, from_server) = mpsc::channel::<ServerJsonRpcMessage>(CHANNEL);
    state.sessions.lock().insert(
        id.clone(),
        Session {
            principal: principal.clone(),
            to_server,
        },
    );
    let cancel = state.shutdown.child_token();
    let handler = WuseServer::new(state.engine.clone(), Some(principal));
    let transport = (
        PollSender::new(to_client).sink_map_err(|e| std::io::Error::other(e.to_string())),
        ReceiverStream::new(from_client),
    );
    let service_cancel = cancel.clone();
    tokio::spawn(async move {
        match rmcp::service::serve_server_with_ct(handler, transport, service_cancel).await {
            Ok(running) => {
                let _ = running.waiting().await;
            }
            Err(e) => tracing::debug!(error = %e, "legacy SSE session ended before initialize"),
        }
    });

    let guard = SessionGuard {
        id: id.clone(),
        sessions: state.sessions.clone(),
        cancel,
    };
    let endpoint = futures::stream::once(async move {
        Ok::<_, Infallible>(
            Event::default()
                .event("endpoint")
                .data(format!("/messages?sessionId={id}")),
        )
    });
    let messages = ReceiverStream::new(from_server).map(move |m| {
        let _keep = &guard;
        let data = serde_json::to_string(&m).unwrap_or_default();
        Ok::<_, Infallible>(Event::default().event("message").data(data))
    });
    let stream: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(endpoint.chain(messages));
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

#[derive(Deserialize)]
pub struct SessionQuery {
    #[serde(rename = "sessionId")]
    session_id: String,
}

pub async fn post(
    State(state): State<SseState>,
    Extension(principal): Extension<Principal>,
    Query(q): Query<SessionQuery>,
    body: Result<Json<ClientJsonRpcMessage>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let to_server = {
        let sessions = state.sessions.lock();
        let Some(session) = sessions.get(&q.session_id) else {
            return error_response(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such SSE session; open a new one with GET /sse",
            );
        };
        if session.principal.key_id != principal.key_id {
            return error_response(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "this session belongs to another API key",
            );
        }
        session.to_server.clone()
    };
    let Json(message) = match body {
        Ok(m) => m,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidRequest,
                format!("not a JSON-RPC message: {}", e.body_text()),
            )
        }
    };
    match to_server.send(message).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(_) => error_response(StatusCode::NOT_FOUND, ErrorCode::NotFound, "the SSE session has ended"),
    }
}
