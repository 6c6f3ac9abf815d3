use serde::{Deserialize, Serialize};

use crate::ids::AccountId;
use crate::phone::Phone;
use crate::time::{iso, Millis};
use crate::wa::Jid;

/// Whether an account is a real WhatsApp account or lives in the sandbox network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum AccountKind {
    Live,
    Sandbox,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Sandbox => "sandbox",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(Self::Live),
            "sandbox" => Some(Self::Sandbox),
            _ => None,
        }
    }
}

/// The account's connection state machine (SPEC `get_account_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum AccountStatus {
    /// Waiting for the phone to scan the QR code or enter the pairing code.
    Pairing,
    Connected,
    /// Paired, but the connection is down (reconnects on its own or by `reconnect_account`).
    Disconnected,
    /// A pairing attempt ran out of QR codes before the phone scanned one.
    Expired,
    /// Unlinked from the phone (by us or the phone); pair again to use it.
    LoggedOut,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pairing => "pairing",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::Expired => "expired",
            Self::LoggedOut => "logged_out",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pairing" => Self::Pairing,
            "connected" => Self::Connected,
            "disconnected" => Self::Disconnected,
            "expired" => Self::Expired,
            "logged_out" => Self::LoggedOut,
            _ => return None,
        })
    }
    /// Whether the account has a device identity (it was paired and not logged out).
    pub fn is_paired(self) -> bool {
        matches!(self, Self::Connected | Self::Disconnected)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub status: AccountStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(with = "iso")]
    pub created_at: Millis,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub paired_at: Option<Millis>,
    #[serde(with = "iso::option", skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<Millis>,
    /// Logged out here, but WhatsApp has not confirmed the unlink yet: the device
    /// stays linked on the phone, its keys are kept, and the unlink is sent again on
    /// the next connection.
    #[serde(skip_serializing_if = "super::is_false")]
    pub logout_pending: bool,
    #[serde(skip)]
    pub jid: Option<Jid>,
    #[serde(skip)]
    pub lid: Option<Jid>,
}
