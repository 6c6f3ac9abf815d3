//! Account tools: pair, list, inspect, reconnect, log out, delete.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::args::{Problems, Validate};
use super::{tool, Ctx, Effect, Family, Output, ToolSpec};
use crate::error::{ToolError, ToolResult};
use crate::ids::AccountId;
use crate::model::{Account, AccountStatus};
use crate::phone::Phone;
use crate::wa::PairMethod;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PairWith {
    /// Show a QR code to scan in WhatsApp > Linked devices.
    #[default]
    Qr,
    /// Get an 8-character code to type on the phone instead of scanning.
    PhoneCode,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairArgs {
    /// `qr` (default) or `phone_code`.
    #[serde(default)]
    method: PairWith,
    /// The account's phone number (E.164); required for `phone_code`.
    phone: Option<Phone>,
    /// A label for the account, e.g. "Work phone".
    label: Option<String>,
    /// Pair again an existing account that is logged out or expired.
    account_id: Option<AccountId>,
    /// Keep the call open up to this many seconds (max 120) until pairing finishes,
    /// reporting progress; 0 (default) returns at once with the QR code.
    wait_seconds: Option<u32>,
}

impl Validate for PairArgs {
    fn validate(&self, p: &mut Problems) {
        if self.method == PairWith::PhoneCode && self.phone.is_none() {
            p.push(("phone".into(), "required when method is `phone_code`".into()));
        }
        if self.wait_seconds.is_some_and(|w| w > 120) {
            p.push(("wait_seconds".into(), "at most 120".into()));
        }
        if self.label.as_ref().is_some_and(|l| l.chars().count() > 64) {
            p.push(("label".into(), "at most 64 characters".into()));
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountArg {
    /// The account (optional when the key reaches exactly one).
    account_id: Option<AccountId>,
}
impl Validate for AccountArg {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}
impl Validate for NoArgs {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    /// The account to delete (always required: this cannot be undone).
    account_id: AccountId,
}
impl Validate for DeleteArgs {}

/// The account as tools show it, with the pairing state while pairing.
fn account_view(ctx: &Ctx, account: &Account) -> serde_json::Value {
    let mut v = serde_json::to_value(account).unwrap_or_default();
    if let Some(p) = ctx.engine.accounts.pairing(&account.id) {
        v["pairing"] = serde_json::to_value(p).unwrap_or_default();
    }
    let sync = ctx.engine.accounts.sync_status(&account.id);
    if !sync.is_empty() {
        v["sync"] = serde_json::to_value(sync).unwrap_or_default();
    }
    v
}

fn with_qr(out: Output, ctx: &Ctx, account: &AccountId) -> Output {
    match ctx.engine.accounts.pairing(account).and_then(|p| p.qr) {
        Some(qr) => match crate::qr::png(&qr) {
            Some(png) => out.with_image("image/png", png),
            None => out,
        },
        None => out,
    }
}

async fn pair_account(ctx: Ctx, a: PairArgs) -> ToolResult<Output> {
    let method = match (a.method, a.phone) {
        (PairWith::PhoneCode, Some(p)) => PairMethod::PhoneCode(p),
        _ => PairMethod::Qr,
    };
    let by_code = matches!(method, PairMethod::PhoneCode(_));
    if let Some(id) = &a.account_id {
        ctx.account_by_id(id)?;
    }
    let accounts = &ctx.engine.accounts;
    let id = accounts
        .pair(ctx.kind(), method, a.label.as_deref(), a.account_id.as_ref())
        .await?;
    // The first QR code (or the pairing code) comes from the network a moment later.
    // WhatsApp offers QR codes during a phone-number link too; then the code is the answer.
    let first = accounts
        .wait_until(&id, Duration::from_secs(15), |acc| {
            acc.status != AccountStatus::Pairing
                || acc.status_detail.is_some()
                || accounts
                    .pairing(&acc.id)
                    .is_some_and(|p| if by_code { p.code.is_some() } else { p.qr.is_some() })
        })
        .await?;
    let wait = Duration::from_secs(u64::from(a.wait_seconds.unwrap_or(0)));
    let mut account = first.ok_or_else(|| ToolError::not_found("account", &id))?;
    if !wait.is_zero() && account.status == AccountStatus::Pairing {
        ctx.progress
            .report(0.0, Some(3.0), "waiting for the phone to scan the QR code")
            .await;
        let mut changes = accounts.changes();
        let deadline = tokio::time::Instant::now() + wait;
        let mut stage = 0.0;
        loop {
            account = accounts.get(&id)?.ok_or_else(|| ToolError::not_found("account", &id))?;
            if !matches!(account.status, AccountStatus::Pairing | AccountStatus::Disconnected) {
                break;
            }
            if account.paired_at.is_some() && stage < 2.0 {
                stage = 2.0;
                ctx.progress.report(2.0, Some(3.0), "paired; connecting").await;
            }
            match tokio::time::timeout_at(deadline, changes.recv()).await {
                Err(_) => break,
                Ok(Ok(changed)) if changed == id => {
                    if let Some(p) = accounts.pairing(&id) {
                        if p.qr.is_some() && stage < 1.0 {
                            stage = 1.0;
                            ctx.progress.report(1.0, Some(3.0), "QR code ready").await;
                        }
                    }
                }
                Ok(_) => {}
            }
        }
        if account.status == AccountStatus::Connected {
            ctx.progress.report(3.0, Some(3.0), "connected").await;
        }
    }
    let next = match account.status {
        AccountStatus::Pairing if account.status_detail.is_some() => {
            "WhatsApp cannot be reached yet (see status_detail); it keeps trying. Check the internet connection, then call get_account_status."
        }
        AccountStatus::Pairing => "Scan the QR code with WhatsApp on the phone (Settings > Linked devices > Link a device), or type the code; then call get_account_status.",
        AccountStatus::Connected => "Paired and connected. History syncs in the background.",
        AccountStatus::Expired => "No code was scanned in time: call pair_account again.",
        _ => "Call get_account_status to follow the pairing.",
    };
    let out = Output::json(json!({ "account": account_view(&ctx, &account), "next_step": next }))?;
    Ok(with_qr(out, &ctx, &id))
}

async fn list_accounts(ctx: Ctx, _: NoArgs) -> ToolResult<Output> {
    let accounts: Vec<_> = ctx.accounts()?.iter().map(|a| account_view(&ctx, a)).collect();
    Output::json(json!({ "accounts": accounts }))
}

async fn get_account(ctx: Ctx, a: AccountArg) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    let (chats, unread_chats, messages) = ctx.read(|c| crate::store::chats::account_stats(c, &account.id))?;
    let mut v = account_view(&ctx, &account);
    v["stats"] = json!({ "chats": chats, "unread_chats": unread_chats, "messages": messages });
    Output::json(json!({ "account": v }))
}

async fn get_account_status(ctx: Ctx, a: AccountArg) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    let pairing = ctx.engine.accounts.pairing(&account.id);
    let out = Output::json(json!({
        "account_id": account.id,
        "status": account.status,
        "status_detail": account.status_detail,
        "phone": account.phone,
        "pairing": pairing,
    }))?;
    Ok(with_qr(out, &ctx, &account.id))
}

async fn reconnect_account(ctx: Ctx, a: AccountArg) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    ctx.engine.accounts.reconnect(&account.id).await?;
    let account = ctx
        .engine
        .accounts
        .wait_until(&account.id, Duration::from_secs(10), |acc| {
            acc.status != AccountStatus::Disconnected
        })
        .await?
        .ok_or_else(|| ToolError::not_found("account", &account.id))?;
    Output::json(json!({ "account_id": account.id, "status": account.status, "status_detail": account.status_detail }))
}

async fn logout_account(ctx: Ctx, a: AccountArg) -> ToolResult<Output> {
    let account = ctx.account(a.account_id.as_ref())?;
    ctx.engine.accounts.logout(&account.id).await?;
    Output::json(json!({ "account_id": account.id, "status": AccountStatus::LoggedOut, "history_kept": true }))
}

async fn delete_account(ctx: Ctx, a: DeleteArgs) -> ToolResult<Output> {
    let account = ctx.account_by_id(&a.account_id)?;
    ctx.engine.accounts.delete(&account.id).await?;
    Output::json(json!({ "deleted": account.id }))
}

pub fn tools() -> Vec<ToolSpec> {
    vec![
        tool("pair_account", "Pair a WhatsApp account", Family::Accounts, Effect::Write,
            "Link a WhatsApp account as a new device. Returns a QR code (text and PNG image) to scan in WhatsApp > Settings > Linked devices, or with method `phone_code` a code to type on the phone. The QR code rotates; follow progress with get_account_status or pass wait_seconds. A test key pairs in the sandbox, whose phone scans by itself after a few seconds.",
            pair_account),
        tool("list_accounts", "List accounts", Family::Accounts, Effect::Read,
            "List the WhatsApp accounts this key can use, with their status (pairing, connected, disconnected, expired, logged_out) and phone number.",
            list_accounts),
        tool("get_account", "Get an account", Family::Accounts, Effect::Read,
            "Get one account: status, phone number, profile name, when it was paired and connected, and counts of chats, unread chats and messages.",
            get_account),
        tool("get_account_status", "Get account status", Family::Accounts, Effect::Read,
            "Get an account's connection status: pairing | connected | disconnected | expired | logged_out, with a reason when it is not connected, and the current QR code while pairing.",
            get_account_status),
        tool("reconnect_account", "Reconnect an account", Family::Accounts, Effect::Write,
            "Reconnect a paired account now (accounts also reconnect on their own with backoff). Returns the status after up to 10 seconds.",
            reconnect_account),
        tool("logout_account", "Log out an account", Family::Accounts, Effect::Destructive,
            "Unlink this device from the phone. The stored history stays; pair_account with account_id links it again.",
            logout_account),
        tool("delete_account", "Delete an account", Family::Accounts, Effect::Destructive,
            "Log out and permanently delete an account with all its chats, messages, contacts, media and events. Cannot be undone.",
            delete_account),
    ]
}
