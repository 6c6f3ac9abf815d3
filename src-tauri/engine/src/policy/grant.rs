//! What an admitted agent holds: its key as it is now, and the rules that apply as a
//! handler resolves which accounts and chats a call touches.

use std::sync::Arc;

use super::denial::{Denied, Rule};
use super::switches::Snapshot;
use super::{access, Policy};
use crate::error::ErrorCode;
use crate::events::EventType;
use crate::ids::{AccountId, ChatId};
use crate::keys::Principal;
use crate::model::AccountKind;
use crate::store::api_keys::KeyMode;

#[derive(Clone)]
pub struct Grant {
    pub(super) principal: Principal,
    pub(super) snapshot: Arc<Snapshot>,
    pub(super) policy: Policy,
}

impl Grant {
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The kind of accounts this key reaches: a live key live ones, a test key the
    /// sandbox's.
    pub fn kind(&self) -> AccountKind {
        kind_of_key(self.principal.mode)
    }

    /// An account of `kind` may be used by this key.
    pub fn account(&self, kind: AccountKind) -> Result<(), Denied> {
        if kind == self.kind() {
            return Ok(());
        }
        Err(Denied::new(
            ErrorCode::Forbidden,
            Rule::AccountKind,
            format!(
                "a {} key may not use {} accounts",
                self.principal.mode.as_str(),
                kind.as_str()
            ),
        ))
    }

    /// Whether the key may see events and data of `account` (unknown accounts: no).
    pub fn sees_account(&self, account: &AccountId) -> Result<bool, Denied> {
        Ok(self.policy.account_kind(account)? == Some(self.kind()))
    }

    /// The chats this key is limited to, if it is.
    pub fn allowed_chats(&self) -> Option<&[ChatId]> {
        self.principal.chats.as_deref().map(Vec::as_slice)
    }

    /// A chat the key may see; others do not exist for it (`shown_as` is how the
    /// agent named it).
    pub fn chat(&self, chat: &ChatId, shown_as: &dyn std::fmt::Display) -> Result<(), Denied> {
        if may_see_chat(&self.principal, chat) {
            Ok(())
        } else {
            Err(Denied::chat_hidden(shown_as))
        }
    }

    pub fn sees_chat(&self, chat: &ChatId) -> bool {
        may_see_chat(&self.principal, chat)
    }

    /// A key limited to some chats cannot start new ones.
    pub fn start_chat(&self) -> Result<(), Denied> {
        if self.allowed_chats().is_none() {
            return Ok(());
        }
        Err(Denied::new(
            ErrorCode::Forbidden,
            Rule::ChatNotAllowed,
            "this key may only use the chats it was given; it cannot start new ones",
        ))
    }

    /// Takes one call from the key's rate limit (tool calls and resource reads).
    pub fn charge(&self) -> Result<(), Denied> {
        match self
            .policy
            .limits
            .call(&self.policy.store, self.principal.key_id.as_str())
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(wait)) => Err(Denied::limited(
                Rule::RateLimit,
                wait,
                format!("too many calls for this key; retry in {wait} ms"),
            )),
            Err(e) => Err(Denied::internal("the rate limit", &e)),
        }
    }

    /// The anti-ban limit on messages to chats with no history, per account.
    pub fn new_chat_send(&self, account: &AccountId) -> Result<(), Denied> {
        match self.policy.limits.new_chat_send(&self.policy.store, account.as_str()) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(wait)) => Err(Denied::limited(
                Rule::SendLimit,
                wait,
                format!(
                    "this account sent to too many new chats in the last minute (a WhatsApp ban risk); retry in {wait} ms"
                ),
            )),
            Err(e) => Err(Denied::internal("the send limit", &e)),
        }
    }

    /// The event types this key may read (in `get_events` and the events resource, as
    /// in pushed notifications).
    pub fn event_types(&self) -> Vec<EventType> {
        EventType::ALL
            .iter()
            .copied()
            .filter(|k| self.snapshot.tool_on(access::tool_for_event(*k)))
            .collect()
    }

    /// The event types asked for (`None`: all), cut to what the key may read; `None`
    /// again when that is every type.
    pub fn readable_types(&self, asked: Option<Vec<EventType>>) -> Option<Vec<EventType>> {
        let allowed = self.event_types();
        match asked {
            Some(t) => Some(t.into_iter().filter(|k| allowed.contains(k)).collect()),
            None if allowed.len() == EventType::ALL.len() => None,
            None => Some(allowed),
        }
    }

    /// Whether a tool is on for this key (as of admission).
    pub fn tool_on(&self, tool: &str) -> bool {
        self.snapshot.tool_on(tool)
    }

    /// Whether a call of `tool` waits for a person's yes (its switch says `ask`).
    /// The gate's third answer: allow, deny, ask.
    pub fn asks(&self, tool: &str) -> bool {
        self.snapshot.state(tool) == super::ToolState::Ask
    }

    /// Whether the person said "always allow this key in this chat"; a store that
    /// cannot be read says no (the call then asks).
    pub fn always_allowed(&self, chat: &ChatId) -> bool {
        self.policy
            .store
            .read(|c| crate::store::approvals::allowed(c, &self.principal.key_id, chat))
            .unwrap_or(false)
    }
}

pub(super) fn kind_of_key(mode: KeyMode) -> AccountKind {
    match mode {
        KeyMode::Live => AccountKind::Live,
        KeyMode::Test => AccountKind::Sandbox,
    }
}

pub(super) fn may_see_chat(principal: &Principal, chat: &ChatId) -> bool {
    principal.chats.as_ref().is_none_or(|c| c.contains(chat))
}
