//! Carries a client's events to the engine, in order and without loss: the
//! library hands each event to a synchronous callback, which only queues it; one
//! task per client converts and delivers them. History payloads are inflated off
//! the async workers, and a new group's metadata is queried before it is reported.
//!
//! Messages take a stricter path ([`Durable`]): WhatsApp is told a message arrived
//! only once it is in our store, so a crash in between costs a redelivery, not the
//! message.

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
    /// Server acks go straight to the sends waiting for them.
    acks: Arc<super::acks::Acks>,
}

impl Forwarder {
    pub fn new(acks: Arc<super::acks::Acks>) -> (Self, mpsc::UnboundedReceiver<Arc<Event>>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self { tx, acks }, rx)
    }
}

impl EventHandler for Forwarder {
    fn handle_event(&self, event: Arc<Event>) {
        if let Event::ServerAck(ack) = &*event {
            self.acks.resolve(ack);
        }
        let _ = self.tx.send(event);
    }
}

/// The library's inbound-durability hook: each batch of decrypted messages is
/// stored before the library acknowledges it to WhatsApp (on `Err` WhatsApp
/// delivers it again; storing is idempotent, keyed by the message).
pub struct Durable {
    pub sink: EventSink,
}

#[async_trait::async_trait]
impl whatsapp_rust::InboundDurabilityHook for Durable {
    async fn on_messages(
        &self,
        client: Arc<Client>,
        batch: &[whatsapp_rust::types::events::InboundMessage],
    ) -> anyhow::Result<()> {
        self.store(&me(&client), batch).await
    }
}

impl Durable {
    async fn store(&self, me: &Me, batch: &[whatsapp_rust::types::events::InboundMessage]) -> anyhow::Result<()> {
        let events = batch
            .iter()
            .flat_map(|m| convert::inbound::live(&m.message, &m.info, me))
            .collect();
        if self.sink.emit_stored(events).await {
            Ok(())
        } else {
            anyhow::bail!("the messages could not be stored; WhatsApp will deliver them again")
        }
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
    // Right after a scan the library reconnects (515) while it still finishes the
    // pairing, and may report Connected before PairSuccess: an account is paired
    // before it is connected, so Connected waits for it.
    let mut paired = client.upgrade().is_some_and(|c| c.pn().is_some());
    tokio::spawn(async move {
        let mut held: Option<Arc<Event>> = None;
        while let Some(event) = rx.recv().await {
            let Some(client) = client.upgrade() else { break };
            let mut next = vec![event];
            match &*next[0] {
                Event::Connected(_) if !paired => {
                    held = next.pop();
                    continue;
                }
                Event::PairSuccess(_) => {
                    paired = true;
                    next.extend(held.take());
                }
                _ => {}
            }
            for event in next {
                if !deliver(&client, &event, &sink).await {
                    return;
                }
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
            let chunk = history::chunk(&lazy);
            match tokio::task::spawn_blocking(move || lazy.get().map(|h| history::batch(h, &me))).await {
                Ok(Some(batch)) => vec![WaEvent::History(HistoryBatch {
                    chunk: Some(chunk),
                    ..batch
                })],
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
        // Stored already, by `Durable`, before the library acknowledged them.
        Event::Messages(batch) if batch.hook_committed => vec![],
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
            // Fresh from the server: live news, not the past.
            let mut batch = HistoryBatch {
                as_of: crate::time::now_ms(),
                current: true,
                ..Default::default()
            };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::AccountId;
    use whatsapp_rust::types::events::InboundMessage;
    use whatsapp_rust::types::message::{MessageInfo, MessageSource};
    use whatsapp_rust::waproto::whatsapp as wa;

    fn inbound(id: &str) -> InboundMessage {
        let info = MessageInfo {
            source: MessageSource {
                chat: "555@lid".parse().unwrap(),
                sender: "555@lid".parse().unwrap(),
                sender_alt: Some("14155550100@s.whatsapp.net".parse().unwrap()),
                ..Default::default()
            },
            id: id.into(),
            ..Default::default()
        };
        let message = wa::Message {
            conversation: Some("hi".into()),
            ..Default::default()
        };
        InboundMessage::builder()
            .message(Arc::new(message))
            .info(Arc::new(info))
            .build()
    }

    /// The hook answers the library only after the engine said the batch is stored.
    #[tokio::test]
    async fn a_batch_is_acknowledged_only_once_stored() {
        let (sink, mut rx) = EventSink::channel(AccountId::random(), 16);
        let hook = Durable { sink };
        for (answer, ok) in [(true, true), (false, false)] {
            let engine = tokio::spawn(async move {
                let mut seen = Vec::new();
                while let Some(d) = rx.recv().await {
                    seen.push(d.event);
                    if let Some(stored) = d.stored {
                        let _ = stored.send(answer);
                        break;
                    }
                }
                (rx, seen)
            });
            let result = hook.store(&Me::default(), &[inbound("M1"), inbound("M2")]).await;
            assert_eq!(result.is_ok(), ok);
            let (back, seen) = engine.await.unwrap();
            rx = back;
            // Each message after the link its addressing revealed.
            assert!(matches!(
                seen[..],
                [
                    WaEvent::IdentityLink { .. },
                    WaEvent::Message(_),
                    WaEvent::IdentityLink { .. },
                    WaEvent::Message(_)
                ]
            ));
        }
        // The engine gone: not acknowledged.
        drop(rx);
        assert!(hook.store(&Me::default(), &[inbound("M3")]).await.is_err());
    }
}
