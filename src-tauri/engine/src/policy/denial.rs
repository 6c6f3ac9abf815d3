//! A refusal by the gate: the SPEC error code an agent sees, and the rule that said no.

use crate::error::{ErrorCode, ToolError};

/// Which rule denied. Stable names: they are part of the error body (`rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The key was revoked (or never existed).
    Revoked,
    /// Agent access is paused.
    Paused,
    /// A tool the access needs is turned off for this key.
    ToolOff,
    /// A live key and a sandbox account, or the other way round.
    AccountKind,
    /// The key is limited to some chats, and this is not one of them.
    ChatNotAllowed,
    /// Too many calls for this key.
    RateLimit,
    /// Too many messages to new chats for this account (a WhatsApp ban risk).
    SendLimit,
    /// The gate could not decide (the store could not be read): it denies.
    Internal,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Paused => "paused",
            Self::ToolOff => "tool_off",
            Self::AccountKind => "account_kind",
            Self::ChatNotAllowed => "chat_not_allowed",
            Self::RateLimit => "rate_limit",
            Self::SendLimit => "send_limit",
            Self::Internal => "internal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({}): {message}", code.as_str(), rule.as_str())]
pub struct Denied {
    pub code: ErrorCode,
    pub rule: Rule,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl Denied {
    pub fn new(code: ErrorCode, rule: Rule, message: impl Into<String>) -> Self {
        Self {
            code,
            rule,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    pub fn revoked() -> Self {
        Self::new(ErrorCode::Unauthorized, Rule::Revoked, "this API key was revoked")
    }

    pub fn paused() -> Self {
        Self::new(
            ErrorCode::Forbidden,
            Rule::Paused,
            "agent access is paused in WhatsApp-Use; the user can resume it from the window or tray",
        )
    }

    pub fn tool_off(tool: &str, needed_by: Option<&str>) -> Self {
        let message = match needed_by {
            Some(what) => format!("{what} needs the tool `{tool}`, which is turned off for this key"),
            None => format!("the tool `{tool}` is turned off for this key"),
        };
        Self::new(ErrorCode::Forbidden, Rule::ToolOff, message)
    }

    /// Chats outside a key's allowlist do not exist for it.
    pub fn chat_hidden(shown_as: &dyn std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::NotFound,
            Rule::ChatNotAllowed,
            format!("chat {shown_as} does not exist"),
        )
    }

    pub fn limited(rule: Rule, retry_after_ms: u64, message: impl Into<String>) -> Self {
        let mut d = Self::new(ErrorCode::RateLimited, rule, message);
        d.retry_after_ms = Some(retry_after_ms);
        d
    }

    /// The gate could not read what it decides from: deny, and say so in the log.
    pub fn internal(what: &str, error: &dyn std::fmt::Display) -> Self {
        tracing::error!(%error, "access denied: could not read {what}");
        Self::new(
            ErrorCode::ServerError,
            Rule::Internal,
            "WhatsApp-Use could not check this key's permissions, so it refused; the details are in its log",
        )
    }
}

impl From<Denied> for ToolError {
    fn from(d: Denied) -> Self {
        let mut e = ToolError::new(d.code, d.message);
        e.retry_after_ms = d.retry_after_ms;
        // A hidden chat reads exactly as a missing one: naming the rule would tell the
        // agent that the chat exists.
        let hidden = d.rule == Rule::ChatNotAllowed && d.code == ErrorCode::NotFound;
        e.rule = (!hidden).then(|| d.rule.as_str());
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agents see the rule that refused them, except where naming it would tell them
    /// that a chat outside their allowlist exists.
    #[test]
    fn agents_see_the_rule_but_not_a_hidden_chat() {
        let off: ToolError = Denied::tool_off("list_messages", None).into();
        assert_eq!((off.code, off.rule), (ErrorCode::Forbidden, Some("tool_off")));
        let hidden: ToolError = Denied::chat_hidden(&"+14155550123").into();
        assert_eq!((hidden.code, hidden.rule), (ErrorCode::NotFound, None));
        assert_eq!(hidden.message, ToolError::not_found("chat", "+14155550123").message);
        let limited: ToolError = Denied::limited(Rule::RateLimit, 1500, "slow down").into();
        assert_eq!((limited.rule, limited.retry_after_ms), (Some("rate_limit"), Some(1500)));
    }
}
