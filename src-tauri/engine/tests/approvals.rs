//! "Ask me first", headless on the sandbox: a call of a tool on `ask` waits for a
//! person's answer, and only a yes lets it through; what the store and the event log
//! say afterwards.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wuse_engine::approvals::{self, Answer, ApprovalView, Channel};
use wuse_engine::control::settings::{self as control_settings, Change};
use wuse_engine::keys::Principal;
use wuse_engine::policy::{Scope, ToolState};
use wuse_engine::tools::{self, CallOutcome, Caller, Rounds};
use wuse_engine::Engine;

const ECHO: &str = "+14155550199";

struct Fixture {
    engine: Arc<Engine>,
    agent: Principal,
    _dir: tempfile::TempDir,
}

async fn asking() -> Fixture {
    let ready = common::ready_engine().await;
    let agent = ready.engine.keys.verify(&ready.boot.test_key).unwrap();
    ready
        .engine
        .policy
        .switches
        .set_many(&Scope::Global, &["send_message", "delete_message"], ToolState::Ask)
        .unwrap();
    Fixture {
        engine: ready.engine,
        agent,
        _dir: ready.dir,
    }
}

/// Starts a call; its outcome comes from the handle.
fn start(f: &Fixture, tool: &str, args: Value) -> tokio::task::JoinHandle<Result<Value, Value>> {
    let (engine, agent, tool) = (f.engine.clone(), f.agent.clone(), tool.to_owned());
    tokio::spawn(async move {
        match tools::call(&engine, &agent, &tool, args, Caller::default()).await {
            CallOutcome::Done(out) => Ok(out.value),
            CallOutcome::Failed(e) => Err(serde_json::to_value(e).unwrap()),
            CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => {
                panic!("no result (unknown tool, or input required)")
            }
        }
    })
}

async fn pending(f: &Fixture, n: usize) -> Vec<ApprovalView> {
    for _ in 0..200 {
        let list = approvals::pending(&f.engine.store).unwrap();
        if list.len() == n {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{:?}", approvals::pending(&f.engine.store).unwrap());
}

fn stored(f: &Fixture, text: &str) -> i64 {
    f.engine
        .store
        .read(|c| Ok(c.query_row("SELECT count(*) FROM messages WHERE text = ?1", [text], |r| r.get(0))?))
        .unwrap()
}

fn events(f: &Fixture, kind: &str) -> Vec<Value> {
    f.engine
        .store
        .read(|c| {
            let mut st = c.prepare("SELECT data FROM events WHERE type = ?1 ORDER BY seq")?;
            let rows = st
                .query_map([kind], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|d| serde_json::from_str(&d).unwrap()).collect())
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_yes_lets_the_call_through_and_is_recorded() {
    let f = asking().await;
    let call = start(&f, "send_message", json!({ "chat": ECHO, "text": "Shall we?" }));
    let list = pending(&f, 1).await;
    let a = &list[0];
    assert_eq!(a.tool, "send_message");
    assert_eq!(a.key_id, f.agent.key_id);
    assert_eq!(a.details.text.as_deref(), Some("Shall we?"));
    assert_eq!(a.details.recipients[0].phone.as_deref(), Some(ECHO), "{a:?}");
    assert!(
        a.summary.contains("Send a message to") && a.summary.contains("Shall we?"),
        "{}",
        a.summary
    );
    assert_eq!(stored(&f, "Shall we?"), 0, "nothing is sent before the yes");

    assert!(f
        .engine
        .approvals
        .answer(&a.id, &Answer::Approve, Channel::Window)
        .unwrap());
    let out = call.await.unwrap().unwrap();
    assert_eq!(out["message"]["text"], "Shall we?");
    assert_eq!(stored(&f, "Shall we?"), 1);
    // The second answer does not count.
    assert!(!f
        .engine
        .approvals
        .answer(&a.id, &Answer::Approve, Channel::Window)
        .unwrap());
    // Announced, and in the audit log: who asked, which channel answered, the decision.
    assert_eq!(events(&f, "approval.requested").len(), 1);
    let resolved = events(&f, "approval.resolved");
    assert_eq!(
        (resolved[0]["status"].clone(), resolved[0]["channel"].clone()),
        (json!("approved"), json!("window"))
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let audit = f
        .engine
        .store
        .read(|c| wuse_engine::store::audit::recent(c, None, Some("approval"), 10))
        .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].outcome, "approved");
    assert_eq!(audit[0].key_id.as_ref(), Some(&f.agent.key_id));
    assert_eq!(audit[0].args["channel"], "window");
    // The Activity page says who asked for what, and how it ended.
    let shown = wuse_engine::control::activity::recent(
        &f.engine,
        &wuse_engine::control::activity::ActivityQuery {
            search: Some("approved".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        shown.iter().any(|i| i.title == "approval"
            && i.summary == format!("send_message by {}: approved (window)", f.agent.key_name)),
        "{:?}",
        shown.iter().map(|i| &i.summary).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_no_or_no_answer_sends_nothing() {
    let f = asking().await;
    // Denied from another process (the command line), with a reason.
    let call = start(&f, "send_message", json!({ "chat": ECHO, "text": "Not this" }));
    let a = pending(&f, 1).await.remove(0);
    let said = Answer::Deny {
        reason: Some("not now".into()),
    };
    assert!(approvals::answer(&f.engine.store, &a.id, &said, Channel::Cli).unwrap());
    let err = call.await.unwrap().unwrap_err();
    assert_eq!(
        (err["code"].clone(), err["status"].clone(), err["reason"].clone()),
        (json!("approval_denied"), json!(403), json!("not now"))
    );
    assert_eq!(stored(&f, "Not this"), 0);

    // Nobody answers in time.
    control_settings::apply(
        &f.engine.store,
        wuse_engine::policy::Channel::Window,
        &[Change::parse("approval_timeout_s", "1").unwrap()],
    )
    .unwrap();
    let err = start(&f, "send_message", json!({ "chat": ECHO, "text": "Too late" }))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (err["code"].clone(), err["status"].clone()),
        (json!("approval_timeout"), json!(408)),
        "{err}"
    );
    assert_eq!(stored(&f, "Too late"), 0);
    assert!(approvals::pending(&f.engine.store).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_joins_the_pending_approval_and_always_allow_skips_asking() {
    let f = asking().await;
    let args = json!({ "chat": ECHO, "text": "Once only", "idempotency_key": "retry-1" });
    let first = start(&f, "send_message", args.clone());
    pending(&f, 1).await;
    let again = start(&f, "send_message", args.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let list = pending(&f, 1).await;
    f.engine
        .approvals
        .answer(&list[0].id, &Answer::AlwaysAllowChat, Channel::Window)
        .unwrap();
    let (a, b) = (first.await.unwrap().unwrap(), again.await.unwrap().unwrap());
    assert_eq!(
        a["message"]["id"], b["message"]["id"],
        "one message, twice the same answer"
    );
    assert_eq!(stored(&f, "Once only"), 1);
    // This key may now send to this chat at once; a dry run never asks.
    start(&f, "send_message", json!({ "chat": ECHO, "text": "No need to ask" }))
        .await
        .unwrap()
        .unwrap();
    assert!(approvals::pending(&f.engine.store).unwrap().is_empty());
    // Deleting for oneself changes nothing anyone else sees: not asked.
    let mine = start(
        &f,
        "delete_message",
        json!({ "message_id": a["message"]["id"], "scope": "me" }),
    );
    mine.await.unwrap().unwrap();
    assert!(approvals::pending(&f.engine.store).unwrap().is_empty());
}

/// A client on 2026-07-28 sending "Round trip", with the input-required rounds it has.
async fn round_trip(f: &Fixture, rounds: Rounds) -> CallOutcome {
    let caller = Caller {
        rounds: Some(rounds),
        ..Caller::default()
    };
    let args = json!({ "chat": ECHO, "text": "Round trip" });
    tools::call(&f.engine, &f.agent, "send_message", args, caller).await
}

/// A client on multi round-trip is asked through the call's result; one that never
/// calls again leaves an approval nobody waits for, which the sweeper closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_round_trip_is_swept() {
    let f = asking().await;
    let asked = round_trip(&f, Rounds::default()).await;
    let CallOutcome::InputRequired(question) = asked else {
        panic!("asked through the result")
    };
    assert_eq!(question.summary.text.as_deref(), Some("Round trip"));
    let open = approvals::pending(&f.engine.store).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].id, question.approval);
    assert_eq!(stored(&f, "Round trip"), 0);

    // Not yet past its deadline (and the grace after it): left alone.
    assert_eq!(f.engine.approvals.sweep(wuse_engine::time::now_ms()).unwrap(), 0);
    let later = wuse_engine::time::now_ms() + 3_600_000;
    assert_eq!(f.engine.approvals.sweep(later).unwrap(), 1);
    assert!(approvals::pending(&f.engine.store).unwrap().is_empty());
    let resolved = events(&f, "approval.resolved");
    assert_eq!(
        (resolved[0]["status"].clone(), resolved[0]["channel"].clone()),
        (json!("timed_out"), json!("expired"))
    );

    // Calling again after that: too late, nothing sent.
    let late = round_trip(
        &f,
        Rounds {
            state: Some(question.approval.to_string()),
            answer: Some(Answer::Approve),
        },
    )
    .await;
    let CallOutcome::Failed(e) = late else {
        panic!("refused")
    };
    assert_eq!(e.code.as_str(), "approval_timeout");
    assert_eq!(stored(&f, "Round trip"), 0);
    assert_eq!(events(&f, "approval.resolved").len(), 1, "announced once");
}

#[tokio::test]
async fn a_live_key_made_in_the_window_starts_asking() {
    use wuse_engine::clients::{ClientId, Env, Os};
    use wuse_engine::control::{clients as control_clients, keys as control_keys};
    use wuse_engine::store::api_keys::KeyMode;

    let f = asking().await;
    let switches = |id| f.engine.policy.switches.overrides(&Scope::Key(id)).unwrap();

    let made = control_keys::create(&f.engine, KeyMode::Live, Some("agent")).unwrap();
    let on_key = switches(made.key.id.clone());
    assert_eq!(on_key.get("send_message"), Some(&ToolState::Ask));
    assert_eq!(on_key.get("forward_message"), Some(&ToolState::Ask));
    assert_eq!(on_key.get("list_chats"), None, "reads stay on");
    assert_eq!(on_key.get("set_presence"), None, "typing is not a send");
    let test = control_keys::create(&f.engine, KeyMode::Test, Some("dev")).unwrap();
    assert!(switches(test.key.id).is_empty(), "a sandbox key starts on everything");

    // A key made by the Clients page's one-click install, with the core toolset.
    let home = tempfile::tempdir().unwrap();
    let env = Env::new(Os::Linux, home.path());
    let pending = control_clients::Pending::default();
    let req = control_clients::InstallRequest {
        client: ClientId::Cursor,
        mode: KeyMode::Live,
        core_tools: true,
    };
    let preview = control_clients::preview_install(&f.engine, &env, &pending, &req).unwrap();
    let installed = control_clients::confirm(&f.engine, &pending, &preview.token).unwrap();
    let on_key = switches(installed.key.unwrap().id);
    assert_eq!(on_key.get("send_message"), Some(&ToolState::Ask));
    assert_eq!(on_key.get("list_chats"), None);
    assert_eq!(
        on_key.get("create_group"),
        Some(&ToolState::Off),
        "outside the core toolset"
    );
}
