//! Live fan-out of committed events. Bounded: a subscriber that falls behind is told
//! how many events it missed (and can page them from the log); it never slows the
//! engine or other subscribers.

use std::sync::Arc;

use rusqlite::Transaction;
use serde_json::Value;
use tokio::sync::broadcast;

use super::{Event, EventType};
use crate::ids::{AccountId, ChatId};
use crate::store::{self, Store, StoreResult};
use crate::time::{now_ms, Millis};

/// How many events a live subscriber may lag behind before it is told it missed some.
pub const DEFAULT_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Self { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Runs `f` in one write transaction; the events it emits are logged in that same
    /// transaction and published only once it commits, in log order.
    pub fn write<T>(
        &self,
        store: &Store,
        f: impl FnOnce(&Transaction<'_>, &mut Emitter) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let emitter = std::cell::RefCell::new(Emitter::default());
        store.write_then(
            |tx| f(tx, &mut emitter.borrow_mut()),
            || {
                for event in emitter.borrow_mut().events.drain(..) {
                    // No receivers is fine: the log has it.
                    let _ = self.tx.send(Arc::new(event));
                }
            },
        )
    }
}

/// Collects the events of one write transaction.
#[derive(Default)]
pub struct Emitter {
    events: Vec<Event>,
}

impl Emitter {
    pub fn emit(
        &mut self,
        tx: &Transaction<'_>,
        kind: EventType,
        account: &AccountId,
        chat: Option<&ChatId>,
        occurred_at: Millis,
        data: Value,
    ) -> StoreResult<()> {
        let event = store::events::append(tx, kind, account, chat, occurred_at, now_ms(), data)?;
        self.events.push(event);
        Ok(())
    }
}
