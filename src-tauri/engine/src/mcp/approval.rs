//! Asking the person through the agent's own client: an MCP elicitation (a form with
//! what the call would do, and approve or deny), for clients that declared they can
//! show one (Claude Code, VS Code, Cursor). Its answer races the window's and the
//! command line's; the first one wins.

use std::time::Duration;

use async_trait::async_trait;
use rmcp::model::{ElicitRequestParams, ElicitationAction, ElicitationSchema};
use rmcp::service::{Peer, RoleServer};
use serde_json::json;

use crate::approvals::{Answer, AskClient, Summary};
use crate::ids::ApprovalId;

pub struct Elicit {
    pub peer: Peer<RoleServer>,
}

impl Elicit {
    /// The client's way of asking, if it declared one.
    pub fn of(peer: &Peer<RoleServer>) -> Option<Self> {
        let can = peer.peer_info().is_some_and(|i| i.capabilities.elicitation.is_some());
        can.then(|| Self { peer: peer.clone() })
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
        let message = format!(
            "WhatsApp-Use: {} asks to {}. Approve? ({approval})",
            summary.key_name,
            summary.plain()
        );
        let asked = self.peer.create_elicitation_with_timeout(
            ElicitRequestParams::FormElicitationParams {
                meta: None,
                message,
                requested_schema: schema(),
            },
            Some(timeout),
        );
        let answer = match asked.await {
            Ok(a) => a,
            Err(e) => {
                tracing::debug!(error = %e, "the client did not answer the approval");
                return None;
            }
        };
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
            // Dismissed: the window or the command line may still answer.
            _ => None,
        }
    }
}
