//! The HTTP server on 127.0.0.1: streamable HTTP at `/mcp`, legacy SSE at
//! `/sse` + `/messages`, and `/health` for the stdio bridge and the window.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::guard::{self, Port};
use super::server::WuseServer;
use super::sse::{self, SseState};
use crate::engine::Engine;

/// An idle streamable HTTP session is closed after this long.
const SESSION_IDLE: Duration = Duration::from_secs(60 * 60);
/// Largest JSON-RPC message accepted (media travel by path or upload, not inline here).
const MAX_BODY: usize = 8 * 1024 * 1024;

pub fn router(engine: Arc<Engine>, port: u16, shutdown: CancellationToken) -> Router {
    let mut sessions = LocalSessionManager::default();
    sessions.session_config.keep_alive = Some(SESSION_IDLE);
    let loopback = [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "localhost".into(),
        "127.0.0.1".into(),
        "::1".into(),
    ];
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(loopback)
        .with_allowed_origins([
            "http://localhost:*",
            "http://127.0.0.1:*",
            "http://[::1]:*",
            "https://localhost:*",
            "https://127.0.0.1:*",
        ])
        .enforce_origin_validation()
        .with_cancellation_token(shutdown.child_token())
        .with_max_request_body_bytes(MAX_BODY);
    let mcp_engine = engine.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(WuseServer::new(mcp_engine.clone(), None)),
        Arc::new(sessions),
        config,
    );

    let sse_state = SseState::new(engine.clone(), shutdown);
    let legacy = Router::new()
        .route("/sse", get(sse::open))
        .route("/messages", post(sse::post))
        .with_state(sse_state);

    let authenticated = Router::new()
        .nest_service("/mcp", mcp)
        .layer(middleware::from_fn(session_ended))
        .merge(legacy)
        .layer(middleware::from_fn_with_state(engine.clone(), guard::authenticate));

    let media = Router::new()
        .route("/media/{id}", get(super::media_route::get))
        .with_state(engine.clone());
    Router::new()
        .route("/health", get(health))
        .merge(media)
        .merge(authenticated)
        .fallback(guard::not_found)
        .layer(middleware::from_fn_with_state(Port(port), guard::check_host_and_origin))
}

/// A session's `DELETE /mcp` answers 204. rmcp answers 202, which the MCP SDKs take
/// for a failure (the Python SDK warns "Session termination failed: 202"): they expect
/// 200 or 204, or 405 when a server does not end sessions.
async fn session_ended(request: Request, next: Next) -> Response {
    let delete = request.method() == Method::DELETE;
    let mut response = next.run(request).await;
    if delete && response.status() == StatusCode::ACCEPTED {
        *response.status_mut() = StatusCode::NO_CONTENT;
        *response.body_mut() = Body::empty();
    }
    response
}

async fn health() -> Json<serde_json::Value> {
    Json(
        json!({ "status": "ok", "name": "whatsapp-use", "version": env!("CARGO_PKG_VERSION"), "pid": std::process::id() }),
    )
}

/// Binds 127.0.0.1:`port` (0 picks a free port).
pub async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
}

/// Serves until `shutdown` is cancelled.
pub async fn serve(engine: Arc<Engine>, listener: TcpListener, shutdown: CancellationToken) -> std::io::Result<()> {
    let port = listener.local_addr()?.port();
    let app = router(engine, port, shutdown.clone());
    // Responses go out in several small writes (SSE framing); with Nagle's algorithm
    // each would wait for the client's delayed ACK, ~40 ms per call.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
