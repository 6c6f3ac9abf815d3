//! A companion asks the phone for older messages (the library's own
//! `fetch_message_history`, a peer data operation), and the phone answers with
//! an ON_DEMAND history chunk on the CDN that names the request.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::Notify;
use whatsapp_rust::bot::Bot;
use whatsapp_rust::types::events::{Event, EventHandler};
use whatsapp_rust::wacore::store::in_memory::InMemoryBackend;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;
use wuse_loopback::history::HistoryChat;
use wuse_loopback::Network;

#[derive(Default)]
struct Seen {
    qr: Mutex<Option<String>>,
    connected: Mutex<bool>,
    history: Mutex<Vec<wa::HistorySync>>,
    changed: Notify,
}

struct Companion(Arc<Seen>);

impl EventHandler for Companion {
    fn handle_event(&self, event: Arc<Event>) {
        match &*event {
            Event::PairingQrCode(q) => *self.0.qr.lock() = Some(q.code.clone()),
            Event::Connected(_) => *self.0.connected.lock() = true,
            Event::HistorySync(lazy) => {
                if let Some(h) = lazy.get() {
                    self.0.history.lock().push(h.clone());
                }
            }
            _ => return,
        }
        self.0.changed.notify_waiters();
    }
}

async fn until(seen: &Seen, what: &str, done: impl Fn(&Seen) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let notified = seen.changed.notified();
        if done(seen) {
            return;
        }
        assert!(
            tokio::time::timeout_at(deadline, notified).await.is_ok() || done(seen),
            "timed out waiting for {what}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_answers_a_request_for_older_messages() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("WUSE_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
    let net = Network::new(1);
    // The CDN (the chunk travels there); the devices connect in process.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(wuse_loopback::http::serve_on(net.clone(), listener));
    while net.http_addr().is_none() {
        tokio::task::yield_now().await;
    }
    let ana = net.add_person("15550001", "Ana").await.unwrap();
    net.add_person("15550002", "Bob").await.unwrap();
    let old: HistoryChat = serde_json::from_value(serde_json::json!({
        "with": "+15550002",
        "messages": [
            { "from_me": false, "text": "oldest", "ts": 1_600_000_000 },
            { "from_me": true, "text": "older", "ts": 1_600_000_100 },
            { "from_me": false, "text": "old", "ts": 1_600_000_200 },
            { "from_me": false, "text": "newer than asked", "ts": 1_700_000_000 },
        ],
    }))
    .unwrap();
    ana.keep_for_on_demand(vec![old]);

    let seen = Arc::new(Seen::default());
    let bot = Bot::builder()
        .with_backend(InMemoryBackend::new())
        .with_transport_factory(net.clone())
        .with_http_client(wuse_loopback::cdn::LoopbackHttp::default())
        .with_event_handler(Companion(seen.clone()))
        .with_version((2, 3000, 1_000_000_000))
        .build()
        .await
        .unwrap();
    let client = bot.client();
    let _running = bot.spawn();
    until(&seen, "a QR code", |s| s.qr.lock().is_some()).await;
    let qr = seen.qr.lock().clone().unwrap();
    net.link(&qr, "15550001").await.unwrap();
    until(&seen, "the link", |s| *s.connected.lock()).await;
    // The bootstrap (empty here) comes first.
    until(&seen, "the bootstrap", |s| !s.history.lock().is_empty()).await;

    let request = client
        .fetch_message_history(&Jid::pn("15550002"), "NEWEST", false, 1_650_000_000_000, 2)
        .await
        .unwrap();
    until(&seen, "the on-demand chunk", |s| {
        s.history
            .lock()
            .iter()
            .any(|h| h.sync_type == wa::history_sync::HistorySyncType::ON_DEMAND)
    })
    .await;
    let chunk = seen
        .history
        .lock()
        .iter()
        .find(|h| h.sync_type == wa::history_sync::HistorySyncType::ON_DEMAND)
        .cloned()
        .unwrap();
    let texts: Vec<String> = chunk.conversations[0]
        .messages
        .iter()
        .filter_map(|m| m.message.as_option()?.message.as_option()?.conversation.clone())
        .collect();
    assert_eq!(
        texts,
        ["older", "old"],
        "the two newest before the date asked, oldest first"
    );
    assert!(
        net.media_paths().iter().any(|p| p.contains("md-msg-hist")),
        "it came through the CDN"
    );
    assert!(!request.is_empty());
}
