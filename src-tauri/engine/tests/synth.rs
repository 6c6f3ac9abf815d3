//! The benchmark's synthetic history: written through ingest, searchable, planted
//! words at their rates, and writing it again adds nothing.

mod common;

use wuse_engine::events::EventBus;
use wuse_engine::ingest::Ingest;
use wuse_engine::store::search::{fts_query, search, SearchQuery};
use wuse_engine::wa::sandbox::synth::{generate, SynthSpec, PHRASE, RARE_WORD};
use wuse_engine::wa::Jid;

#[tokio::test(flavor = "multi_thread")]
async fn synthetic_history_lands_once_and_is_searchable() {
    let common::Ready {
        engine,
        account,
        dir: _dir,
        ..
    } = common::ready_engine().await;
    let me = Jid::from_phone(account.phone.as_ref().unwrap());
    let ingest = Ingest {
        store: engine.store.clone(),
        bus: EventBus::with_capacity(16),
        presence: engine.presence.clone(),
    };
    let count = |sql: &str| {
        engine
            .store
            .read(|c| Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))?))
            .unwrap()
    };
    let before = count("SELECT count(*) FROM messages");
    let spec = SynthSpec {
        messages: 12_000,
        chats: None,
        seed: 1,
    };
    let mut seen = Vec::new();
    let report = generate(&ingest, &account.id, &me, &spec, |n| seen.push(n)).unwrap();
    assert_eq!((report.messages, report.new, report.chats), (12_000, 12_000, 50));
    assert_eq!(seen, vec![10_000, 12_000], "progress per batch");
    assert_eq!(count("SELECT count(*) FROM messages") - before, 12_000);
    assert!(count("SELECT count(DISTINCT chat_id) FROM messages WHERE wa_id LIKE 'SYN%'") > 40);
    assert!(count("SELECT count(*) FROM messages WHERE wa_id LIKE 'SYN%' AND type <> 'text'") > 300);
    assert!(count("SELECT count(*) FROM reactions") > 100);
    // Like a phone's history sync: conversation after conversation (each chat's
    // messages in one run), each oldest first.
    let runs = count(
        "SELECT count(*) FROM (SELECT chat_id, lag(chat_id) OVER (ORDER BY seq) AS prev
         FROM messages WHERE wa_id LIKE 'SYN%') WHERE prev IS NOT chat_id",
    );
    assert_eq!(
        runs,
        count("SELECT count(DISTINCT chat_id) FROM messages WHERE wa_id LIKE 'SYN%'")
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT chat_id, ts, lag(ts) OVER (PARTITION BY chat_id ORDER BY seq) AS prev
             FROM messages WHERE wa_id LIKE 'SYN%') WHERE ts < prev"
        ),
        0
    );
    // Replies and reactions point at messages of their own chat.
    assert_eq!(
        count(
            "SELECT count(*) FROM messages m JOIN messages t ON t.id = m.reply_to_id
             WHERE m.wa_id LIKE 'SYN%' AND t.chat_id <> m.chat_id"
        ),
        0
    );
    assert!(count("SELECT count(*) FROM messages WHERE wa_id LIKE 'SYN%' AND reply_to_id IS NOT NULL") > 100);

    let accounts = [account.id.clone()];
    let q = SearchQuery {
        accounts: &accounts,
        limit: 100,
        ..Default::default()
    };
    let hits = |text: &str| {
        let fts = fts_query(text).unwrap();
        engine.store.read(|c| search(c, &fts, &q)).unwrap().len()
    };
    assert_eq!(hits(RARE_WORD), 20);
    assert_eq!(hits(&format!("\"{PHRASE}\"")), 12_000 / 500);

    // The same seed again: the same messages, nothing new.
    let again = generate(&ingest, &account.id, &me, &spec, |_| {}).unwrap();
    assert_eq!(again.new, 0);
    engine.shutdown().await;
}
