//! "Ask me first": the gate's third answer. A call of a tool switched to `ask` that
//! changes what other people see waits, bounded (`approval_timeout_s`), for a person
//! to say yes or no. The person can answer in three places, and the first answer
//! wins: the window, the agent's own client (MCP elicitation), and the command line
//! of any process on this machine (`whatsapp-use approvals approve`).
//!
//! Every approval is a row of the store, so any process can list and answer it; the
//! call that waits notices an answer at once when it comes from this process, and
//! within [`POLL`] when it comes from another. The call that asked records the
//! outcome in the audit log and announces it (`approval.resolved`).

pub mod summary;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{broadcast, Notify};

use crate::audit::{AuditLog, Entry};
use crate::events::{EventBus, EventType};
use crate::ids::{AccountId, ApprovalId, ChatId, KeyId};
use crate::keys::Principal;
use crate::store::approvals::{self as table, Approval, Status};
use crate::store::{settings, Store, StoreResult};
use crate::time::{now_ms, Millis};
use crate::tools::progress::Progress;
pub use summary::Summary;

/// Setting: how long an asked call waits for an answer, in seconds.
pub const TIMEOUT_SETTING: &str = "approval_timeout_s";
pub const DEFAULT_TIMEOUT_S: u64 = 300;
/// How often a waiting call looks for an answer another process wrote.
const POLL: Duration = Duration::from_millis(200);
/// How often a waiting call tells a client that asked for progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What a person answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Approve,
    Deny {
        reason: Option<String>,
    },
    /// Approve, and from now on let this key send to this chat without asking.
    AlwaysAllowChat,
}

/// Where the answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Window,
    /// The agent's own client (MCP elicitation).
    Client,
    Cli,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Window => "window",
            Self::Client => "client",
            Self::Cli => "cli",
        }
    }
}

/// How an asked call ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Denied { reason: Option<String> },
    TimedOut,
}

/// The agent's own client, when it can ask the person itself (it declared the
/// MCP elicitation capability). `None`: it could not, or the person dismissed it.
#[async_trait]
pub trait AskClient: Send + Sync {
    async fn ask(&self, approval: &ApprovalId, summary: &Summary, timeout: Duration) -> Option<Answer>;
}

/// A call that needs a yes.
pub struct Request<'a> {
    pub principal: &'a Principal,
    pub tool: &'a str,
    pub account: Option<AccountId>,
    pub summary: Summary,
    /// The call's idempotency key: a retry with it joins the pending approval.
    pub slot: Option<String>,
    pub progress: &'a Progress,
    pub client: Option<Arc<dyn AskClient>>,
}

/// A pending approval as the window and the command line show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ApprovalView {
    pub id: ApprovalId,
    pub tool: String,
    pub key_id: KeyId,
    pub account_id: Option<AccountId>,
    pub chat_id: Option<ChatId>,
    /// One line for a terminal.
    pub summary: String,
    /// Everything the person is shown.
    pub details: Summary,
    pub created_at: String,
    pub expires_at: String,
}

impl ApprovalView {
    fn of(a: Approval) -> Self {
        let details: Summary = serde_json::from_value(a.summary).unwrap_or_default();
        Self {
            id: a.id,
            tool: a.tool,
            key_id: a.key_id,
            account_id: a.account_id,
            chat_id: a.chat_id,
            summary: details.plain(),
            details,
            created_at: crate::time::to_iso(a.created_at),
            expires_at: crate::time::to_iso(a.expires_at),
        }
    }
}

/// Every approval waiting for an answer (any process may call this).
pub fn pending(store: &Store) -> StoreResult<Vec<ApprovalView>> {
    Ok(store.read(table::pending)?.into_iter().map(ApprovalView::of).collect())
}

/// Answers an approval from any process: `Ok(false)` when it had an answer already
/// (the first answer wins), or no longer exists.
pub fn answer(store: &Store, id: &ApprovalId, answer: &Answer, channel: Channel) -> StoreResult<bool> {
    store.write(|tx| {
        let Some(a) = table::get(tx, id)? else { return Ok(false) };
        let (status, reason) = match answer {
            Answer::Approve | Answer::AlwaysAllowChat => (Status::Approved, None),
            Answer::Deny { reason } => (Status::Denied, reason.as_deref()),
        };
        let won = table::decide(tx, id, status, channel.as_str(), reason, now_ms())?;
        if let (true, Answer::AlwaysAllowChat, Some(chat)) = (won, answer, &a.chat_id) {
            table::allow(tx, &a.key_id, chat, now_ms())?;
        }
        Ok(won)
    })
}

#[derive(Clone)]
pub struct Approvals {
    store: Store,
    bus: EventBus,
    audit: AuditLog,
    /// Wakes waiting calls when this process answered.
    answered: Arc<Notify>,
    /// Fires when the pending list changed (the window refreshes).
    changes: broadcast::Sender<()>,
}

impl Approvals {
    pub fn new(store: Store, bus: EventBus, audit: AuditLog) -> Self {
        let (changes, _) = broadcast::channel(64);
        Self {
            store,
            bus,
            audit,
            answered: Arc::default(),
            changes,
        }
    }

    pub fn changes(&self) -> broadcast::Receiver<()> {
        self.changes.subscribe()
    }

    /// Answers in this process (the window): the waiting call goes on at once.
    pub fn answer(&self, id: &ApprovalId, a: &Answer, channel: Channel) -> StoreResult<bool> {
        let won = answer(&self.store, id, a, channel)?;
        self.answered.notify_waiters();
        let _ = self.changes.send(());
        Ok(won)
    }

    /// Approvals a previous run left pending: nobody waits for them any more.
    pub fn expire_stale(&self) -> StoreResult<usize> {
        let stale = self.store.read(table::pending)?;
        let now = now_ms();
        self.store.write(|tx| {
            let mut n = 0;
            for a in &stale {
                n += usize::from(table::decide(tx, &a.id, Status::TimedOut, "restart", None, now)?);
            }
            Ok(n)
        })
    }

    /// How long an asked call waits.
    pub fn timeout(&self) -> Duration {
        let secs = self
            .store
            .read(|c| settings::get::<u64>(c, TIMEOUT_SETTING))
            .ok()
            .flatten()
            .unwrap_or(DEFAULT_TIMEOUT_S);
        Duration::from_secs(secs)
    }

    /// Asks a person (or joins the pending approval of the same call), and waits for
    /// the answer, the deadline, or whichever comes first.
    pub async fn ask(&self, req: Request<'_>) -> StoreResult<Outcome> {
        let key = &req.principal.key_id;
        let joined = match &req.slot {
            Some(slot) => self.store.read(|c| table::pending_for_slot(c, key, slot))?,
            None => None,
        };
        let asked = joined.is_none();
        let approval = match joined {
            Some(a) => a,
            None => self.open(&req)?,
        };
        let id = approval.id.clone();
        let mut client = req.client.clone().filter(|_| asked).map(|c| {
            let (id, summary) = (id.clone(), req.summary.clone());
            let left = Duration::from_millis((approval.expires_at - now_ms()).max(0) as u64);
            tokio::spawn(async move { c.ask(&id, &summary, left).await })
        });
        let started = now_ms();
        let mut last_progress = tokio::time::Instant::now();
        let row = loop {
            let row = self.store.read(|c| table::get(c, &id))?;
            let Some(row) = row else {
                // Gone (the account was deleted): nobody may answer now.
                return Ok(Outcome::TimedOut);
            };
            if row.status != Status::Pending {
                break row;
            }
            if now_ms() >= row.expires_at {
                self.store
                    .write(|tx| table::decide(tx, &id, Status::TimedOut, "timeout", None, now_ms()))?;
                continue;
            }
            if last_progress.elapsed() >= PROGRESS_EVERY {
                last_progress = tokio::time::Instant::now();
                let waited = (now_ms() - started) as f64 / 1000.0;
                let total = (row.expires_at - started) as f64 / 1000.0;
                req.progress
                    .report(waited, Some(total), "waiting for a person to approve")
                    .await;
            }
            let wake = self.answered.notified();
            tokio::select! {
                () = wake => {}
                () = tokio::time::sleep(POLL) => {}
                said = async { client.as_mut().expect("some").await }, if client.is_some() => {
                    client = None;
                    if let Ok(Some(a)) = said {
                        self.answer(&id, &a, Channel::Client)?;
                    }
                }
            }
        };
        if let Some(c) = client {
            c.abort();
        }
        if asked {
            self.resolved(&row, req.principal, req.account.as_ref());
        }
        Ok(match row.status {
            Status::Approved => Outcome::Approved,
            Status::Denied => Outcome::Denied { reason: row.reason },
            Status::TimedOut | Status::Pending => Outcome::TimedOut,
        })
    }

    fn open(&self, req: &Request<'_>) -> StoreResult<Approval> {
        let now = now_ms();
        let approval = Approval {
            id: ApprovalId::random(),
            key_id: req.principal.key_id.clone(),
            tool: req.tool.to_owned(),
            account_id: req.account.clone(),
            chat_id: req.summary.chat().cloned(),
            summary: serde_json::to_value(&req.summary).unwrap_or_default(),
            slot: req.slot.clone(),
            status: Status::Pending,
            channel: None,
            reason: None,
            created_at: now,
            expires_at: now + self.timeout().as_millis() as Millis,
            decided_at: None,
        };
        self.bus.write(&self.store, |tx, em| {
            table::insert(tx, &approval)?;
            if let Some(account) = &req.account {
                let view = ApprovalView::of(approval.clone());
                em.emit(
                    tx,
                    EventType::ApprovalRequested,
                    account,
                    approval.chat_id.as_ref(),
                    now,
                    json!({ "approval": view }),
                )?;
            }
            Ok(())
        })?;
        let _ = self.changes.send(());
        Ok(approval)
    }

    /// Records the outcome: the audit log (who asked, what, which channel answered,
    /// when, the decision) and the `approval.resolved` event.
    fn resolved(&self, a: &Approval, asker: &Principal, account: Option<&AccountId>) {
        let decided = a.decided_at.unwrap_or_else(now_ms);
        self.audit.record(Entry {
            at: decided,
            key_id: asker.key_id.clone(),
            key_name: asker.key_name.clone(),
            tool: "approval".into(),
            args: json!({
                "approval_id": a.id, "tool": a.tool, "channel": a.channel, "reason": a.reason,
                "asked_at": crate::time::to_iso(a.created_at),
            }),
            outcome: a.status.as_str().into(),
            duration_ms: decided - a.created_at,
        });
        if let Some(account) = account {
            let resolved = self.bus.write(&self.store, |tx, em| {
                em.emit(
                    tx,
                    EventType::ApprovalResolved,
                    account,
                    a.chat_id.as_ref(),
                    decided,
                    json!({
                        "approval_id": a.id, "tool": a.tool, "status": a.status,
                        "channel": a.channel, "reason": a.reason,
                    }),
                )
            });
            if let Err(e) = resolved {
                tracing::warn!(error = %e, "could not announce an approval's outcome");
            }
        }
        let _ = self.changes.send(());
    }
}
