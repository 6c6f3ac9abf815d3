//! The error model agents see (SPEC "Errors"): `{code, message, status, fields?}`.

use std::collections::BTreeMap;

use serde::Serialize;

/// Stable machine-readable error codes; each has one HTTP-like status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    AccountNotPaired,
    EditWindowExpired,
    InvalidRequest,
    MediaTooLarge,
    MediaExpired,
    RateLimited,
    SendFailed,
    PhoneUnreachable,
    ApprovalDenied,
    ApprovalTimeout,
    ServerError,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::AccountNotPaired | Self::EditWindowExpired => 409,
            Self::InvalidRequest => 400,
            Self::MediaTooLarge => 413,
            Self::MediaExpired => 410,
            Self::RateLimited => 429,
            Self::SendFailed => 502,
            Self::PhoneUnreachable => 504,
            Self::ApprovalDenied => 403,
            Self::ApprovalTimeout => 408,
            Self::ServerError => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::AccountNotPaired => "account_not_paired",
            Self::EditWindowExpired => "edit_window_expired",
            Self::InvalidRequest => "invalid_request",
            Self::MediaTooLarge => "media_too_large",
            Self::MediaExpired => "media_expired",
            Self::RateLimited => "rate_limited",
            Self::SendFailed => "send_failed",
            Self::PhoneUnreachable => "phone_unreachable",
            Self::ApprovalDenied => "approval_denied",
            Self::ApprovalTimeout => "approval_timeout",
            Self::ServerError => "server_error",
        }
    }
}

/// A failed tool call, as returned to the agent (`isError: true`).
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ToolError {
    pub code: ErrorCode,
    pub message: String,
    pub status: u16,
    /// For `invalid_request`: each bad argument and what is wrong with it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// For `rate_limited`: when to try again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// For a denial by the policy gate: which rule denied (`paused`, `tool_off`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// For `send_failed`: WhatsApp's error code (e.g. "479").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_code: Option<Box<str>>,
    /// For `approval_denied`: what the person said, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Box<str>>,
}

impl ToolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: code.status(),
            fields: BTreeMap::new(),
            retry_after_ms: None,
            rule: None,
            server_code: None,
            reason: None,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} {id} does not exist"))
    }

    pub fn not_paired(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccountNotPaired, message)
    }

    pub fn server(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ServerError, message)
    }

    /// One bad argument.
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::invalid_fields([(field.into(), problem.into())])
    }

    /// Several bad arguments at once.
    pub fn invalid_fields(fields: impl IntoIterator<Item = (String, String)>) -> Self {
        let fields: BTreeMap<String, String> = fields.into_iter().collect();
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let mut e = Self::new(
            ErrorCode::InvalidRequest,
            format!("invalid arguments: {}", names.join(", ")),
        );
        if fields.len() == 1 {
            let (k, v) = fields.iter().next().expect("one field");
            e.message = format!("invalid argument `{k}`: {v}");
        }
        e.fields = fields;
        e
    }

    pub fn rate_limited(retry_after_ms: u64, message: impl Into<String>) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, message);
        e.retry_after_ms = Some(retry_after_ms);
        e
    }
}

/// Errors of the storage layer become `server_error` for agents; the detail (which
/// may name files) goes to the log only.
impl From<crate::store::StoreError> for ToolError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "store error during tool call");
        Self::server(e.for_agents())
    }
}

pub type ToolResult<T> = Result<T, ToolError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    /// What an agent sees of a storage failure names no file of this machine.
    #[test]
    fn store_errors_reach_agents_without_paths() {
        let path = "/home/someone/.local/share/whatsapp-use/store.db".to_owned();
        for e in [
            StoreError::DiskFull { path: path.clone() },
            StoreError::ReadOnly {
                path: path.clone(),
                detail: "EROFS".into(),
            },
            StoreError::WrongKeyOrNotADatabase { path: path.clone() },
        ] {
            assert!(e.to_string().contains(&path), "the log keeps the detail");
            let seen = ToolError::from(e);
            assert_eq!(seen.code, ErrorCode::ServerError);
            assert!(!seen.message.contains('/'), "{}", seen.message);
        }
    }
}
