//! Presence tools: show this account online or typing, and ask whether someone is.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{ChatRefArg, PersonArg, Problems, Validate};
use super::{tool, wa_error, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::ids::AccountId;
use crate::wa::ChatState;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PresenceArg {
    /// Shown as online.
    Online,
    /// Shown as offline ("last seen").
    Offline,
    /// "typing…" in a chat.
    Typing,
    /// "recording audio…" in a chat.
    Recording,
    /// Stop typing or recording in a chat.
    Paused,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SetArgs {
    /// online, offline, typing, recording or paused.
    state: PresenceArg,
    /// The chat, for typing, recording and paused.
    chat: Option<ChatRefArg>,
    account_id: Option<AccountId>,
}

impl Validate for SetArgs {
    fn validate(&self, p: &mut Problems) {
        let in_chat = matches!(
            self.state,
            PresenceArg::Typing | PresenceArg::Recording | PresenceArg::Paused
        );
        if in_chat && self.chat.is_none() {
            p.push((
                "chat".into(),
                "typing, recording and paused happen in a chat: give `chat`".into(),
            ));
        }
        if !in_chat && self.chat.is_some() {
            p.push(("chat".into(), "online and offline are not per chat".into()));
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// The person: contact ID (ct_…) or phone number (E.164).
    contact: PersonArg,
    account_id: Option<AccountId>,
    /// How long to wait for a fresh answer from WhatsApp (0 to 10000 ms, default 2000).
    wait_ms: Option<u64>,
}

impl Validate for GetArgs {
    fn validate(&self, p: &mut Problems) {
        if self.wait_ms.is_some_and(|w| w > 10_000) {
            p.push(("wait_ms".into(), "at most 10000".into()));
        }
    }
}

async fn set_presence(ctx: Ctx, a: SetArgs) -> ToolResult<Output> {
    let state = match a.state {
        PresenceArg::Online | PresenceArg::Offline => {
            let account = ctx.account(a.account_id.as_ref())?;
            let client = ctx.client(&account.id)?;
            client
                .set_presence(a.state == PresenceArg::Online)
                .await
                .map_err(wa_error)?;
            return Output::json(json!({ "account_id": account.id, "state": a.state_name() }));
        }
        PresenceArg::Typing => ChatState::Typing,
        PresenceArg::Recording => ChatState::Recording,
        PresenceArg::Paused => ChatState::Paused,
    };
    let chat_arg = a.chat.as_ref().ok_or_else(|| ToolError::invalid("chat", "required"))?;
    let chat = ctx.chat(a.account_id.as_ref(), chat_arg)?;
    let client = ctx.client(&chat.account_id)?;
    client.send_chat_state(&chat.jid, state).await.map_err(wa_error)?;
    Output::json(json!({ "chat_id": chat.id, "state": a.state_name() }))
}

impl SetArgs {
    fn state_name(&self) -> &'static str {
        match self.state {
            PresenceArg::Online => "online",
            PresenceArg::Offline => "offline",
            PresenceArg::Typing => "typing",
            PresenceArg::Recording => "recording",
            PresenceArg::Paused => "paused",
        }
    }
}

async fn get_contact_presence(ctx: Ctx, a: GetArgs) -> ToolResult<Output> {
    let (account, jid, id) = ctx.person(a.account_id.as_ref(), &a.contact)?;
    let client = ctx.client(&account.id)?;
    let id = match id {
        Some(id) => id,
        None => ctx.write(|tx, _| crate::store::contacts::ensure(tx, &account.id, &jid))?,
    };
    let before = ctx.engine.presence.get(&account.id, &id).map(|p| p.updated_at);
    // WhatsApp answers a presence subscription with the current state.
    let mut events = ctx.engine.bus.subscribe();
    client.subscribe_presence(&jid).await.map_err(wa_error)?;
    let wait = Duration::from_millis(a.wait_ms.unwrap_or(2_000));
    let deadline = tokio::time::Instant::now() + wait;
    while ctx.engine.presence.get(&account.id, &id).map(|p| p.updated_at) == before {
        if tokio::time::timeout_at(deadline, events.recv()).await.is_err() {
            break;
        }
    }
    let state = ctx.engine.presence.get(&account.id, &id);
    Output::json(json!({
        "contact_id": id,
        "known": state.is_some(),
        "presence": state,
        "note": "people can hide their last seen and online status; then WhatsApp does not tell",
    }))
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("set_presence", "Set presence", Family::Presence, Effect::Write,
            "Show this account as online or offline, or show typing…/recording… (or stop: paused) in a chat.",
            set_presence).sends(),
        tool("get_contact_presence", "Get a contact's presence", Family::Presence, Effect::Read,
            "Ask whether a person is online (or typing), or when they were last seen, waiting briefly for WhatsApp's answer. People who hide it report nothing.",
            get_contact_presence),
    ]
}
