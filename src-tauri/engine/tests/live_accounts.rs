//! Live accounts end to end on the real `whatsapp-rust` client, against an
//! the loopback WhatsApp network (`wuse-loopback`), in process,: pairing by QR
//! (the phone "scans" the code the tool returned), the session kept in our
//! encrypted store across a restart, and the server's ways of ending a session
//! turned into account statuses and events. Tools go through the one pipeline
//! with a live key, as an agent's would.

mod loopback;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use wuse_engine::config::EngineConfig;
use wuse_engine::events::EventType;
use wuse_engine::ids::AccountId;
use wuse_engine::keys::Principal;
use wuse_engine::model::{Account, AccountStatus};
use wuse_engine::secrets::DbKey;
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::tools::{self, CallOutcome, Caller};
use wuse_engine::wa::live::SessionStore;
use wuse_engine::Engine;
use wuse_loopback::{Login, Network};

/// Right after pairing, the library waits 10 s for the phone's app-state keys
/// before its first sync; then it reports Connected.
const CONNECT: Duration = Duration::from_secs(45);

const PN: &str = "14155550111";
const LID: &str = "900111222";

async fn start(dir: &Path, key: &DbKey, wa: &Network) -> Arc<Engine> {
    loopback::logs();
    let mut config = EngineConfig::new(dir.to_path_buf());
    config.db_key = Some(key.clone());
    config.bootstrap = false;
    config.live = loopback::in_process(wa);
    Engine::start(config).await.unwrap()
}

fn acc(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}

fn live_key(engine: &Engine) -> Principal {
    let (_, secret) = engine.keys.create(KeyMode::Live, Some("agent")).unwrap();
    engine.keys.verify(&secret).unwrap()
}

async fn call(engine: &Arc<Engine>, who: &Principal, tool: &str, args: Value) -> Result<(Value, usize), Value> {
    match tools::call(engine, who, tool, args, Caller::default()).await {
        CallOutcome::Done(out) => Ok((out.value, out.images.len())),
        CallOutcome::Failed(e) => Err(serde_json::to_value(e).unwrap()),
        CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => {
            panic!("{tool}: no result (unknown tool, or input required)")
        }
    }
}

async fn wait_status(engine: &Engine, id: &str, status: AccountStatus, timeout: Duration) -> Account {
    let id = acc(id);
    let account = engine
        .accounts
        .wait_until(&id, timeout, |a| a.status == status)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        account.status, status,
        "the account is {:?} ({:?}), not {status:?}",
        account.status, account.status_detail
    );
    account
}

fn events_of(engine: &Engine, account: &str) -> Vec<(String, Value)> {
    engine
        .store
        .read(|c| {
            let mut st = c.prepare("SELECT type, data FROM events WHERE account_id = ?1 ORDER BY seq")?;
            let rows = st
                .query_map([account], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        serde_json::from_str(&r.get::<_, String>(1)?).unwrap(),
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

/// Pairs a live account by QR through `pair_account`, as an agent would.
async fn pair(engine: &Arc<Engine>, live: &Principal, wa: &Network) -> String {
    let (out, images) = call(engine, live, "pair_account", json!({ "label": "My phone" }))
        .await
        .unwrap();
    let account = &out["account"];
    assert_eq!(account["status"], "pairing");
    assert_eq!(account["kind"], "live");
    let qr = account["pairing"]["qr"]
        .as_str()
        .expect("a QR code in the answer")
        .to_owned();
    assert_eq!(images, 1, "the QR code also comes as a picture");
    // WhatsApp's QR shape: ref, noise key, identity key, ADV secret (and client type).
    assert!(qr.starts_with("2@ref") && qr.split(',').count() >= 4, "{qr}");
    wa.scan(&qr, PN, LID, "Alice").await;
    account["id"].as_str().unwrap().to_owned()
}

/// An engine whose live account a phone linked by QR, connected.
struct Linked {
    wa: Network,
    engine: Arc<Engine>,
    live: Principal,
    id: String,
    _dir: tempfile::TempDir,
}

async fn linked() -> Linked {
    let wa = Network::new(1);
    let dir = tempfile::tempdir().unwrap();
    let engine = start(dir.path(), &DbKey::generate(), &wa).await;
    let live = live_key(&engine);
    let id = pair(&engine, &live, &wa).await;
    wait_status(&engine, &id, AccountStatus::Connected, CONNECT).await;
    Linked {
        wa,
        engine,
        live,
        id,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_links_the_account_by_qr_and_it_stays_linked_across_restarts() {
    let wa = Network::new(2);
    let dir = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let engine = start(dir.path(), &key, &wa).await;
    let live = live_key(&engine);

    let id = pair(&engine, &live, &wa).await;
    let account = wait_status(&engine, &id, AccountStatus::Connected, CONNECT).await;
    assert_eq!(
        account.phone.as_ref().map(|p| p.to_string()).as_deref(),
        Some("+14155550111")
    );
    assert_eq!(
        account.jid.as_ref().map(|j| j.to_string()).as_deref(),
        Some("14155550111@s.whatsapp.net")
    );
    assert_eq!(
        account.lid.as_ref().map(|j| j.to_string()).as_deref(),
        Some("900111222@lid")
    );
    assert!(account.paired_at.is_some());

    let kinds: Vec<String> = events_of(&engine, &id).into_iter().map(|(t, _)| t).collect();
    let paired = kinds.iter().position(|t| t == EventType::AccountPaired.as_str());
    let connected = kinds.iter().position(|t| t == EventType::AccountConnected.as_str());
    assert!(
        paired.is_some() && connected > paired,
        "paired, then connected: {kinds:?}"
    );

    // The device identity and keys live in our encrypted store, not the library's.
    let session = SessionStore::new(engine.store.clone(), acc(&id));
    assert!(session.is_paired().unwrap());
    let (out, _) = call(&engine, &live, "get_account_status", json!({ "account_id": id }))
        .await
        .unwrap();
    assert_eq!(out["status"], "connected");

    // Restart: the account logs in again by itself from the stored session.
    let logins = wa.logins();
    engine.shutdown().await;
    drop(engine);
    let engine = start(dir.path(), &key, &wa).await;
    wait_status(&engine, &id, AccountStatus::Connected, CONNECT).await;
    assert!(wa.logins() > logins, "it logged in again");
    // A test key sees no live accounts at all.
    let (_, test_secret) = engine.keys.create(KeyMode::Test, None).unwrap();
    let test = engine.keys.verify(&test_secret).unwrap();
    let err = call(&engine, &test, "get_account_status", json!({ "account_id": id }))
        .await
        .unwrap_err();
    assert!(matches!(err["code"].as_str(), Some("forbidden" | "not_found")), "{err}");

    // Logging out unlinks and forgets the keys; the history stays.
    let live = live_key(&engine);
    call(&engine, &live, "logout_account", json!({ "account_id": id }))
        .await
        .unwrap();
    wait_status(&engine, &id, AccountStatus::LoggedOut, Duration::from_secs(5)).await;
    let session = SessionStore::new(engine.store.clone(), acc(&id));
    assert!(!session.is_paired().unwrap());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_ending_a_session_shows_as_a_clear_status() {
    let Linked {
        wa,
        engine,
        live,
        id,
        _dir,
    } = linked().await;

    // Another client took the session over: disconnected, no automatic retry.
    wa.replace_session(PN);
    let a = wait_status(&engine, &id, AccountStatus::Disconnected, Duration::from_secs(10)).await;
    assert!(a.status_detail.unwrap().contains("stream replaced"));
    let err = call(
        &engine,
        &live,
        "send_message",
        json!({ "account_id": id, "chat": "+14155550100", "text": "hi" }),
    )
    .await
    .unwrap_err();
    assert_eq!(err["code"], "account_not_paired", "{err}");

    // reconnect_account brings it back.
    call(&engine, &live, "reconnect_account", json!({ "account_id": id }))
        .await
        .unwrap();
    wait_status(&engine, &id, AccountStatus::Connected, CONNECT).await;

    // A dropped connection comes back by itself; then WhatsApp bans the account
    // for a while on the next login.
    wa.set_login(Login::Fail(402));
    wa.drop_connections(PN);
    let a = wait_status(&engine, &id, AccountStatus::Disconnected, Duration::from_secs(20)).await;
    let a = if a.status_detail.as_deref().is_some_and(|d| d.contains("reconnecting")) {
        engine
            .accounts
            .wait_until(&a.id, Duration::from_secs(20), |a| {
                a.status_detail.as_deref().is_some_and(|d| d.contains("banned"))
            })
            .await
            .unwrap()
            .unwrap()
    } else {
        a
    };
    assert!(
        a.status_detail.as_deref().unwrap().contains("temporarily banned"),
        "{a:?}"
    );

    // An outdated client.
    wa.set_login(Login::Fail(405));
    call(&engine, &live, "reconnect_account", json!({ "account_id": id }))
        .await
        .unwrap();
    let a = engine
        .accounts
        .wait_until(&a.id, Duration::from_secs(20), |a| {
            a.status_detail.as_deref().is_some_and(|d| d.contains("outdated"))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Disconnected);

    // The phone unlinked this device: logged out, account.unpaired.
    wa.set_login(Login::Accept);
    call(&engine, &live, "reconnect_account", json!({ "account_id": id }))
        .await
        .unwrap();
    wait_status(&engine, &id, AccountStatus::Connected, CONNECT).await;
    wa.unlink(PN);
    wait_status(&engine, &id, AccountStatus::LoggedOut, Duration::from_secs(10)).await;
    let events = events_of(&engine, &id);
    let detail = |t: EventType| events.iter().filter(|(k, _)| k == t.as_str()).count();
    assert!(detail(EventType::AccountDisconnected) >= 3, "{events:?}");
    assert_eq!(detail(EventType::AccountUnpaired), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_by_phone_number_shows_the_code_to_type() {
    let wa = Network::new(1);
    let dir = tempfile::tempdir().unwrap();
    let engine = start(dir.path(), &DbKey::generate(), &wa).await;
    let live = live_key(&engine);
    let (out, _) = call(
        &engine,
        &live,
        "pair_account",
        json!({ "method": "phone_code", "phone": "+14155550111" }),
    )
    .await
    .unwrap();
    let pairing = &out["account"]["pairing"];
    assert_eq!(pairing["method"], "phone_code");
    let code = pairing["code"].as_str().expect("a code to type on the phone");
    assert_eq!(code.replace('-', "").len(), 8, "{code}");
    assert!(wa.seen().iter().any(|t| t == "pair-code:14155550111@s.whatsapp.net"));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_account_that_cannot_connect_holds_up_nothing_else() {
    let wa = Network::new(1);
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.db_key = Some(DbKey::generate());
    config.sandbox.time_scale = 0.02;
    config.sandbox.ambient = false;
    config.live = loopback::in_process(&wa);
    let engine = Engine::start(config).await.unwrap();
    let boot = engine.bootstrap().await.unwrap().unwrap();
    let live = live_key(&engine);
    let id = pair(&engine, &live, &wa).await;
    wait_status(&engine, &id, AccountStatus::Connected, CONNECT).await;
    // WhatsApp keeps answering 503 (the library retries with backoff).
    wa.set_login(Login::Fail(503));
    wa.drop_connections(PN);
    wait_status(&engine, &id, AccountStatus::Disconnected, Duration::from_secs(10)).await;

    wait_status(
        &engine,
        boot.account_id.as_str(),
        AccountStatus::Connected,
        Duration::from_secs(20),
    )
    .await;
    let test = engine.keys.verify(&boot.test_key).unwrap();
    let (sent, _) = call(
        &engine,
        &test,
        "send_message",
        json!({ "chat": "+14155550199", "text": "still here" }),
    )
    .await
    .unwrap();
    assert_eq!(sent["message"]["text"], "still here");
    // And the live account is still the one retrying, not blocked on the others.
    let a = engine.accounts.get(&acc(&id)).unwrap().unwrap();
    assert_eq!(a.status, AccountStatus::Disconnected);
    engine.shutdown().await;
}

/// Waits until the event log of `account` holds an event of `kind`; returns its data.
async fn wait_event(engine: &Engine, account: &str, kind: EventType) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some((_, data)) = events_of(engine, account).into_iter().find(|(t, _)| t == kind.as_str()) {
            return data;
        }
        assert!(tokio::time::Instant::now() < deadline, "no {} event", kind.as_str());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_happens_in_whatsapp_reaches_the_event_log_and_the_store() {
    let Linked {
        wa,
        engine,
        live,
        id,
        _dir,
    } = linked().await;
    let bob = "14155550100@s.whatsapp.net";
    let group = "120363025246125244@g.us";
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();

    wa.push(
        PN,
        NodeBuilder::new("chatstate")
            .attr("from", bob)
            .children([NodeBuilder::new("composing").build()])
            .build(),
    );
    let typing = wait_event(&engine, &id, EventType::TypingStarted).await;
    assert_eq!(typing["state"], "typing");
    assert_eq!(typing["sender"]["phone"], "+14155550100", "{typing}");

    wa.push(
        PN,
        NodeBuilder::new("presence")
            .attr("from", bob)
            .attr("type", "unavailable")
            .attr("last", "1700000000")
            .build(),
    );
    let presence = wait_event(&engine, &id, EventType::PresenceChanged).await;
    assert_eq!(presence["online"], false);
    assert_eq!(presence["last_seen"], "2023-11-14T22:13:20.000Z", "{presence}");

    let notification = |id: &str, child| {
        NodeBuilder::new("notification")
            .attr("type", "w:gp2")
            .attr("from", group)
            .attr("id", id)
            .attr("participant", bob)
            .attr("t", now.as_str())
            .children([child])
            .build()
    };
    wa.set_group(
        "120363025246125244",
        "Hiking trip",
        &[
            (bob, "superadmin"),
            ("14155550111@s.whatsapp.net", "member"),
            ("14155550122@s.whatsapp.net", "member"),
        ],
    );
    wa.push(
        PN,
        notification("n1", NodeBuilder::new("subject").attr("subject", "Hiking trip").build()),
    );
    let updated = wait_event(&engine, &id, EventType::GroupUpdated).await;
    assert_eq!(updated["change"]["subject"], "Hiking trip", "{updated}");
    wa.push(
        PN,
        notification(
            "n2",
            NodeBuilder::new("add")
                .children([NodeBuilder::new("participant")
                    .attr("jid", "14155550122@s.whatsapp.net")
                    .build()])
                .build(),
        ),
    );
    let added = wait_event(&engine, &id, EventType::GroupParticipantAdded).await;
    assert!(added.to_string().contains("+14155550122"), "{added}");

    // The store agrees: the group's subject and its new member.
    let (out, _) = call(&engine, &live, "list_chats", json!({ "account_id": id }))
        .await
        .unwrap();
    let chats = out["chats"].as_array().unwrap();
    let g = chats
        .iter()
        .find(|c| c["name"] == "Hiking trip")
        .expect("the group is a chat");
    let (members, _) = call(
        &engine,
        &live,
        "list_group_participants",
        json!({ "group": g["group_id"].clone() }),
    )
    .await
    .unwrap();
    assert!(members.to_string().contains("+14155550122"), "{members}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_network_pairing_says_why_it_waits() {
    let wa = Network::new(1);
    wa.set_reachable(false);
    let dir = tempfile::tempdir().unwrap();
    let engine = start(dir.path(), &DbKey::generate(), &wa).await;
    let live = live_key(&engine);
    let (out, images) = call(&engine, &live, "pair_account", json!({})).await.unwrap();
    let account = &out["account"];
    assert_eq!(account["status"], "pairing");
    let detail = account["status_detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("cannot reach WhatsApp (failed to lookup address"),
        "{out}"
    );
    assert!(out["next_step"].as_str().unwrap().contains("cannot be reached"));
    assert_eq!(images, 0);

    // The network comes back: the library's next attempt gets a QR code.
    wa.set_reachable(true);
    let id = acc(account["id"].as_str().unwrap());
    let a = engine
        .accounts
        .wait_until(&id, Duration::from_secs(20), |a| a.status_detail.is_none())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Pairing);
    assert!(engine.accounts.pairing(&id).and_then(|p| p.qr).is_some());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_goes_out_end_to_end_encrypted_and_its_read_receipt_comes_back() {
    let Linked {
        wa,
        engine,
        live,
        id,
        _dir,
    } = linked().await;

    let (out, _) = call(
        &engine,
        &live,
        "send_message",
        json!({ "account_id": id, "chat": "+14155550100", "text": "hello from the agent", "idempotency_key": "greeting-1" }),
    )
    .await
    .unwrap();
    let message = &out["message"];
    assert_eq!(message["text"], "hello from the agent");
    assert_eq!(message["status"], "sent");

    // On the wire: a Signal session started with Bob's phone (a prekey message), and
    // one with this account's own phone so it shows there too; no plaintext.
    let bob = "14155550100@s.whatsapp.net";
    let wire = wa.wait_sent(bob).await;
    assert_eq!(wire.kind, "text");
    assert!(wire.id.starts_with("3EB0"), "{wire:?}");
    assert!(
        wire.payloads
            .iter()
            .any(|(t, whom)| t == "pkmsg" && whom.starts_with("14155550100")),
        "{wire:?}"
    );
    assert!(
        wire.payloads
            .iter()
            .any(|(t, whom)| t == "pkmsg" && whom.starts_with(PN)),
        "{wire:?}"
    );

    // Retried with the same idempotency key: the same message, not sent again.
    let (again, _) = call(
        &engine,
        &live,
        "send_message",
        json!({ "account_id": id, "chat": "+14155550100", "text": "hello from the agent", "idempotency_key": "greeting-1" }),
    )
    .await
    .unwrap();
    assert_eq!(again["message"]["id"], message["id"]);
    assert_eq!(wa.sent().iter().filter(|m| m.to == bob).count(), 1);

    // Bob reads it.
    wa.push(
        PN,
        NodeBuilder::new("receipt")
            .attr("from", bob)
            .attr("id", wire.id.as_str())
            .attr("type", "read")
            .attr("t", "1700000000")
            .build(),
    );
    let read = wait_event(&engine, &id, EventType::MessageRead).await;
    assert_eq!(read["message_ids"][0], message["id"], "{read}");
    let (stored, _) = call(&engine, &live, "get_message", json!({ "message_id": message["id"] }))
        .await
        .unwrap();
    assert_eq!(stored["message"]["status"], "read");
    engine.shutdown().await;
}

/// These tests build the library without its certificate check (the loopback
/// network needs that), just as `cargo build --workspace` would build the app:
/// such a build must not connect to WhatsApp's own network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_that_skips_whatsapp_s_certificate_check_will_not_connect_to_whatsapp() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.db_key = Some(DbKey::generate());
    config.bootstrap = false;
    // No test transport: WhatsApp's own WebSocket.
    let engine = Engine::start(config).await.unwrap();
    let live = live_key(&engine);
    let err = call(&engine, &live, "pair_account", json!({ "label": "real phone" }))
        .await
        .unwrap_err();
    let message = err["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("does not check WhatsApp's server certificate"),
        "{err}"
    );
    engine.shutdown().await;
}
