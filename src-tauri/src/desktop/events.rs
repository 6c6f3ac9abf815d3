//! Typed events the window listens to.

use serde::{Deserialize, Serialize};
use wuse_engine::control::activity::ActivityItem;
use wuse_engine::ids::AccountId;

/// An account's status or pairing state changed: refetch it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct AccountsChanged {
    pub account_id: AccountId,
}

/// Something new for the Activity page.
#[derive(Debug, Clone, Serialize, specta::Type, tauri_specta::Event)]
pub struct ActivityAppended {
    pub item: ActivityItem,
}

/// Which tools agents may use changed (or agent access was paused or resumed).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ToolsChanged {}

/// Calls waiting for a person's yes came or went: refetch them.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ApprovalsChanged {
    /// How many wait now.
    pub pending: u32,
}
