//! What a person does from the window (and some of the command line): the engine's
//! operations as plain calls with view types ready to show. No GUI dependency; the
//! desktop shell turns these into typed commands, and tests call them headless.

pub mod accounts;
pub mod activity;
pub mod approvals;
pub mod clients;
pub mod keys;
pub mod settings;
pub mod tools;

use crate::time::{to_iso, Millis};

pub(crate) fn iso(ms: Millis) -> String {
    to_iso(ms)
}

pub(crate) fn iso_opt(ms: Option<Millis>) -> Option<String> {
    ms.map(to_iso)
}

/// A failure shown to the person: what went wrong, in words.
#[derive(Debug, Clone, serde::Serialize, thiserror::Error)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[error("{message}")]
pub struct ControlError {
    pub code: String,
    pub message: String,
}

impl From<crate::error::ToolError> for ControlError {
    fn from(e: crate::error::ToolError) -> Self {
        Self {
            code: e.code.as_str().into(),
            message: e.message,
        }
    }
}

impl From<crate::accounts::AccountError> for ControlError {
    fn from(e: crate::accounts::AccountError) -> Self {
        crate::error::ToolError::from(e).into()
    }
}

impl From<crate::store::StoreError> for ControlError {
    fn from(e: crate::store::StoreError) -> Self {
        Self {
            code: "server_error".into(),
            message: e.to_string(),
        }
    }
}

impl ControlError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            code: "invalid_request".into(),
            message: message.into(),
        }
    }
}

pub type ControlResult<T> = Result<T, ControlError>;
