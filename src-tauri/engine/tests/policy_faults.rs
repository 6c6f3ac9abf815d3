//! The gate fails closed: when the settings it decides from cannot be read, every way
//! in (tool calls, tools/list, resources read/list/subscribe, pushed notifications,
//! signed media links) is denied with `server_error` / rule `internal`, and access
//! comes back as soon as the store reads again. The faults are real: tables of the
//! real encrypted store renamed away under the running engine.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wuse_engine::events::EventType;
use wuse_engine::keys::Principal;
use wuse_engine::mcp::resources;
use wuse_engine::policy::{Access, Rule};
use wuse_engine::tools::{self, CallOutcome, Caller};
use wuse_engine::Engine;

async fn call(engine: &Arc<Engine>, who: &Principal, tool: &str, args: Value) -> Result<Value, Value> {
    match tools::call(engine, who, tool, args, Caller::default()).await {
        CallOutcome::Done(out) => Ok(out.value),
        CallOutcome::Failed(e) => Err(serde_json::to_value(e).unwrap()),
        CallOutcome::UnknownTool | CallOutcome::InputRequired(_) => {
            panic!("{tool}: no result (unknown tool, or input required)")
        }
    }
}

fn rename(engine: &Engine, from: &str, to: &str) {
    engine
        .store
        .write(|tx| Ok(tx.execute_batch(&format!("ALTER TABLE {from} RENAME TO {to}"))?))
        .unwrap();
}

/// What every way in answers for this key right now: `None` where it was let in,
/// else the denial's (code, rule).
async fn every_way_in(
    engine: &Arc<Engine>,
    who: &Principal,
    account: &wuse_engine::ids::AccountId,
) -> Vec<(&'static str, Option<(String, String)>)> {
    let denial = |e: &Value| {
        Some((
            e["code"].as_str().unwrap().to_owned(),
            e["rule"].as_str().unwrap_or("").to_owned(),
        ))
    };
    let tool_err = |e: wuse_engine::error::ToolError| denial(&serde_json::to_value(e).unwrap());
    let gate = |access: Access<'_>| match engine.policy.admit(who, access) {
        Ok(_) => None,
        Err(d) => Some((d.code.as_str().to_owned(), d.rule.as_str().to_owned())),
    };
    // A list shows nothing rather than failing (clients expect lists to answer).
    let empty = |n: usize| (n == 0).then(|| ("empty".to_owned(), String::new()));
    vec![
        (
            "tools/call",
            call(engine, who, "list_accounts", json!({}))
                .await
                .err()
                .and_then(|e| denial(&e)),
        ),
        ("tools/list", empty(tools::visible(engine, who).len())),
        (
            "resources/read",
            resources::read(engine, who, "whatsapp://accounts")
                .err()
                .and_then(tool_err),
        ),
        (
            "resources/subscribe",
            resources::subscribe(engine, who, "whatsapp://events")
                .err()
                .and_then(tool_err),
        ),
        (
            "resources/list",
            empty(resources::list(engine, who).map(|l| l.len()).unwrap_or(0)),
        ),
        (
            "notification",
            gate(Access::Notify {
                kind: EventType::AccountConnected,
                account,
                chat: None,
            }),
        ),
        (
            "media link",
            engine
                .policy
                .admit_link(&who.key_id)
                .err()
                .map(|d| (d.code.as_str().to_owned(), d.rule.as_str().to_owned())),
        ),
    ]
}

/// Every way in denied as `want` says (lists: empty), or let in when `want` is none.
fn assert_all(seen: &[(&str, Option<(String, String)>)], want: Option<(&str, &str)>) {
    for (way, got) in seen {
        let got = got.as_ref().map(|(c, r)| (c.as_str(), r.as_str()));
        let want = if way.ends_with("/list") {
            want.map(|_| ("empty", ""))
        } else {
            want
        };
        assert_eq!(got, want, "{way}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_store_denies_every_way_in() {
    let ready = common::ready_engine().await;
    let engine = &ready.engine;
    let who = engine.keys.verify(&ready.boot.test_key).unwrap();
    let account = &ready.account.id;
    assert_all(&every_way_in(engine, &who, account).await, None);

    // The tool switches and the pause live in these two tables; the keys in the third
    // (answered from a cache for a few seconds, then re-read).
    for (table, wait) in [("tool_permissions", 0), ("settings", 0), ("api_keys", 3_100)] {
        rename(engine, table, "gone");
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let denied = Some(("server_error", "internal"));
        assert_all(&every_way_in(engine, &who, account).await, denied);
        rename(engine, "gone", table);
        assert_all(&every_way_in(engine, &who, account).await, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_denies_every_way_in_and_the_window_still_decides() {
    let ready = common::ready_engine().await;
    let engine = &ready.engine;
    let who = engine.keys.verify(&ready.boot.test_key).unwrap();
    engine.policy.switches.set_paused(true).unwrap();
    assert_all(
        &every_way_in(engine, &who, &ready.account.id).await,
        Some(("forbidden", Rule::Paused.as_str())),
    );
    // The person at the window reads and changes things while agents are paused.
    let view = wuse_engine::control::accounts::list(engine).unwrap();
    assert!(!view.is_empty());
    engine.policy.switches.set_paused(false).unwrap();
    assert_all(&every_way_in(engine, &who, &ready.account.id).await, None);
}
