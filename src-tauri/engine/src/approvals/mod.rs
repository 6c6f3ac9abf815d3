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
/// How long past its deadline an approval nobody waits for stays open (a client on
/// multi round-trip that never called again), and how often they are looked for.
const SWEEP_GRACE_MS: Millis = 30_000;
const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// The channel of an approval the sweeper closed (and announced).
const SWEPT: &str = "expired";

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
    /// The approval a multi round-trip client's second call names (its
    /// `requestState`, checked with [`Approvals::belongs`]): this call waits on it.
    pub join: Option<ApprovalId>,
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

    /// Approvals a previous run left pending: nobody waits for them any more. Each is
    /// closed as timed out, in the audit log and the events like any other.
    pub fn expire_stale(&self) -> StoreResult<usize> {
        self.close_pending(|_| true, "restart")
    }

    /// Closes approvals past their deadline that nobody waits for: a client on multi
    /// round-trip was asked in a call's result and never called again.
    pub fn sweep(&self, now: Millis) -> StoreResult<usize> {
        let due = now - SWEEP_GRACE_MS;
        self.close_pending(|a| a.expires_at < due, SWEPT)
    }

    /// Sweeps now and then until shutdown.
    pub fn spawn_sweeper(&self, shutdown: tokio_util::sync::CancellationToken) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(SWEEP_EVERY) => {}
                    () = shutdown.cancelled() => return,
                }
                if let Err(e) = this.sweep(now_ms()) {
                    tracing::warn!(error = %e, "could not close expired approvals");
                }
            }
        });
    }

    fn close_pending(&self, due: impl Fn(&Approval) -> bool, channel: &str) -> StoreResult<usize> {
        let now = now_ms();
        let mut closed = 0;
        for a in self.store.read(table::pending)?.into_iter().filter(|a| due(a)) {
            let won = self
                .store
                .write(|tx| table::decide(tx, &a.id, Status::TimedOut, channel, None, now))?;
            let Some(row) = self.store.read(|c| table::get(c, &a.id))?.filter(|_| won) else {
                continue;
            };
            let key_name = self
                .store
                .read(|c| crate::store::api_keys::get(c, &row.key_id))?
                .map_or_else(|| row.key_id.to_string(), |k| k.name);
            self.resolved(&row, &key_name);
            closed += 1;
        }
        Ok(closed)
    }

    /// Whether approval `id` is the one `req` would ask for: the same key and tool, and
    /// what the person was shown is what this call would do (a multi round-trip
    /// client's `requestState` is not trusted).
    pub fn belongs(&self, id: &ApprovalId, req: &Request<'_>) -> StoreResult<bool> {
        let Some(a) = self.store.read(|c| table::get(c, id))? else {
            return Ok(false);
        };
        let shown = |v: &serde_json::Value| {
            let mut v = v.clone();
            if let Some(m) = v.as_object_mut() {
                m.remove("client");
            }
            v
        };
        let would = serde_json::to_value(&req.summary).unwrap_or_default();
        Ok(a.key_id == req.principal.key_id && a.tool == req.tool && shown(&a.summary) == shown(&would))
    }

    /// Opens the approval `req` needs (or finds the one its retry joins) without
    /// waiting: a multi round-trip client asks its person and calls again.
    pub fn open_or_join(&self, req: &Request<'_>) -> StoreResult<Approval> {
        match self.joined(req)? {
            Some(a) => Ok(a),
            None => self.open(req),
        }
    }

    /// The pending approval a retry with the same idempotency key joins.
    fn joined(&self, req: &Request<'_>) -> StoreResult<Option<Approval>> {
        match &req.slot {
            Some(slot) => self
                .store
                .read(|c| table::pending_for_slot(c, &req.principal.key_id, slot)),
            None => Ok(None),
        }
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
        // The call that asked (or, on multi round-trip, the one that names its
        // approval) waits for the answer and announces it; a retry only waits.
        let (approval, asked) = match &req.join {
            Some(id) => match self.store.read(|c| table::get(c, id))? {
                Some(a) => (a, true),
                None => return Ok(Outcome::TimedOut),
            },
            None => match self.joined(&req)? {
                Some(a) => (a, false),
                None => (self.open(&req)?, true),
            },
        };
        let id = approval.id.clone();
        let mut client = req.client.clone().filter(|_| asked && req.join.is_none()).map(|c| {
            let (id, summary) = (id.clone(), req.summary.clone());
            let left = Duration::from_millis((approval.expires_at - now_ms()).max(0) as u64);
            tokio::spawn(async move { c.ask(&id, &summary, left).await })
        });
        let started = now_ms();
        // Progress at once (the client learns why it waits), then every few seconds.
        let mut next_progress = tokio::time::Instant::now();
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
            if tokio::time::Instant::now() >= next_progress {
                next_progress = tokio::time::Instant::now() + PROGRESS_EVERY;
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
        // The sweeper announced what it closed.
        if asked && row.channel.as_deref() != Some(SWEPT) {
            self.resolved(&row, &req.principal.key_name);
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
    fn resolved(&self, a: &Approval, key_name: &str) {
        let decided = a.decided_at.unwrap_or_else(now_ms);
        self.audit.record(Entry {
            at: decided,
            key_id: a.key_id.clone(),
            key_name: key_name.to_owned(),
            tool: "approval".into(),
            args: json!({
                "approval_id": a.id, "tool": a.tool, "channel": a.channel, "reason": a.reason,
                "asked_at": crate::time::to_iso(a.created_at),
            }),
            outcome: a.status.as_str().into(),
            duration_ms: decided - a.created_at,
        });
        if let Some(account) = &a.account_id {
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
