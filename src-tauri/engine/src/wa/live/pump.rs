//! Carries a client's events to the engine, in order and without loss: the
//! library hands each event to a synchronous callback, which only queues it; one
//! task per client converts and delivers them. History payloads are inflated off
//! the async workers, and a new group's metadata is queried before it is reported.

use std::sync::{Arc, Weak};

use tokio::sync::mpsc;
use whatsapp_rust::types::events::{Event, EventHandler};
use whatsapp_rust::Client;

use super::convert::{self, events, groups, history, Me};
use crate::wa::{EventSink, HistoryBatch, WaEvent};

/// The library-side end: queues every event (unbounded, so the library's receive
/// loop never waits on the engine and never drops).
pub struct Forwarder {
    tx: mpsc::UnboundedSender<Arc<Event>>,
}

impl Forwarder {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Arc<Event>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx }, rx)
    }
}

impl EventHandler for Forwarder {
    fn handle_event(&self, event: Arc<Event>) {
        let _ = self.tx.send(event);
    }
}

/// This account's addresses as the client knows them now.
pub fn me(client: &Client) -> Me {
    Me {
        pn: client.pn().as_ref().and_then(convert::jid),
        lid: client.lid().as_ref().and_then(convert::jid),
    }
}

/// Runs until the client is gone or the engine stops listening.
pub fn spawn(mut rx: mpsc::UnboundedReceiver<Arc<Event>>, client: Weak<Client>, sink: EventSink) {
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let Some(client) = client.upgrade() else { break };
            if !deliver(&client, &event, &sink).await {
                break;
            }
        }
    });
}

async fn deliver(client: &Arc<Client>, event: &Event, sink: &EventSink) -> bool {
    let me = me(client);
    let out = match event {
        Event::HistorySync(lazy) => {
            let lazy = (**lazy).clone();
            let me = me.clone();
            match tokio::task::spawn_blocking(move || lazy.get().map(|h| history::batch(h, &me))).await {
                Ok(Some(batch)) => vec![WaEvent::History(batch)],
                Ok(None) => {
                    tracing::warn!(account = %sink.account, "a history sync payload could not be read; skipped");
                    vec![]
                }
                Err(e) => {
                    tracing::error!(account = %sink.account, error = %e, "reading a history sync payload failed");
                    vec![]
                }
            }
        }
        Event::Connected(_) => {
            let mut out = vec![WaEvent::Connected];
            // The groups this account is in, with members: chats the phone's
            // history may not have sent yet.
            out.extend(participating(client, sink).await);
            out
        }
        other => {
            let mut out = events::convert(other, &me);
            if let Some((group, by, ts)) = events::group_created(other) {
                match client.groups().get_metadata(&convert::lib_jid(&group)).await {
                    Ok(meta) => {
                        if let Some((g, links)) = groups::group(&meta) {
                            out.extend(links);
                            out.push(WaEvent::Group {
                                group: g,
                                created: true,
                                by,
                                ts,
                            });
                        }
                    }
                    Err(e) => {
                        tracing::warn!(account = %sink.account, error = %e, "could not read a new group's details")
                    }
                }
            }
            out
        }
    };
    for e in out {
        if !sink.emit(e).await {
            return false;
        }
    }
    true
}

/// Every group the account is in, as a page of history (it raises no events).
async fn participating(client: &Arc<Client>, sink: &EventSink) -> Vec<WaEvent> {
    match client.groups().get_participating().await {
        Ok(all) => {
            let mut batch = HistoryBatch::default();
            let mut links = Vec::new();
            for meta in all.values() {
                if let Some((g, l)) = groups::group(meta) {
                    batch.groups.push(g);
                    links.extend(l);
                }
            }
            links.push(WaEvent::History(batch));
            links
        }
        Err(e) => {
            tracing::warn!(account = %sink.account, error = %e, "could not list the account's groups");
            vec![]
        }
    }
}
