//! A live account linked on the loopback WhatsApp network, and what the tests
//! that use it share: calling tools as an agent, waiting for messages and events.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wuse_engine::config::EngineConfig;
use wuse_engine::ids::AccountId;
use wuse_engine::keys::Principal;
use wuse_engine::model::AccountStatus;
use wuse_engine::secrets::DbKey;
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::tools::{self, CallOutcome, Caller};
use wuse_engine::Engine;
use wuse_loopback::Network;

use super::{logs, over_websocket, serve};

pub const ANA: &str = "15550001";
pub const BOB: &str = "15550002";
pub const CONNECT: Duration = Duration::from_secs(45);
pub const ARRIVE: Duration = Duration::from_secs(15);

pub struct Linked {
    pub net: Network,
    pub engine: Arc<Engine>,
    pub live: Principal,
    pub account: String,
    _dir: tempfile::TempDir,
}

/// An engine whose live account Ana's phone linked by QR, connected; Bob exists too.
pub async fn linked() -> Linked {
    linked_with(|_| {}).await
}

/// As [`linked`], after `before_link` prepared Ana's phone (queued history, say).
pub async fn linked_with(before_link: impl FnOnce(&wuse_loopback::Phone)) -> Linked {
    linked_after(|_, ana| before_link(ana), |_| {}).await
}

/// As [`linked_with`] (given the network too), and `before_pair` prepared the
/// engine (a setting, say).
pub async fn linked_after(
    before_link: impl FnOnce(&Network, &wuse_loopback::Phone),
    before_pair: impl FnOnce(&Engine),
) -> Linked {
    logs();
    let net = Network::new(1);
    serve(&net).await;
    let ana = net.add_person(ANA, "Ana").await.unwrap();
    net.add_person(BOB, "Bob").await.unwrap();
    before_link(&net, &ana);
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.db_key = Some(DbKey::generate());
    config.bootstrap = false;
    config.live = over_websocket(&net);
    let engine = Engine::start(config).await.unwrap();
    before_pair(&engine);
    let (_, secret) = engine.keys.create(KeyMode::Live, Some("agent")).unwrap();
    let live = engine.keys.verify(&secret).unwrap();
    let (out, _) = call(&engine, &live, "pair_account", json!({ "label": "Ana's phone" }))
        .await
        .unwrap();
    let account = out["account"]["id"].as_str().unwrap().to_owned();
    let qr = out["account"]["pairing"]["qr"].as_str().unwrap();
    net.link(qr, ANA).await.unwrap();
    connected(&engine, &account).await;
    Linked {
        net,
        engine,
        live,
        account,
        _dir: dir,
    }
}

pub async fn call(engine: &Arc<Engine>, who: &Principal, tool: &str, args: Value) -> Result<(Value, usize), Value> {
    match tools::call(engine, who, tool, args, Caller::default()).await {
        CallOutcome::Done(out) => Ok((out.value, out.images.len())),
        CallOutcome::Failed(e) => Err(serde_json::to_value(e).unwrap()),
        CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => {
            panic!("{tool}: no result (unknown tool, or input required)")
        }
    }
}

/// The agent sends `text` to `chat` from the linked account.
pub async fn agent_says(l: &Linked, chat: &str, text: &str) -> Result<(Value, usize), Value> {
    call(
        &l.engine,
        &l.live,
        "send_message",
        json!({ "account_id": l.account, "chat": chat, "text": text }),
    )
    .await
}

/// Polls `list_messages` of a chat of the linked account until `done` accepts its messages.
pub async fn wait_messages(l: &Linked, chat: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    wait_in(l, &l.account, chat, done).await
}

/// The ID of the chat called `name`, once it exists.
pub async fn chat_named(l: &Linked, name: &str) -> String {
    chat_in(l, &l.account, name).await
}

/// The ID of `account`'s chat called `name`, once it exists.
pub async fn chat_in(l: &Linked, account: &str, name: &str) -> String {
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        let (chats, _) = call(&l.engine, &l.live, "list_chats", json!({ "account_id": account }))
            .await
            .unwrap();
        if let Some(c) = chats["chats"].as_array().unwrap().iter().find(|c| c["name"] == name) {
            return c["id"].as_str().unwrap().to_owned();
        }
        assert!(tokio::time::Instant::now() < deadline, "no chat {name}: {chats}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The account's first chat, once `want` holds for it.
pub async fn first_chat_until(l: &Linked, want: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        let (chats, _) = call(&l.engine, &l.live, "list_chats", json!({ "account_id": l.account }))
            .await
            .unwrap();
        let chat = chats["chats"].as_array().unwrap().first().cloned().unwrap_or_default();
        if want(&chat) {
            return chat;
        }
        assert!(tokio::time::Instant::now() < deadline, "{chat}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn events(l: &Linked, kind: &str) -> Vec<Value> {
    l.engine
        .store
        .read(|c| {
            let mut st = c.prepare("SELECT data FROM events WHERE account_id = ?1 AND type = ?2 ORDER BY seq")?;
            let rows = st
                .query_map([l.account.as_str(), kind], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|d| serde_json::from_str(&d).unwrap()).collect())
        })
        .unwrap()
}

pub const CAROL: &str = "15550003";

/// Bob wrote once and the agent answered: from now on Bob's phone sends plain
/// Signal messages (`msg`), whose MAC a flipped byte breaks. Bob's phone.
pub async fn session_answered(l: &Linked) -> Arc<wuse_loopback::Phone> {
    let bob = l.net.phone(BOB).unwrap();
    bob.send_text(&format!("+{ANA}"), "First, to open the session")
        .await
        .unwrap();
    wait_messages(l, &format!("+{BOB}"), |m| m.len() == 1).await;
    agent_says(l, &format!("+{BOB}"), "Hello").await.unwrap();
    bob.wait_message(ARRIVE, |m| m.text.as_deref() == Some("Hello"))
        .await
        .unwrap();
    bob
}

pub fn history(with: &str, messages: &[(bool, &str, u64)]) -> wuse_loopback::history::HistoryChat {
    serde_json::from_value(json!({
        "with": with,
        "messages": messages
            .iter()
            .map(|(from_me, text, ts)| json!({ "from_me": from_me, "text": text, "ts": ts }))
            .collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// Links a second live account in the same engine, as Bob's companion.
pub async fn link_second(l: &Linked, pn: &str, label: &str) -> String {
    let (out, _) = call(&l.engine, &l.live, "pair_account", json!({ "label": label }))
        .await
        .unwrap();
    let account = out["account"]["id"].as_str().unwrap().to_owned();
    l.net
        .link(out["account"]["pairing"]["qr"].as_str().unwrap(), pn)
        .await
        .unwrap();
    connected(&l.engine, &account).await;
    account
}

/// Waits until `account` is connected (after its phone scanned the QR).
async fn connected(engine: &Engine, account: &str) {
    let id = AccountId::parse(account).unwrap();
    let a = engine
        .accounts
        .wait_until(&id, CONNECT, |a| a.status == AccountStatus::Connected)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Connected, "{:?}", a.status_detail);
}

/// The messages of `account` in `chat`, once `done` accepts them.
pub async fn wait_in(l: &Linked, account: &str, chat: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        let got = call(
            &l.engine,
            &l.live,
            "list_messages",
            json!({ "account_id": account, "chat": chat }),
        )
        .await
        .map(|(v, _)| v["messages"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
        if done(&got) {
            return got;
        }
        if tokio::time::Instant::now() > deadline {
            let chats = call(&l.engine, &l.live, "list_chats", json!({ "account_id": account })).await;
            panic!("messages of {account} in {chat}: {got:?}; chats: {chats:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub fn events_of(l: &Linked, account: &str, kind: &str) -> Vec<Value> {
    l.engine
        .store
        .read(|c| {
            let mut st = c.prepare("SELECT data FROM events WHERE account_id = ?1 AND type = ?2 ORDER BY seq")?;
            let rows = st
                .query_map([account, kind], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|d| serde_json::from_str(&d).unwrap()).collect())
        })
        .unwrap()
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Polls `check` (a store read, say) until it gives `Some`.
pub async fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + ARRIVE;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A chat of Bob's with `n` messages, a minute apart, the newest an hour ago.
pub fn long_chat(n: u64) -> wuse_loopback::history::HistoryChat {
    let start = now_secs() - 3600 - n * 60;
    serde_json::from_value(json!({
        "with": format!("+{BOB}"),
        "messages": (0..n)
            .map(|i| json!({ "from_me": i % 3 == 0, "text": format!("Message {i}"), "ts": start + i * 60 }))
            .collect::<Vec<_>>(),
    }))
    .unwrap()
}

/// Bytes that look like no particular file: compared byte for byte after the trip.
pub fn sample(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}
