//! The audit log of tool calls: who called what, with which arguments (message
//! bodies redacted by default), how it ended and how long it took. Written in the
//! background in batches, so auditing never slows a call down.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::ids::KeyId;
use crate::store::{self, settings, Store};
use crate::time::Millis;

/// Setting: keep message bodies in the audit log (off by default).
pub const BODIES_SETTING: &str = "audit_bodies";
/// Argument names whose values are other people's or the user's words.
const BODY_FIELDS: &[&str] = &["text", "caption", "base64", "vcard", "about", "description", "content"];
const QUEUE: usize = 10_000;

pub struct Entry {
    pub at: Millis,
    pub key_id: KeyId,
    pub key_name: String,
    pub tool: String,
    pub args: Value,
    pub outcome: String,
    pub duration_ms: i64,
}

#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Entry>,
    /// Calls as they happen, for the window (bodies redacted like the log).
    live: tokio::sync::broadcast::Sender<std::sync::Arc<crate::store::audit::AuditEntry>>,
}

impl AuditLog {
    pub fn start(store: Store, shutdown: CancellationToken) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(store, rx, shutdown));
        let (live, _) = tokio::sync::broadcast::channel(256);
        Self { tx, live }
    }

    /// Queues an entry; if the writer is far behind, the entry is dropped and logged.
    pub fn record(&self, entry: Entry) {
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(std::sync::Arc::new(crate::store::audit::AuditEntry {
                seq: 0,
                at: entry.at,
                key_id: Some(entry.key_id.clone()),
                key_name: Some(entry.key_name.clone()),
                tool: entry.tool.clone(),
                args: redact(&entry.args),
                outcome: entry.outcome.clone(),
                duration_ms: entry.duration_ms,
            }));
        }
        if self.tx.try_send(entry).is_err() {
            tracing::warn!("audit queue full; an entry was dropped");
        }
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<crate::store::audit::AuditEntry>> {
        self.live.subscribe()
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Entry>, shutdown: CancellationToken) {
    let mut batch = Vec::new();
    loop {
        let first = tokio::select! {
            e = rx.recv() => e,
            () = shutdown.cancelled() => None,
        };
        let Some(first) = first else { break };
        batch.push(first);
        // Gather what else is waiting (briefly), then write it in one transaction.
        let deadline = tokio::time::Instant::now() + Duration::from_millis(50);
        while batch.len() < 500 {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(e)) => batch.push(e),
                _ => break,
            }
        }
        flush(&store, &mut batch).await;
    }
    while let Ok(e) = rx.try_recv() {
        batch.push(e);
    }
    flush(&store, &mut batch).await;
}

async fn flush(store: &Store, batch: &mut Vec<Entry>) {
    if batch.is_empty() {
        return;
    }
    let entries = std::mem::take(batch);
    let store = store.clone();
    let written = tokio::task::spawn_blocking(move || {
        let keep_bodies = store
            .read(|c| settings::get::<bool>(c, BODIES_SETTING))
            .ok()
            .flatten()
            .unwrap_or(false);
        store.write(|tx| {
            for e in &entries {
                let args = if keep_bodies { e.args.clone() } else { redact(&e.args) };
                store::audit::append(
                    tx,
                    e.at,
                    &e.key_id,
                    &e.key_name,
                    &e.tool,
                    &args,
                    &e.outcome,
                    e.duration_ms,
                )?;
            }
            Ok(())
        })
    })
    .await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "could not write the audit log"),
        Err(e) => tracing::error!(error = %e, "audit writer failed"),
    }
}

/// Replaces message bodies (at any depth) with their length.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if BODY_FIELDS.contains(&k.as_str()) => {
                            Value::String(format!("[redacted: {} characters]", s.chars().count()))
                        }
                        other => redact(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;
    use serde_json::json;

    #[test]
    fn bodies_are_redacted_ids_kept() {
        let args = json!({ "chat": "+14155550199", "text": "my secret", "location": { "name": "Home" },
                           "contact": { "vcard": "BEGIN:VCARD…" }, "list": [{ "caption": "hi" }] });
        let r = redact(&args);
        assert_eq!(r["chat"], "+14155550199");
        assert_eq!(r["text"], "[redacted: 9 characters]");
        assert_eq!(r["location"]["name"], "Home");
        assert_eq!(r["contact"]["vcard"], "[redacted: 12 characters]");
        assert_eq!(r["list"][0]["caption"], "[redacted: 2 characters]");
        assert!(!r.to_string().contains("secret"));
    }
}
