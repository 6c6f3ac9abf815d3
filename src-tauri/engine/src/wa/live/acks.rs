//! The server's answer to each message we send. whatsapp-rust 0.7.0 returns `Ok`
//! from a send the server then refuses (a nack; fixed upstream after 0.7.0), so
//! a send waits here, bounded, for the ack of its message ID: a nack becomes
//! `send_failed` with the server's code instead of a message that says "sent".

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;
use whatsapp_rust::types::events::ServerAck;

/// How long a send waits for the server's ack. WhatsApp answers in well under a
/// second; with no answer by then the message counts as sent, as before.
pub const ACK_WAIT: Duration = Duration::from_secs(10);

/// `None`: acknowledged; `Some(code)`: refused with that code.
pub type Answer = Option<String>;

#[derive(Default)]
pub struct Acks {
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
}

impl Acks {
    /// Registers interest in the ack of `id` (before the message goes out).
    pub fn expect(&self, id: &str) -> oneshot::Receiver<Answer> {
        let (tx, rx) = oneshot::channel();
        self.waiting.lock().insert(id.to_owned(), tx);
        rx
    }

    pub fn forget(&self, id: &str) {
        self.waiting.lock().remove(id);
    }

    /// A server ack arrived (called from the library's event callback).
    pub fn resolve(&self, ack: &ServerAck) {
        if ack.class.as_deref().is_some_and(|c| c != "message") {
            return;
        }
        if let Some(tx) = self.waiting.lock().remove(&ack.id) {
            let _ = tx.send(ack.error.clone());
        }
    }

    /// Waits for the answer to a message that went out; `None` when the server
    /// said nothing in time (the send stands).
    pub async fn wait(&self, id: &str, answer: oneshot::Receiver<Answer>) -> Option<Answer> {
        let got = tokio::time::timeout(ACK_WAIT, answer).await.ok().and_then(Result::ok);
        if got.is_none() {
            self.forget(id);
            tracing::debug!(%id, "no server ack in time; counting the message as sent");
        }
        got
    }
}
