//! The pipeline's ask step: a call of a tool on `ask` waits for a person's yes. A
//! client on MCP 2026-07-28 or later cannot be sent a request of the server's own, so
//! it is asked through the call's result instead (multi round-trip): the first call
//! opens the approval and answers "input required" with the question; the client asks
//! its person and calls again with the answer and the approval's ID as its
//! `requestState`, and that call waits (the window and the command line may answer
//! meanwhile, as for everyone).

use std::sync::Arc;

use serde_json::Value;

use super::{Ctx, Output, ToolSpec};
use crate::approvals::{self, Answer, AskClient, Channel, Summary};
use crate::engine::Engine;
use crate::error::{ErrorCode, ToolError};
use crate::ids::ApprovalId;
use crate::store::idempotency;
use crate::time::now_ms;

/// A multi round-trip client's side of the conversation.
#[derive(Debug, Clone, Default)]
pub struct Rounds {
    /// The `requestState` it echoed: the approval it was asked about.
    pub state: Option<String>,
    /// What its person answered (`None`: dismissed, or not asked yet).
    pub answer: Option<Answer>,
}

/// What the client is to ask its person.
#[derive(Debug, Clone)]
pub struct Question {
    pub approval: ApprovalId,
    pub summary: Summary,
}

/// How the person may be asked beyond the window and the command line.
pub(super) struct Asking {
    /// The client, by a request of the server's own (before MCP 2026-07-28).
    pub asker: Option<Arc<dyn AskClient>>,
    /// The client's name, shown to the person.
    pub client: Option<String>,
    /// The client, through the call's result (MCP 2026-07-28 on).
    pub rounds: Option<Rounds>,
}

pub(super) enum Gate {
    /// Approved (or always allowed here): the call runs.
    Go,
    /// The same call ran before (its idempotency key says so): its answer.
    Done(Output),
    /// Ask the client's person first.
    Ask(Question),
}

pub(super) async fn step(
    engine: &Arc<Engine>,
    ctx: &Ctx,
    spec: &ToolSpec,
    args: &Value,
    slot: Option<String>,
    asking: Asking,
) -> Result<Gate, ToolError> {
    let key = &ctx.principal().key_id;
    if let Some(k) = &slot {
        if let Some(done) = engine.store.read(|c| idempotency::done(c, key, k, now_ms()))? {
            let value: Value = serde_json::from_str(&done).map_err(|e| ToolError::server(e.to_string()))?;
            return Ok(Gate::Done(Output::json(value)?));
        }
    }
    let (mut summary, account) = approvals::summary::of(ctx, spec, args);
    summary.client = asking.client;
    if summary.chat().is_some_and(|c| ctx.grant.always_allowed(c)) {
        return Ok(Gate::Go);
    }
    let mut request = approvals::Request {
        principal: ctx.principal(),
        tool: spec.name,
        account,
        summary,
        slot,
        progress: &ctx.progress,
        client: asking.asker,
        join: None,
    };
    match asking.rounds {
        None => {}
        Some(Rounds { state: None, .. }) => {
            let asked = engine.approvals.open_or_join(&request)?;
            return Ok(Gate::Ask(Question {
                approval: asked.id,
                summary: request.summary,
            }));
        }
        Some(Rounds {
            state: Some(state),
            answer,
        }) => {
            let id = ApprovalId::parse(&state)
                .ok()
                .filter(|id| engine.approvals.belongs(id, &request).unwrap_or(false))
                .ok_or_else(|| {
                    ToolError::invalid(
                        "requestState",
                        "does not name this call's approval: call again without it",
                    )
                })?;
            if let Some(a) = answer {
                engine.approvals.answer(&id, &a, Channel::Client)?;
            }
            request.join = Some(id);
        }
    }
    match engine.approvals.ask(request).await? {
        approvals::Outcome::Approved => Ok(Gate::Go),
        approvals::Outcome::Denied { reason } => Err(ToolError {
            reason: reason.as_deref().map(Into::into),
            ..ToolError::new(
                ErrorCode::ApprovalDenied,
                match reason {
                    Some(r) => format!("the person denied this call: {r}"),
                    None => "the person denied this call".into(),
                },
            )
        }),
        approvals::Outcome::TimedOut => Err(ToolError::new(
            ErrorCode::ApprovalTimeout,
            format!(
                "nobody approved this call within {} s; nothing was sent",
                engine.approvals.timeout().as_secs()
            ),
        )),
    }
}
