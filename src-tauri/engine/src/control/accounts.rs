//! Accounts as the window shows them, and pairing from the window.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{iso, iso_opt, ControlError, ControlResult};
use crate::engine::Engine;
use crate::ids::AccountId;
use crate::model::{Account, AccountKind, AccountStatus};
use crate::phone::Phone;
use crate::wa::PairMethod;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PairingView {
    pub method: String,
    pub qr: Option<String>,
    /// The QR code as a `data:image/png;base64,…` URL.
    pub qr_png: Option<String>,
    pub qr_expires_at: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AccountView {
    pub id: AccountId,
    pub kind: AccountKind,
    pub label: Option<String>,
    pub status: AccountStatus,
    pub status_detail: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub created_at: String,
    pub paired_at: Option<String>,
    pub connected_at: Option<String>,
    /// What the current session is catching up on: the phone's history push
    /// (chunks, messages, oldest date), the offline queue, chat settings.
    pub sync: crate::sync::SyncStatus,
    pub pairing: Option<PairingView>,
}

fn view(engine: &Engine, a: Account) -> AccountView {
    let pairing = engine.accounts.pairing(&a.id).map(|p| PairingView {
        method: p.method.into(),
        qr_png: p.qr.as_deref().and_then(crate::qr::png).map(|png| {
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            )
        }),
        qr: p.qr,
        qr_expires_at: iso_opt(p.qr_expires_at),
        code: p.code,
    });
    AccountView {
        sync: engine.accounts.sync_status(&a.id),
        id: a.id,
        kind: a.kind,
        label: a.label,
        status: a.status,
        status_detail: a.status_detail,
        phone: a.phone.map(|p| p.to_string()),
        name: a.push_name,
        created_at: iso(a.created_at),
        paired_at: iso_opt(a.paired_at),
        connected_at: iso_opt(a.connected_at),
        pairing,
    }
}

pub fn list(engine: &Engine) -> ControlResult<Vec<AccountView>> {
    Ok(engine
        .accounts
        .list(None)?
        .into_iter()
        .map(|a| view(engine, a))
        .collect())
}

pub fn get(engine: &Engine, id: &AccountId) -> ControlResult<AccountView> {
    let a = engine
        .accounts
        .get(id)?
        .ok_or_else(|| ControlError::invalid(format!("no account {id}")))?;
    Ok(view(engine, a))
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PairRequest {
    pub kind: AccountKind,
    /// Pair with a phone number code instead of a QR code.
    pub phone: Option<String>,
    pub label: Option<String>,
    /// Pair an existing (logged out or expired) account again.
    pub account_id: Option<AccountId>,
}

/// Starts pairing and waits (briefly) for the first QR or code to show.
pub async fn pair(engine: &Arc<Engine>, req: PairRequest) -> ControlResult<AccountView> {
    let method = match req.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => PairMethod::PhoneCode(Phone::parse(p).map_err(|e| ControlError::invalid(e.to_string()))?),
        None => PairMethod::Qr,
    };
    let label = req.label.as_deref().map(str::trim).filter(|l| !l.is_empty());
    let id = engine
        .accounts
        .pair(req.kind, method, label, req.account_id.as_ref())
        .await?;
    let accounts = &engine.accounts;
    accounts
        .wait_until(&id, Duration::from_secs(10), |a| {
            a.status != AccountStatus::Pairing
                || accounts
                    .pairing(&a.id)
                    .is_some_and(|p| p.qr.is_some() || p.code.is_some())
        })
        .await?;
    get(engine, &id)
}

pub async fn reconnect(engine: &Engine, id: &AccountId) -> ControlResult<()> {
    Ok(engine.accounts.reconnect(id).await?)
}

pub async fn logout(engine: &Engine, id: &AccountId) -> ControlResult<()> {
    Ok(engine.accounts.logout(id).await?)
}

pub async fn delete(engine: &Engine, id: &AccountId) -> ControlResult<()> {
    Ok(engine.accounts.delete(id).await?)
}

/// A chat to pick (for limiting a key to some chats).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ChatPick {
    pub id: crate::ids::ChatId,
    pub account_id: AccountId,
    pub name: String,
    pub kind: crate::model::ChatKind,
}

/// The most recently active chats of every account.
pub fn recent_chats(engine: &Engine, limit: u32) -> ControlResult<Vec<ChatPick>> {
    let accounts: Vec<AccountId> = engine.accounts.list(None)?.into_iter().map(|a| a.id).collect();
    let q = crate::store::chats::ChatQuery {
        accounts: &accounts,
        limit: limit.clamp(1, 500) as usize,
        ..Default::default()
    };
    let chats = engine.store.read(|c| crate::store::chats::list(c, &q))?;
    Ok(chats
        .into_iter()
        .map(|c| ChatPick {
            name: c
                .name
                .clone()
                .or_else(|| c.phone.as_ref().map(|p| p.to_string()))
                .unwrap_or_else(|| c.id.to_string()),
            id: c.id,
            account_id: c.account_id,
            kind: c.kind,
        })
        .collect())
}
