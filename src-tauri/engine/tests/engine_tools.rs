//! Tools through the one pipeline, headless (no HTTP, no window), on the sandbox:
//! what the store and the event stream say afterwards.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wuse_engine::events::EventType;
use wuse_engine::keys::Principal;
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::tools::{self, CallOutcome, Caller};
use wuse_engine::Engine;

struct Fixture {
    engine: Arc<Engine>,
    principal: Principal,
    _dir: tempfile::TempDir,
}

async fn engine() -> Fixture {
    let ready = common::ready_engine().await;
    let principal = ready.engine.keys.verify(&ready.boot.test_key).unwrap();
    assert_eq!(principal.mode, KeyMode::Test);
    Fixture {
        engine: ready.engine,
        principal,
        _dir: ready.dir,
    }
}

async fn call(f: &Fixture, tool: &str, args: Value) -> Result<Value, Value> {
    match tools::call(&f.engine, &f.principal, tool, args, Caller::default()).await {
        CallOutcome::Done(out) => Ok(out.value),
        CallOutcome::Failed(e) => Err(serde_json::to_value(e).unwrap()),
        CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => {
            panic!("{tool}: no result (unknown tool, or input required)")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_is_stored_and_announced_then_the_answer_arrives() {
    let f = engine().await;
    let mut events = f.engine.bus.subscribe();
    let sent = call(
        &f,
        "send_message",
        json!({ "chat": "+14155550199", "text": "ping from the engine" }),
    )
    .await
    .unwrap();
    let message = &sent["message"];
    let id = message["id"].as_str().unwrap().to_owned();

    // The store has it, exactly as returned.
    let stored = call(&f, "get_message", json!({ "message_id": id })).await.unwrap();
    assert_eq!(stored["message"]["text"], "ping from the engine");
    assert_eq!(stored["message"]["from_me"], true);

    // message.sent first, with the same message object; then the echo.
    let mut saw_sent = false;
    let mut reply = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while reply.is_none() {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("events in time")
            .unwrap();
        match e.kind {
            EventType::MessageSent => {
                assert_eq!(e.data["message"]["id"], id.as_str());
                assert_eq!(e.chat_id.as_ref().map(|c| c.as_str()), message["chat_id"].as_str());
                saw_sent = true;
            }
            EventType::MessageReceived => reply = Some(e),
            _ => {}
        }
    }
    assert!(saw_sent);
    let reply = reply.unwrap();
    assert_eq!(reply.data["message"]["text"], "ping from the engine");
    assert_eq!(reply.data["message"]["sender"]["name"], "Echo Bot");
    assert!(reply.id.starts_with("evt_") && reply.received_at >= reply.occurred_at - 1000);

    // Both are in the durable log, in order.
    let logged = f
        .engine
        .store
        .read(|c| {
            wuse_engine::store::events::list(
                c,
                &wuse_engine::store::events::EventQuery {
                    accounts: std::slice::from_ref(&reply.account_id),
                    after: 0,
                    types: None,
                    chats: None,
                    limit: 1000,
                },
            )
        })
        .unwrap();
    let kinds: Vec<EventType> = logged.iter().map(|e| e.kind).collect();
    let sent_at = kinds.iter().position(|k| *k == EventType::MessageSent).unwrap();
    let received_at = kinds.iter().rposition(|k| *k == EventType::MessageReceived).unwrap();
    assert!(sent_at < received_at);
    f.engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_changes_nothing() {
    let f = engine().await;
    let count = |f: &Fixture| {
        f.engine
            .store
            .read(|c| Ok(c.query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0))?))
            .unwrap()
    };
    let before = count(&f);
    for (tool, args) in [
        ("send_message", json!({ "chat": "+14155550199" })),
        ("send_message", json!({ "chat": "+1", "text": "x" })),
        (
            "send_message",
            json!({ "chat": "+14155550199", "text": "x", "reply_to": "msg_0000000000000000" }),
        ),
        (
            "forward_message",
            json!({ "message_id": "msg_0000000000000000", "to": ["+14155550199"] }),
        ),
        (
            "edit_message",
            json!({ "message_id": "msg_0000000000000000", "text": "y" }),
        ),
    ] {
        let err = call(&f, tool, args).await.unwrap_err();
        assert!(
            ["invalid_request", "not_found"].contains(&err["code"].as_str().unwrap()),
            "{err}"
        );
    }
    assert_eq!(count(&f), before);
    f.engine.shutdown().await;
}

/// The sandbox phone keeps older history than it pushed at the link, and media whose
/// CDN copy expired, as a real phone does: agent developers can build on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_phone_sends_older_history_and_uploads_expired_media_again() {
    let f = engine().await;
    let chats = call(&f, "list_chats", json!({ "limit": 200 })).await.unwrap();
    let chat = chats["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "direct")
        .expect("a 1:1 chat")["id"]
        .clone();
    let page = call(&f, "list_messages", json!({ "chat": chat, "limit": 200 }))
        .await
        .unwrap();
    assert_eq!(page["older_on_phone"], true, "{page}");
    let pushed = page["messages"].as_array().unwrap().len();
    let oldest_pushed = page["messages"][0]["timestamp"].as_str().unwrap().to_owned();

    let mut fetched = 0;
    for call_no in 1.. {
        assert!(call_no <= 5, "a sandbox chat keeps at most 240 older messages");
        let out = call(&f, "fetch_older_messages", json!({ "chat": chat, "count": 100 }))
            .await
            .unwrap();
        let got = out["messages"].as_array().unwrap();
        assert!(got
            .iter()
            .all(|m| m["timestamp"].as_str().unwrap() < oldest_pushed.as_str()));
        fetched += got.len();
        if out["complete"] == true {
            break;
        }
    }
    assert!(fetched >= 40, "{fetched}");
    let mut total = 0;
    let mut cursor = Value::Null;
    let last = loop {
        let page = call(
            &f,
            "list_messages",
            json!({ "chat": chat, "limit": 200, "cursor": cursor }),
        )
        .await
        .unwrap();
        total += page["messages"].as_array().unwrap().len();
        if page["next_cursor"].is_null() {
            break page;
        }
        cursor = page["next_cursor"].clone();
    };
    assert_eq!(total, pushed + fetched, "every older message once");
    assert_eq!(last["older_on_phone"], false);

    // Media older than the CDN keeps: uploaded again by the phone, or gone from it too.
    let old_media: Vec<String> = f
        .engine
        .store
        .read(|c| {
            let mut st = c.prepare("SELECT id FROM messages WHERE data LIKE '%?expired%' LIMIT 40")?;
            let rows = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .unwrap();
    assert!(old_media.len() >= 10, "{old_media:?}");
    let (mut back, mut gone) = (0, 0);
    for id in &old_media {
        match call(&f, "download_media", json!({ "message_id": id, "as": "url" })).await {
            Ok(_) => back += 1,
            Err(e) => {
                assert_eq!(e["code"], "media_expired", "{e}");
                assert!(e["message"].as_str().unwrap().contains(id.as_str()), "{e}");
                gone += 1;
            }
        }
    }
    assert!(back > 0 && gone > 0, "{back} uploaded again, {gone} gone");
}
