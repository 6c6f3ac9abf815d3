//! The one path every tool call takes:
//! auth -> permission -> validation -> rate limit -> idempotency -> backend -> store -> audit.
//!
//! Handlers only do the backend and store part; everything else happens here, the
//! same way for every tool, whichever transport the call came by.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::approve::{self, Gate, Question, Rounds};
use super::progress::Progress;
use super::session::SessionApi;
use super::{Ctx, Effect, Output, ToolSpec};
use crate::approvals::AskClient;
use crate::audit::Entry;
use crate::engine::Engine;
use crate::error::ToolError;
use crate::ids::KeyId;
use crate::keys::Principal;
use crate::policy::Access;
use crate::store::idempotency::{self, Claim};
use crate::time::now_ms;

pub enum CallOutcome {
    Done(Output),
    Failed(ToolError),
    /// No tool by that name (a protocol error, not a tool result).
    UnknownTool,
    /// A multi round-trip client is to ask its person (see [`Rounds`]) and call again.
    InputRequired(Question),
}

/// Where a call comes from, beyond the key: progress reporting, the MCP session,
/// and the client's way of asking its person (elicitation), when it has one.
#[derive(Clone, Default)]
pub struct Caller {
    pub progress: Progress,
    pub session: Option<Arc<dyn SessionApi>>,
    pub asker: Option<Arc<dyn AskClient>>,
    /// The client's name (`clientInfo.name`), shown to the person who approves.
    pub client: Option<String>,
    /// A client on MCP 2026-07-28 or later that can show a form: asked through the
    /// call's result instead of a request of the server's own.
    pub rounds: Option<Rounds>,
}

/// (API key, idempotency key).
type Slot = (KeyId, String);

/// Calls in flight per (key, idempotency key): concurrent duplicates wait for the first.
#[derive(Default)]
pub struct InFlight {
    locks: Mutex<HashMap<Slot, Arc<tokio::sync::Mutex<()>>>>,
}

pub async fn call(engine: &Arc<Engine>, principal: &Principal, name: &str, args: Value, caller: Caller) -> CallOutcome {
    let started = Instant::now();
    let outcome = run(engine, principal, name, &args, caller).await;
    let code = match &outcome {
        CallOutcome::Done(_) => "ok",
        CallOutcome::Failed(e) => e.code.as_str(),
        CallOutcome::UnknownTool => "unknown_tool",
        CallOutcome::InputRequired(_) => "input_required",
    };
    engine.audit.record(Entry {
        at: now_ms(),
        key_id: principal.key_id.clone(),
        key_name: principal.key_name.clone(),
        tool: name.to_owned(),
        args,
        outcome: code.to_owned(),
        duration_ms: started.elapsed().as_millis() as i64,
    });
    outcome
}

async fn run(engine: &Arc<Engine>, principal: &Principal, name: &str, args: &Value, caller: Caller) -> CallOutcome {
    let Some(spec) = engine.tools.get(name) else {
        return CallOutcome::UnknownTool;
    };
    // Auth and permission: the gate, with the key as it is now (it may have been
    // revoked or limited since the connection opened).
    let grant = match engine.policy.admit(principal, Access::Tool(name)) {
        Ok(g) => g,
        Err(denied) => return CallOutcome::Failed(denied.into()),
    };
    // Validation, before anything counts or happens.
    if let Err(e) = spec.handler.validate(args) {
        return CallOutcome::Failed(e);
    }
    // Rate limit.
    if let Err(denied) = grant.charge() {
        return CallOutcome::Failed(denied.into());
    }
    let asks = grant.asks(name) && spec.asks(args);
    let Caller {
        progress,
        session,
        asker,
        client,
        rounds,
    } = caller;
    let mut ctx = Ctx {
        engine: engine.clone(),
        grant,
        progress,
        session,
        idempotency_seed: None,
    };
    let idem_key = (spec.effect != Effect::Read)
        .then(|| args.get("idempotency_key").and_then(Value::as_str).map(str::to_owned))
        .flatten();
    // Ask: the gate's third answer. A person says yes first.
    if asks {
        let asking = approve::Asking { asker, client, rounds };
        match approve::step(engine, &ctx, spec, args, idem_key.clone(), asking).await {
            Ok(Gate::Go) => {}
            Ok(Gate::Done(done)) => return CallOutcome::Done(done),
            Ok(Gate::Ask(question)) => return CallOutcome::InputRequired(question),
            Err(e) => return CallOutcome::Failed(e),
        }
    }
    let result = match idem_key {
        None => spec.handler.call(ctx, args.clone()).await,
        Some(k) => {
            ctx.idempotency_seed = Some(hex::encode(Sha256::digest(format!("{}|{k}", ctx.principal().key_id))));
            idempotent(engine, spec, ctx, args, &k).await
        }
    };
    match result {
        Ok(out) => CallOutcome::Done(out),
        Err(e) => CallOutcome::Failed(e),
    }
}

/// The request as a fingerprint: the tool and every argument but the key itself.
fn fingerprint(tool: &str, args: &Value) -> String {
    let mut a = args.clone();
    if let Value::Object(m) = &mut a {
        m.remove("idempotency_key");
    }
    hex::encode(Sha256::digest(format!("{tool}\n{a}")))
}

async fn idempotent(
    engine: &Arc<Engine>,
    spec: &ToolSpec,
    ctx: Ctx,
    args: &Value,
    key: &str,
) -> Result<Output, ToolError> {
    let owner = ctx.principal().key_id.clone();
    let slot = (owner.clone(), key.to_owned());
    let lock = engine.inflight.locks.lock().entry(slot.clone()).or_default().clone();
    let result = {
        let _one_at_a_time = lock.lock().await;
        let fp = fingerprint(spec.name, args);
        let claim = engine
            .store
            .write(|tx| idempotency::claim(tx, &owner, key, spec.name, &fp, now_ms()))?;
        match claim {
            Claim::Done(stored) => {
                let value: Value = serde_json::from_str(&stored).map_err(|e| ToolError::server(e.to_string()))?;
                Ok(Output::json(value)?)
            }
            Claim::Mismatch => Err(ToolError::invalid(
                "idempotency_key",
                "already used within 24 hours with another tool or other arguments",
            )),
            // Pending means an earlier attempt died mid-way: run again (sends reuse the
            // same WhatsApp message ID, so the recipient never gets it twice).
            Claim::New | Claim::Pending => {
                let out = spec.handler.call(ctx, args.clone()).await;
                match &out {
                    Ok(o) => engine
                        .store
                        .write(|tx| idempotency::finish(tx, &owner, key, &o.value.to_string()))?,
                    Err(_) => engine.store.write(|tx| idempotency::release(tx, &owner, key))?,
                }
                out
            }
        }
    };
    let mut locks = engine.inflight.locks.lock();
    if locks.get(&slot).is_some_and(|l| Arc::strong_count(l) <= 2) {
        locks.remove(&slot);
    }
    result
}
