//! The stdio transport (`whatsapp-use mcp`): MCP clients that start a command speak
//! JSON-RPC lines on stdin/stdout; the bridge relays them, unchanged, to the owner's
//! streamable HTTP endpoint, and relays back every answer and notification (from the
//! POST responses and from the session's GET stream).
//!
//! It finds the owner through the data dir's `owner.json`, starts `serve` in the
//! background when no owner runs, and if the owner restarts underneath it, it
//! replays the client's `initialize` on a new session so the client never notices.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use parking_lot::Mutex;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::owner;

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
const LAST_EVENT_HEADER: &str = "last-event-id";
/// How long to wait for an owner we started to listen.
const OWNER_START_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub data_dir: PathBuf,
    /// The port to start an owner on when none runs.
    pub port: u16,
    pub api_key: String,
    /// The program and arguments that start an owner (`whatsapp-use serve …`).
    pub serve_command: (PathBuf, Vec<String>),
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("WUSE_API_KEY is not set: create a key with `whatsapp-use keys create --test` (or --live) and pass it in the client's env")]
    NoKey,
    #[error("could not start the WhatsApp-Use owner: {0}")]
    OwnerStart(String),
    #[error("stdio: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads Server-Sent Events from a byte stream.
#[derive(Default)]
struct SseParser {
    line: Vec<u8>,
    data: Vec<String>,
    id: Option<String>,
}

impl SseParser {
    /// Returns (event id, data) for each complete event in `chunk`.
    fn feed(&mut self, chunk: &[u8]) -> Vec<(Option<String>, String)> {
        let mut out = Vec::new();
        for &b in chunk {
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push((self.id.clone(), self.data.join("\n")));
                    self.data.clear();
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                self.data.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
            } else if let Some(i) = line.strip_prefix("id:") {
                self.id = Some(i.trim().to_owned());
            }
        }
        out
    }
}

struct State {
    port: u16,
    session: Option<String>,
    protocol: Option<String>,
    /// The client's own `initialize`, replayed on a new session after an owner restart.
    initialize: Option<Value>,
    initialized_sent: bool,
    get_stream: Option<JoinHandle<()>>,
    last_event_id: Option<String>,
}

struct Bridge {
    http: reqwest::Client,
    cfg: BridgeConfig,
    state: Mutex<State>,
    out: mpsc::Sender<String>,
}

enum PostFailure {
    /// The owner no longer knows our session (it restarted).
    SessionGone,
    /// Nobody listens on the port.
    Unreachable,
    /// The connection broke before an answer.
    Transport(String),
    Status(StatusCode, String),
}

fn rpc_error(id: &Value, code: i64, message: &str) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } }).to_string()
}

impl Bridge {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.state.lock().port)
    }

    fn headers(&self, with_session: bool) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {}", self.cfg.api_key)) {
            h.insert(AUTHORIZATION, v);
        }
        let st = self.state.lock();
        if with_session {
            if let Some(s) = st.session.as_deref().and_then(|s| HeaderValue::from_str(s).ok()) {
                h.insert(SESSION_HEADER, s);
            }
        }
        if let Some(v) = st.protocol.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            h.insert(VERSION_HEADER, v);
        }
        h
    }

    async fn emit(&self, line: String) {
        let _ = self.out.send(line).await;
    }

    /// POSTs one message and relays what comes back. `relay` is false for replayed
    /// handshakes, whose answers the client already has.
    async fn post(&self, msg: &Value, relay: bool) -> Result<Option<Value>, PostFailure> {
        let resp = self
            .http
            .post(self.url())
            .headers(self.headers(true))
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json, text/event-stream")
            .body(msg.to_string())
            .send()
            .await
            .map_err(|e| {
                if e.is_connect() {
                    PostFailure::Unreachable
                } else {
                    PostFailure::Transport(e.to_string())
                }
            })?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND && self.state.lock().session.is_some() {
            return Err(PostFailure::SessionGone);
        }
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            let message = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                        .or_else(|| v.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
                })
                .unwrap_or(body);
            return Err(PostFailure::Status(status, message));
        }
        if let Some(s) = resp.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
            self.state.lock().session = Some(s.to_owned());
        }
        let is_sse = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let mut last = None;
        if is_sse {
            let mut parser = SseParser::default();
            let mut body = resp.bytes_stream();
            while let Some(chunk) = body.next().await {
                let Ok(chunk) = chunk else { break };
                for (_, data) in parser.feed(&chunk) {
                    if data.trim().is_empty() {
                        continue;
                    }
                    if let Ok(v) = serde_json::from_str::<Value>(&data) {
                        last = Some(v);
                    }
                    if relay {
                        self.emit(data).await;
                    }
                }
            }
        } else if status != StatusCode::ACCEPTED {
            let body = resp.text().await.unwrap_or_default();
            if !body.trim().is_empty() {
                last = serde_json::from_str(&body).ok();
                if relay {
                    self.emit(body.trim().to_owned()).await;
                }
            }
        }
        Ok(last)
    }

    /// Remembers what the handshake agreed.
    fn note_initialize_result(&self, answer: &Option<Value>) {
        if let Some(v) = answer
            .as_ref()
            .and_then(|a| a.pointer("/result/protocolVersion"))
            .and_then(Value::as_str)
        {
            self.state.lock().protocol = Some(v.to_owned());
        }
    }

    /// A new session on a (possibly new) owner, replaying the client's handshake.
    async fn reinitialize(self: &Arc<Self>) -> bool {
        let init = {
            let mut st = self.state.lock();
            st.session = None;
            if let Some(h) = st.get_stream.take() {
                h.abort();
            }
            st.initialize.clone()
        };
        let Some(init) = init else { return true };
        match self.post(&init, false).await {
            Ok(answer) => self.note_initialize_result(&answer),
            Err(_) => return false,
        }
        if self.state.lock().initialized_sent {
            let _ = self
                .post(
                    &json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
                    false,
                )
                .await;
            self.start_get_stream();
        }
        tracing::info!("re-established the MCP session with the owner");
        true
    }

    async fn forward(self: &Arc<Self>, msg: Value) {
        let id = msg.get("id").cloned();
        let method = msg.get("method").and_then(Value::as_str).map(str::to_owned);
        let is_request = id.is_some() && method.is_some();
        let mut attempts = 0;
        let result = loop {
            attempts += 1;
            match self.post(&msg, true).await {
                Err(PostFailure::SessionGone) if attempts < 3 => {
                    if !self.reinitialize().await {
                        break Err(PostFailure::Unreachable);
                    }
                }
                // A broken connection is only safe to retry if the owner died with it
                // (then it acknowledged nothing); a live owner may have acted on it.
                Err(PostFailure::Transport(e)) if attempts < 3 => {
                    let port = self.state.lock().port;
                    if self.healthy(port).await {
                        break Err(PostFailure::Transport(e));
                    }
                    if let Err(e) = self.ensure_owner().await {
                        break Err(PostFailure::Status(StatusCode::SERVICE_UNAVAILABLE, e.to_string()));
                    }
                    if method.as_deref() != Some("initialize") && !self.reinitialize().await {
                        break Err(PostFailure::Unreachable);
                    }
                }
                Err(PostFailure::Unreachable) if attempts < 3 => {
                    if let Err(e) = self.ensure_owner().await {
                        break Err(PostFailure::Status(StatusCode::SERVICE_UNAVAILABLE, e.to_string()));
                    }
                    if method.as_deref() != Some("initialize") && !self.reinitialize().await {
                        break Err(PostFailure::Unreachable);
                    }
                }
                other => break other,
            }
        };
        match result {
            Ok(answer) => match method.as_deref() {
                Some("initialize") => self.note_initialize_result(&answer),
                Some("notifications/initialized") => {
                    self.state.lock().initialized_sent = true;
                    self.start_get_stream();
                }
                _ => {}
            },
            Err(failure) => {
                let (code, message) = match failure {
                    PostFailure::Status(s, m) if s == StatusCode::UNAUTHORIZED => (-32001, format!("unauthorized: {m}")),
                    PostFailure::Status(s, m) if s == StatusCode::FORBIDDEN => (-32003, format!("forbidden: {m}")),
                    PostFailure::Status(s, m) => (-32603, format!("WhatsApp-Use answered {s}: {m}")),
                    PostFailure::Transport(e) => (-32603, format!("the connection to WhatsApp-Use broke before an answer ({e}); the call may or may not have run")),
                    PostFailure::Unreachable | PostFailure::SessionGone => (-32603, "WhatsApp-Use is not reachable".to_owned()),
                };
                if let (true, Some(id)) = (is_request, &id) {
                    self.emit(rpc_error(id, code, &message)).await;
                } else {
                    tracing::warn!(code, %message, "a notification could not be delivered");
                }
            }
        }
    }

    /// Relays the session's standalone GET stream (server notifications), resuming
    /// with `Last-Event-ID` after drops.
    fn start_get_stream(self: &Arc<Self>) {
        if self.state.lock().session.is_none() {
            return;
        }
        let this = self.clone();
        let handle = tokio::spawn(async move {
            let mut failures = 0u32;
            loop {
                let mut req = this
                    .http
                    .get(this.url())
                    .headers(this.headers(true))
                    .header(ACCEPT, "text/event-stream");
                if let Some(last) = this.state.lock().last_event_id.clone() {
                    req = req.header(LAST_EVENT_HEADER, last);
                }
                match req.send().await {
                    Ok(resp) if resp.status().is_success() => {
                        failures = 0;
                        let mut parser = SseParser::default();
                        let mut body = resp.bytes_stream();
                        while let Some(Ok(chunk)) = body.next().await {
                            for (id, data) in parser.feed(&chunk) {
                                if let Some(id) = id {
                                    this.state.lock().last_event_id = Some(id);
                                }
                                if !data.trim().is_empty() {
                                    this.emit(data).await;
                                }
                            }
                        }
                    }
                    // No standalone stream on this server, or the session is gone (the
                    // next POST re-initializes and restarts it).
                    Ok(resp) if matches!(resp.status(), StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND) => {
                        return
                    }
                    _ => failures += 1,
                }
                if failures > 10 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500 * u64::from(failures.max(1)))).await;
            }
        });
        if let Some(old) = self.state.lock().get_stream.replace(handle) {
            old.abort();
        }
    }

    async fn healthy(&self, port: u16) -> bool {
        let url = format!("http://127.0.0.1:{port}/health");
        match self.http.get(url).timeout(Duration::from_secs(2)).send().await {
            Ok(r) if r.status().is_success() => r.json::<Value>().await.is_ok_and(|v| v["name"] == "whatsapp-use"),
            _ => false,
        }
    }

    /// Finds the running owner, or starts one and waits until it listens.
    async fn ensure_owner(&self) -> Result<(), BridgeError> {
        if let Some(info) = owner::read(&self.cfg.data_dir) {
            if self.healthy(info.port).await {
                self.state.lock().port = info.port;
                return Ok(());
            }
        }
        let log_path = self.cfg.data_dir.join("serve.log");
        // The owner's own words, when it could not start.
        let tail = || {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(6)..].join("\n")
        };
        let mut child: Option<std::process::Child> = None;
        let deadline = tokio::time::Instant::now() + OWNER_START_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            if let Some(info) = owner::read(&self.cfg.data_dir) {
                if self.healthy(info.port).await {
                    self.state.lock().port = info.port;
                    return Ok(());
                }
            }
            if let Some(status) = child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(BridgeError::OwnerStart(format!("it exited ({status}):\n{}", tail())));
            }
            // Nobody owns the data dir (any more: an owner that just died may hold its
            // lock for a moment): start one.
            if child.is_none() && !owner::is_owned(&self.cfg.data_dir) {
                child = Some(self.spawn_owner(&log_path)?);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BridgeError::OwnerStart(format!(
            "it did not answer within {}s:\n{}",
            OWNER_START_TIMEOUT.as_secs(),
            tail()
        )))
    }

    fn spawn_owner(&self, log_path: &std::path::Path) -> Result<std::process::Child, BridgeError> {
        let (program, args) = &self.cfg.serve_command;
        let log = std::fs::create_dir_all(&self.cfg.data_dir)
            .and_then(|()| std::fs::OpenOptions::new().create(true).append(true).open(log_path))
            .map_err(|e| BridgeError::OwnerStart(e.to_string()))?;
        let log_err = log.try_clone().map_err(|e| BridgeError::OwnerStart(e.to_string()))?;
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).stdin(Stdio::null()).stdout(log).stderr(log_err);
        detach(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| BridgeError::OwnerStart(format!("{}: {e}", program.display())))?;
        tracing::info!("started the WhatsApp-Use owner in the background");
        Ok(child)
    }

    async fn close(&self) {
        let session = self.state.lock().session.clone();
        if session.is_some() {
            let _ = self
                .http
                .delete(self.url())
                .headers(self.headers(true))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
        }
        if let Some(h) = self.state.lock().get_stream.take() {
            h.abort();
        }
    }
}

/// The owner outlives the client that started it (its own process group / no console).
fn detach(cmd: &mut std::process::Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        cmd.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
    }
}

/// Runs the bridge until stdin closes.
pub async fn run<R, W>(cfg: BridgeConfig, input: R, mut output: W) -> Result<(), BridgeError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    if cfg.api_key.trim().is_empty() {
        return Err(BridgeError::NoKey);
    }
    let (out_tx, mut out_rx) = mpsc::channel::<String>(256);
    let writer = tokio::spawn(async move {
        while let Some(line) = out_rx.recv().await {
            if output.write_all(line.as_bytes()).await.is_err()
                || output.write_all(b"\n").await.is_err()
                || output.flush().await.is_err()
            {
                break;
            }
        }
    });
    // A fresh loopback connection per request: if the owner died, the next request
    // fails to connect (safe to retry) instead of failing half-sent on a stale one.
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .connect_timeout(Duration::from_secs(3))
        .build()
        .map_err(|e| BridgeError::OwnerStart(e.to_string()))?;
    let bridge = Arc::new(Bridge {
        http,
        state: Mutex::new(State {
            port: cfg.port,
            session: None,
            protocol: None,
            initialize: None,
            initialized_sent: false,
            get_stream: None,
            last_event_id: None,
        }),
        cfg,
        out: out_tx,
    });
    bridge.ensure_owner().await?;

    let mut lines = BufReader::new(input).lines();
    let mut tasks = tokio::task::JoinSet::new();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let msg: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                bridge
                    .emit(rpc_error(&Value::Null, -32700, &format!("parse error: {e}")))
                    .await;
                continue;
            }
        };
        match msg.get("method").and_then(Value::as_str) {
            // The handshake goes first and alone, so the session exists for what follows.
            Some("initialize") => {
                bridge.state.lock().initialize = Some(msg.clone());
                bridge.forward(msg).await;
            }
            Some("notifications/initialized") => bridge.forward(msg).await,
            _ => {
                let b = bridge.clone();
                tasks.spawn(async move { b.forward(msg).await });
            }
        }
        while tasks.try_join_next().is_some() {}
    }
    // Let calls in flight finish (briefly), then end the session.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    bridge.close().await;
    drop(bridge);
    let _ = writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::SseParser;

    #[test]
    fn parses_events_across_chunks() {
        let mut p = SseParser::default();
        assert!(p.feed(b"id: 1\ndata: {\"a\":").is_empty());
        let ev = p.feed(b"1}\n\nretry: 3000\n\ndata: x\r\ndata: y\r\n\r\n");
        assert_eq!(
            ev,
            vec![
                (Some("1".into()), "{\"a\":1}".into()),
                (Some("1".into()), "x\ny".into())
            ]
        );
    }
}
