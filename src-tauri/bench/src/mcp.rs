//! A minimal MCP client over streamable HTTP, as lean as a client can be, so the
//! numbers show the server's cost: one reused connection pool, JSON-RPC in, the
//! result (JSON or a one-event SSE stream) out.

use anyhow::{bail, Context};
use futures::StreamExt;
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Mcp {
    http: reqwest::Client,
    url: String,
    key: String,
    session: Option<String>,
}

const PROTOCOL: &str = "2025-06-18";

impl Mcp {
    pub async fn connect(http: &reqwest::Client, url: &str, key: &str) -> anyhow::Result<Self> {
        let mut c = Self {
            http: http.clone(),
            url: url.to_owned(),
            key: key.to_owned(),
            session: None,
        };
        let init = json!({"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "wuse-bench", "version": "1"}});
        c.request("initialize", init).await?;
        c.notify("notifications/initialized").await?;
        Ok(c)
    }

    fn post(&self, body: &Value) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .post(&self.url)
            .bearer_auth(&self.key)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", PROTOCOL)
            .json(body);
        if let Some(s) = &self.session {
            r = r.header("Mcp-Session-Id", s);
        }
        r
    }

    async fn notify(&self, method: &str) -> anyhow::Result<()> {
        self.post(&json!({"jsonrpc": "2.0", "method": method})).send().await?;
        Ok(())
    }

    pub async fn request(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        let res = self
            .post(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .send()
            .await
            .with_context(|| format!("{method}: no answer"))?;
        if let Some(s) = res.headers().get("mcp-session-id") {
            self.session = Some(s.to_str()?.to_owned());
        }
        let status = res.status();
        let sse = res
            .headers()
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let text = res.text().await?;
        if !status.is_success() {
            bail!("{method}: HTTP {status}: {text}");
        }
        let msg: Value = if sse {
            text.lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
                .find(|v| v.get("id").is_some())
                .context("no response in the event stream")?
        } else {
            serde_json::from_str(&text)?
        };
        if let Some(e) = msg.get("error") {
            bail!("{method}: {e}");
        }
        Ok(msg["result"].clone())
    }

    /// Calls a tool; its structured result, or an error with the tool's error body.
    pub async fn call(&mut self, tool: &str, args: Value) -> anyhow::Result<Value> {
        let r = self
            .request("tools/call", json!({"name": tool, "arguments": args}))
            .await?;
        if r["isError"] == true {
            bail!("{tool}: {}", r["structuredContent"]);
        }
        Ok(r["structuredContent"].clone())
    }

    /// The session's notification stream (the GET stream of streamable HTTP): calls
    /// `each` with every JSON-RPC notification until it returns false.
    pub async fn listen(&self, mut each: impl FnMut(&Value) -> bool) -> anyhow::Result<()> {
        let mut r = self
            .http
            .get(&self.url)
            .bearer_auth(&self.key)
            .header("Accept", "text/event-stream")
            .header("MCP-Protocol-Version", PROTOCOL);
        if let Some(s) = &self.session {
            r = r.header("Mcp-Session-Id", s);
        }
        let mut stream = r.send().await?.error_for_status()?.bytes_stream();
        let mut buf = String::new();
        while let Some(chunk) = stream.next().await {
            buf.push_str(&String::from_utf8_lossy(&chunk?));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                for data in event.lines().filter_map(|l| l.strip_prefix("data:")) {
                    if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                        if !each(&v) {
                            return Ok(());
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
