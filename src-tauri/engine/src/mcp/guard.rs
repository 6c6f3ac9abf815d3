//! HTTP guards that run before any MCP handling: `Host` and `Origin` checks (DNS
//! rebinding defence) on every request, then the API key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::engine::Engine;
use crate::error::{ErrorCode, ToolError};
use crate::keys::KeyError;

/// A SPEC error as an HTTP response.
pub fn error_response(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response {
    tool_error_response(status, &ToolError::new(code, message))
}

/// A SPEC error (with the rule that denied, when the gate did) as an HTTP response.
pub fn tool_error_response(status: StatusCode, error: &ToolError) -> Response {
    let body = serde_json::to_string(error).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

const LOOPBACK_HOSTS: &[&str] = &["127.0.0.1", "localhost", "[::1]"];

/// `Host` must name this machine's loopback interface (with our port, or none).
pub fn host_allowed(host: &str, port: u16) -> bool {
    let (name, host_port) = match host.rsplit_once(':') {
        Some((n, p)) if !n.is_empty() && !n.ends_with(':') && p.chars().all(|c| c.is_ascii_digit()) => (n, Some(p)),
        _ => (host, None),
    };
    LOOPBACK_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(name)) && host_port.is_none_or(|p| p.parse() == Ok(port))
}

/// `Origin`, when a browser sends one, must be a page served from this machine's
/// loopback (a local inspector, say). The desktop window talks over IPC, not HTTP.
pub fn origin_allowed(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let name = match rest.rsplit_once(':') {
        Some((n, p)) if !n.ends_with(':') && p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => n,
        _ => rest,
    };
    LOOPBACK_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// The port the server listens on, for the Host check.
#[derive(Clone, Copy)]
pub struct Port(pub u16);

pub async fn check_host_and_origin(State(Port(port)): State<Port>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !host_allowed(host, port) {
        return error_response(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("Host `{host}` is not allowed: this server answers on localhost only"),
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("<invalid>");
        if !origin_allowed(origin) {
            return error_response(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!("Origin `{origin}` is not allowed"),
            );
        }
    }
    next.run(req).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Authenticates the API key and puts the `Principal` into the request for the MCP
/// handler. Missing or bad keys get a 401 before any MCP processing.
pub async fn authenticate(State(engine): State<Arc<Engine>>, mut req: Request, next: Next) -> Response {
    let unauthorized = |message: &str| {
        let mut r = error_response(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message);
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"whatsapp-use\""),
        );
        r
    };
    let Some(secret) = bearer(req.headers()) else {
        return unauthorized(
            "missing API key: send `Authorization: Bearer wuse_…` (create one with `whatsapp-use keys create`)",
        );
    };
    // Almost every request is answered by the key cache; only the rest reads or
    // writes the store, on a blocking thread.
    let verified = match engine.keys.verify_cached(secret) {
        Some(answer) => Ok(answer),
        None => {
            let keys = engine.keys.clone();
            let secret = secret.to_owned();
            tokio::task::spawn_blocking(move || keys.verify(&secret)).await
        }
    };
    match verified {
        Ok(Ok(principal)) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Ok(Err(KeyError::Store(e))) => {
            tracing::error!(error = %e, "key check failed");
            error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::ServerError,
                "could not check the API key",
            )
        }
        Ok(Err(e)) => unauthorized(&e.to_string()),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServerError,
            "could not check the API key",
        ),
    }
}

/// For 404s on unknown paths.
pub async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such endpoint: MCP is at /mcp (streamable HTTP) and /sse (legacy SSE)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(host_allowed("127.0.0.1:7474", 7474));
        assert!(host_allowed("localhost:7474", 7474));
        assert!(host_allowed("LOCALHOST", 7474));
        assert!(host_allowed("[::1]:7474", 7474));
        assert!(!host_allowed("127.0.0.1:80", 7474));
        assert!(!host_allowed("evil.example.com:7474", 7474));
        assert!(!host_allowed("127.0.0.1.evil.com", 7474));
        assert!(!host_allowed("", 7474));
    }

    #[test]
    fn origins() {
        assert!(origin_allowed("http://localhost:6274"));
        assert!(origin_allowed("http://127.0.0.1"));
        assert!(origin_allowed("https://[::1]:8443"));
        assert!(!origin_allowed("tauri://localhost"));
        assert!(!origin_allowed("http://evil.example.com"));
        assert!(!origin_allowed("http://localhost.evil.com"));
        assert!(!origin_allowed("null"));
        assert!(!origin_allowed("file://"));
    }
}
