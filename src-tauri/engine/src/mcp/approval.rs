//! Asking the person through the agent's own client: an MCP elicitation (a form with
//! what the call would do, and approve or deny), for clients that declared they can
//! show one (Claude Code, VS Code, Cursor). Its answer races the window's and the
//! command line's; the first one wins. Before 2026-07-28 the server sends the request
//! itself while the call waits; from 2026-07-28 on the call's result carries it (see
//! `tools::approve`).

use std::time::Duration;

use async_trait::async_trait;
use rmcp::model::{
    ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema, InputRequest,
    InputRequests, InputRequiredResult, ProtocolVersion,
};
use rmcp::service::{Peer, RequestContext, RoleServer};
use serde_json::json;

use crate::approvals::{Answer, AskClient, Summary};
use crate::ids::ApprovalId;

pub struct Elicit {
    pub peer: Peer<RoleServer>,
}

/// The key of the approval question among a multi round-trip result's input requests.
const INPUT: &str = "approval";

/// Whether the client declared it can show a form.
fn can_elicit(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.client_capabilities().is_some_and(|c| c.elicitation.is_some())
}

/// Whether this request is on 2026-07-28 or later: asked through the call's result.
fn multi_round_trip(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

impl Elicit {
    /// The client's way of being asked by a request of the server's own, if it has one.
    pub fn of(ctx: &RequestContext<RoleServer>) -> Option<Self> {
        (can_elicit(ctx) && !multi_round_trip(ctx)).then(|| Self { peer: ctx.peer.clone() })
    }
}

/// A multi round-trip client's side, if this client is asked that way.
pub fn rounds(
    ctx: &RequestContext<RoleServer>,
    request: &rmcp::model::CallToolRequestParams,
) -> Option<crate::tools::Rounds> {
    (can_elicit(ctx) && multi_round_trip(ctx)).then(|| crate::tools::Rounds {
        state: request.request_state.clone(),
        answer: request
            .input_responses
            .as_ref()
            .and_then(|r| r.get(INPUT))
            .and_then(|v| serde_json::from_value::<ElicitResult>(v.clone()).ok())
            .and_then(answer_of),
    })
}

/// The call's result that asks: the form, and the approval to name when calling again.
pub fn input_required(question: &crate::tools::Question) -> InputRequiredResult {
    let mut requests = InputRequests::new();
    requests.insert(
        INPUT.to_owned(),
        InputRequest::Elicitation(ElicitRequest::new(form(&question.approval, &question.summary))),
    );
    InputRequiredResult::new(Some(requests), Some(question.approval.to_string()))
}

fn form(approval: &ApprovalId, summary: &Summary) -> ElicitRequestParams {
    ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: format!(
            "WhatsApp-Use: {} asks to {}. Approve? ({approval})",
            summary.key_name,
            summary.plain()
        ),
        requested_schema: schema(),
    }
}

/// What the person said in the form. `None`: dismissed (the window or the command
/// line may still answer).
fn answer_of(answer: ElicitResult) -> Option<Answer> {
    match answer.action {
        ElicitationAction::Accept => {
            let content = answer.content.unwrap_or_default();
            let reason = content["reason"]
                .as_str()
                .filter(|r| !r.trim().is_empty())
                .map(str::to_owned);
            match content["decision"].as_str() {
                Some("approve") => Some(Answer::Approve),
                Some("deny") => Some(Answer::Deny { reason }),
                _ => None,
            }
        }
        ElicitationAction::Decline => Some(Answer::Deny {
            reason: Some("declined in the agent's client".into()),
        }),
        _ => None,
    }
}

/// The form: approve or deny, and why (optional).
fn schema() -> ElicitationSchema {
    serde_json::from_value(json!({
        "type": "object",
        "properties": {
            "decision": {
                "type": "string",
                "title": "Your answer",
                "enum": ["approve", "deny"],
                "enumNames": ["Approve", "Deny"],
            },
            "reason": { "type": "string", "title": "Why (optional, if you deny)" },
        },
        "required": ["decision"],
    }))
    .expect("a valid elicitation schema")
}

#[async_trait]
impl AskClient for Elicit {
    async fn ask(&self, approval: &ApprovalId, summary: &Summary, timeout: Duration) -> Option<Answer> {
        let asked = self
            .peer
            .create_elicitation_with_timeout(form(approval, summary), Some(timeout));
        match asked.await {
            Ok(answer) => answer_of(answer),
            Err(e) => {
                tracing::debug!(error = %e, "the client did not answer the approval");
                None
            }
        }
    }
}
