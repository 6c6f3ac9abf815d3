//! The account manager: one session per account, its status machine
//! (pairing | connected | disconnected | expired | logged_out), pairing, reconnects
//! with backoff, logout and deletion. Each session's events flow through one ingest
//! task, so an account's events are applied in order and a slow or broken account
//! never holds up another.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::events::{EventBus, EventType};
use crate::ids::AccountId;
use crate::ingest::Ingest;
use crate::model::{Account, AccountKind, AccountStatus};
use crate::on_demand::{Answer, OnDemand};
use crate::store::{self, Store, StoreError, StoreResult};
use crate::sync::SyncStatus;
use crate::time::{now_ms, Millis};
use crate::wa::{Delivery, DisconnectReason, EventSink, PairMethod, WaClient, WaError, WaEvent, WaNetwork};

/// Backend events buffered per account before a backend has to wait.
const EVENT_BUFFER: usize = 1024;
const MAX_BACKOFF_MS: u64 = 60_000;

/// What the account manager refuses or fails at. The tool layer maps it to the SPEC
/// error (`tools::account_error`); the manager itself knows nothing of tools.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("account {0} does not exist")]
    NotFound(AccountId),
    /// Not linked, or not connected right now; the text says why and what to do.
    #[error("{0}")]
    NotPaired(String),
    #[error("live WhatsApp accounts are not available in this build")]
    LiveUnavailable,
    /// The request does not fit the account (pairing one that is paired, say).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Network(#[from] WaError),
    /// A logout WhatsApp did not confirm (it is retried on the next connection).
    #[error("WhatsApp did not confirm the unlink: {0}")]
    UnlinkPending(WaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type AccountResult<T> = Result<T, AccountError>;

/// The networks accounts live on.
#[derive(Clone)]
pub struct Networks {
    pub sandbox: Arc<dyn WaNetwork>,
    pub live: Option<Arc<dyn WaNetwork>>,
}

impl Networks {
    fn of(&self, kind: AccountKind) -> AccountResult<&Arc<dyn WaNetwork>> {
        match kind {
            AccountKind::Sandbox => Ok(&self.sandbox),
            AccountKind::Live => self.live.as_ref().ok_or(AccountError::LiveUnavailable),
        }
    }
}

/// What the window and `pair_account` show while pairing.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Pairing {
    pub method: &'static str,
    /// The current QR code's text (render it, or use the PNG from `pair_account`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<String>,
    #[serde(with = "crate::time::iso::option", skip_serializing_if = "Option::is_none")]
    pub qr_expires_at: Option<Millis>,
    /// The code to type on the phone (WhatsApp > Linked devices > Link with phone number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

struct Runtime {
    epoch: u64,
    client: Option<Arc<dyn WaClient>>,
    pairing: Option<Pairing>,
    reconnect_attempts: u32,
    /// What the session is catching up on (history push, offline queue, app state).
    sync: SyncStatus,
}

struct Inner {
    store: Store,
    bus: EventBus,
    ingest: Ingest,
    networks: Networks,
    runtime: Mutex<HashMap<AccountId, Runtime>>,
    next_epoch: Mutex<u64>,
    changes: broadcast::Sender<AccountId>,
    shutdown: CancellationToken,
    kinds: Mutex<HashMap<AccountId, AccountKind>>,
    /// Requests for older messages waiting for the phone.
    on_demand: OnDemand,
}

#[derive(Clone)]
pub struct Accounts {
    inner: Arc<Inner>,
}

impl Accounts {
    pub fn new(store: Store, bus: EventBus, ingest: Ingest, networks: Networks, shutdown: CancellationToken) -> Self {
        let (changes, _) = broadcast::channel(256);
        Self {
            inner: Arc::new(Inner {
                store,
                bus,
                ingest,
                networks,
                runtime: Mutex::default(),
                next_epoch: Mutex::new(0),
                changes,
                shutdown,
                kinds: Mutex::default(),
                on_demand: OnDemand::default(),
            }),
        }
    }

    /// Fires with an account's ID whenever its status or pairing state changes.
    pub fn changes(&self) -> broadcast::Receiver<AccountId> {
        self.inner.changes.subscribe()
    }

    fn notify(&self, id: &AccountId) {
        let _ = self.inner.changes.send(id.clone());
    }

    pub fn get(&self, id: &AccountId) -> StoreResult<Option<Account>> {
        self.inner.store.read(|c| store::accounts::get(c, id))
    }

    /// An account's kind (cached: it never changes), for filtering events by key.
    pub fn kind_of(&self, id: &AccountId) -> Option<AccountKind> {
        if let Some(k) = self.inner.kinds.lock().get(id) {
            return Some(*k);
        }
        let kind = self.get(id).ok().flatten()?.kind;
        self.inner.kinds.lock().insert(id.clone(), kind);
        Some(kind)
    }

    pub fn list(&self, kind: Option<AccountKind>) -> StoreResult<Vec<Account>> {
        self.inner.store.read(|c| store::accounts::list(c, kind))
    }

    /// The phone's answer to a request for older messages, waited for up to `timeout`.
    pub async fn older_answer(&self, request: &str, timeout: Duration) -> Option<Answer> {
        self.inner.on_demand.wait(request, timeout).await
    }

    /// What the account's session is catching up on (empty when nothing ran).
    pub fn sync_status(&self, id: &AccountId) -> SyncStatus {
        self.inner
            .runtime
            .lock()
            .get(id)
            .map(|r| r.sync.clone())
            .unwrap_or_default()
    }

    fn update_sync(&self, id: &AccountId, f: impl FnOnce(&mut SyncStatus)) {
        if let Some(r) = self.inner.runtime.lock().get_mut(id) {
            f(&mut r.sync);
        }
        self.notify(id);
    }

    pub fn pairing(&self, id: &AccountId) -> Option<Pairing> {
        self.inner.runtime.lock().get(id).and_then(|r| r.pairing.clone())
    }

    /// Reconnects every paired account (at start-up). Pairing attempts a restart
    /// interrupted are marked expired.
    pub async fn start(&self) -> StoreResult<()> {
        for account in self.list(None)? {
            match account.status {
                AccountStatus::Connected | AccountStatus::Disconnected => {
                    if let Err(e) = self.connect(&account).await {
                        tracing::warn!(account = %account.id, error = %e, "could not reconnect");
                    }
                }
                AccountStatus::Pairing => {
                    self.set_status(
                        &account.id,
                        AccountStatus::Expired,
                        Some("pairing was interrupted by a restart"),
                        None,
                    )?;
                }
                AccountStatus::Expired | AccountStatus::LoggedOut => {}
            }
        }
        Ok(())
    }

    fn new_epoch(&self) -> u64 {
        let mut e = self.inner.next_epoch.lock();
        *e += 1;
        *e
    }

    /// A fresh event channel for a new session of `id`, with its ingest task.
    fn open_session(&self, id: &AccountId) -> (u64, EventSink) {
        let epoch = self.new_epoch();
        let (sink, rx) = EventSink::channel(id.clone(), EVENT_BUFFER);
        self.spawn_ingest(id.clone(), epoch, rx);
        (epoch, sink)
    }

    fn install(
        &self,
        id: &AccountId,
        epoch: u64,
        client: Option<Arc<dyn WaClient>>,
        pairing: Option<Pairing>,
    ) -> Option<Arc<dyn WaClient>> {
        let mut rt = self.inner.runtime.lock();
        let entry = rt.entry(id.clone()).or_insert(Runtime {
            epoch,
            client: None,
            pairing: None,
            reconnect_attempts: 0,
            sync: SyncStatus::default(),
        });
        entry.epoch = epoch;
        entry.pairing = pairing;
        std::mem::replace(&mut entry.client, client)
    }

    /// Starts pairing: a new account, or an existing one that was logged out or expired.
    pub async fn pair(
        &self,
        kind: AccountKind,
        method: PairMethod,
        label: Option<&str>,
        existing: Option<&AccountId>,
    ) -> AccountResult<AccountId> {
        let network = self.inner.networks.of(kind)?.clone();
        let id = match existing {
            Some(id) => {
                let account = self.get(id)?.ok_or_else(|| AccountError::NotFound(id.clone()))?;
                // Who may pair which account is the gate's (the caller holds a grant);
                // this only keeps a test account from being paired as live, or back.
                if account.kind != kind {
                    return Err(AccountError::Invalid(format!(
                        "account {id} is a {} account, not {}",
                        account.kind.as_str(),
                        kind.as_str()
                    )));
                }
                if account.status.is_paired() {
                    return Err(AccountError::Invalid(format!(
                        "the account is already paired ({}); log it out first to pair again",
                        account.status.as_str()
                    )));
                }
                if let Some(label) = label {
                    self.inner
                        .store
                        .write(|tx| store::accounts::set_label(tx, id, Some(label)))?;
                }
                id.clone()
            }
            None => {
                let id = AccountId::random();
                self.inner
                    .store
                    .write(|tx| store::accounts::insert(tx, &id, kind, label))?;
                id
            }
        };
        let (epoch, sink) = self.open_session(&id);
        let method_name = match method {
            PairMethod::Qr => "qr",
            PairMethod::PhoneCode(_) => "phone_code",
        };
        self.install(
            &id,
            epoch,
            None,
            Some(Pairing {
                method: method_name,
                ..Default::default()
            }),
        );
        self.set_status(&id, AccountStatus::Pairing, None, None)?;
        match network.pair(&id, method, sink).await {
            Ok(client) => {
                let old = self.install(&id, epoch, Some(client), self.pairing(&id));
                if let Some(old) = old {
                    old.disconnect().await;
                }
                Ok(id)
            }
            Err(e) => {
                self.set_status(&id, AccountStatus::Expired, Some(&e.to_string()), None)?;
                Err(e.into())
            }
        }
    }

    async fn connect(&self, account: &Account) -> AccountResult<()> {
        let network = self.inner.networks.of(account.kind)?.clone();
        let (epoch, sink) = self.open_session(&account.id);
        let old = self.install(&account.id, epoch, None, None);
        if let Some(old) = old {
            old.disconnect().await;
        }
        if account.status == AccountStatus::Connected {
            self.set_status(
                &account.id,
                AccountStatus::Disconnected,
                Some("reconnecting"),
                Some((
                    EventType::AccountDisconnected,
                    json!({ "reason": "requested", "detail": "reconnecting" }),
                )),
            )?;
        }
        match network.connect(&account.id, sink).await {
            Ok(client) => {
                self.install(&account.id, epoch, Some(client), None);
                Ok(())
            }
            Err(WaError::LoggedOut) => {
                self.logged_out(&account.id, "the phone no longer knows this device")?;
                Err(AccountError::NotPaired(
                    "the account is logged out; pair it again".into(),
                ))
            }
            Err(e) => {
                self.set_status(&account.id, AccountStatus::Disconnected, Some(&e.to_string()), None)?;
                self.schedule_reconnect(account.id.clone(), epoch);
                Err(e.into())
            }
        }
    }

    /// The session of a connected account, or `account_not_paired` saying why not.
    pub fn client(&self, id: &AccountId) -> AccountResult<Arc<dyn WaClient>> {
        let account = self.get(id)?.ok_or_else(|| AccountError::NotFound(id.clone()))?;
        if account.status != AccountStatus::Connected {
            let why = match account.status {
                AccountStatus::Pairing => {
                    "the account is still pairing: scan the QR code or enter the code first".to_owned()
                }
                AccountStatus::Disconnected => format!(
                    "the account is disconnected{}; it reconnects on its own, or call reconnect_account",
                    account.status_detail.map(|d| format!(" ({d})")).unwrap_or_default()
                ),
                AccountStatus::Expired => {
                    "pairing expired before the phone scanned a code; call pair_account again".to_owned()
                }
                AccountStatus::LoggedOut => "the account is logged out; call pair_account to link it again".to_owned(),
                AccountStatus::Connected => unreachable!(),
            };
            return Err(AccountError::NotPaired(why));
        }
        self.inner
            .runtime
            .lock()
            .get(id)
            .and_then(|r| r.client.clone())
            .ok_or_else(|| AccountError::NotPaired("the account has no open session; call reconnect_account".into()))
    }

    pub async fn reconnect(&self, id: &AccountId) -> AccountResult<()> {
        let account = self.get(id)?.ok_or_else(|| AccountError::NotFound(id.clone()))?;
        if !account.status.is_paired() {
            return Err(AccountError::NotPaired(format!(
                "the account is {}; pair it first",
                account.status.as_str()
            )));
        }
        self.inner
            .runtime
            .lock()
            .entry(id.clone())
            .and_modify(|r| r.reconnect_attempts = 0);
        self.connect(&account).await
    }

    /// Unlinks the device from the phone and forgets its session keys; the history
    /// stays. Only once WhatsApp confirmed the unlink: until then the device is still
    /// linked on the phone, so its keys are kept, the account says a logout is
    /// pending, and the unlink is sent again on the next connection.
    pub async fn logout(&self, id: &AccountId) -> AccountResult<()> {
        let account = self.get(id)?.ok_or_else(|| AccountError::NotFound(id.clone()))?;
        let client = self.inner.runtime.lock().get(id).and_then(|r| r.client.clone());
        let unlinked = match (&client, account.kind) {
            (Some(client), _) => client.logout().await,
            // No session: nothing to tell WhatsApp about a device it does not know,
            // and a sandbox device lives in this process.
            (None, AccountKind::Sandbox) => Ok(()),
            (None, AccountKind::Live) if !account.status.is_paired() => Ok(()),
            (None, AccountKind::Live) => Err(WaError::NotConnected),
        };
        if let Err(e) = unlinked {
            tracing::warn!(account = %id, error = %e, "WhatsApp did not confirm the unlink; keeping the session");
            let detail =
                "log out pending: WhatsApp has not confirmed the unlink yet; it is sent again on the next connection";
            self.inner.bus.write(&self.inner.store, |tx, _| {
                store::accounts::set_logout_pending(tx, id, true)?;
                store::accounts::set_status(tx, id, account.status, Some(detail))
            })?;
            self.notify(id);
            return Err(AccountError::UnlinkPending(e));
        }
        // Its session stopped before the keys are purged: a client still shutting
        // down would otherwise write them back, and the account would look paired.
        let installed = self.install(id, self.new_epoch(), None, None);
        if let Some(client) = client.or(installed) {
            client.disconnect().await;
        }
        self.inner
            .networks
            .of(account.kind)?
            .forget(id)
            .await
            .map_err(AccountError::Network)?;
        self.inner
            .store
            .write(|tx| store::accounts::set_logout_pending(tx, id, false))?;
        if account.status != AccountStatus::LoggedOut {
            self.logged_out(id, "logged out by request")?;
        }
        Ok(())
    }

    /// Logs out and purges everything the account had: chats, messages, contacts,
    /// groups, events, session keys.
    pub async fn delete(&self, id: &AccountId) -> AccountResult<()> {
        let account = self.get(id)?.ok_or_else(|| AccountError::NotFound(id.clone()))?;
        let removed = self.inner.runtime.lock().remove(id).and_then(|r| r.client);
        if let Some(client) = removed {
            if account.status.is_paired() {
                let _ = client.logout().await;
            }
            client.disconnect().await;
        }
        self.inner
            .networks
            .of(account.kind)?
            .forget(id)
            .await
            .map_err(AccountError::Network)?;
        self.inner.ingest.presence.forget_account(id);
        self.inner.store.write(|tx| store::accounts::delete(tx, id))?;
        self.notify(id);
        Ok(())
    }

    /// Closes every session (shutdown).
    pub async fn stop_all(&self) {
        let clients: Vec<_> = self
            .inner
            .runtime
            .lock()
            .drain()
            .filter_map(|(_, r)| r.client)
            .collect();
        for c in clients {
            c.disconnect().await;
        }
    }

    fn set_status(
        &self,
        id: &AccountId,
        status: AccountStatus,
        detail: Option<&str>,
        event: Option<(EventType, serde_json::Value)>,
    ) -> StoreResult<()> {
        // Agents read the detail too: the library's words, without addresses or paths.
        let detail = detail.map(crate::wa::redact::redact);
        self.inner.bus.write(&self.inner.store, |tx, em| {
            store::accounts::set_status(tx, id, status, detail.as_deref())?;
            if let Some((kind, data)) = event {
                em.emit(tx, kind, id, None, now_ms(), data)?;
            }
            Ok(())
        })?;
        self.notify(id);
        Ok(())
    }

    /// WhatsApp answered after all: the account no longer waits on the network.
    fn clear_detail(&self, id: &AccountId) -> StoreResult<()> {
        match self.get(id)? {
            Some(a) if a.status == AccountStatus::Pairing && a.status_detail.is_some() => {
                self.set_status(id, AccountStatus::Pairing, None, None)
            }
            _ => Ok(()),
        }
    }

    fn logged_out(&self, id: &AccountId, reason: &str) -> StoreResult<()> {
        if let Some(r) = self.inner.runtime.lock().get_mut(id) {
            r.client = None;
            r.pairing = None;
        }
        self.set_status(
            id,
            AccountStatus::LoggedOut,
            Some(reason),
            Some((EventType::AccountUnpaired, json!({ "reason": reason }))),
        )
    }

    fn is_current(&self, id: &AccountId, epoch: u64) -> bool {
        self.inner.runtime.lock().get(id).is_some_and(|r| r.epoch == epoch)
    }

    fn spawn_ingest(&self, id: AccountId, epoch: u64, mut rx: mpsc::Receiver<Delivery>) {
        let this = self.clone();
        let shutdown = self.inner.shutdown.clone();
        tokio::spawn(async move {
            // Whether everything since the last `stored` answer was applied.
            let mut all_applied = true;
            loop {
                let delivery = tokio::select! {
                    e = rx.recv() => e,
                    () = shutdown.cancelled() => None,
                };
                let Some(Delivery { event, stored }) = delivery else {
                    break;
                };
                let this2 = this.clone();
                let id2 = id.clone();
                // SQLite work is blocking: keep it off the async workers.
                let message_data = event.is_message_data();
                match tokio::task::spawn_blocking(move || this2.apply(&id2, epoch, event)).await {
                    Ok(true) => {}
                    // What WhatsApp delivers again until acknowledged must be stored
                    // first; nothing else holds up the acknowledgement.
                    Ok(false) => all_applied &= !message_data,
                    Err(e) => {
                        all_applied &= !message_data;
                        tracing::error!(account = %id, error = %e, "event handler panicked")
                    }
                }
                if let Some(stored) = stored {
                    let _ = stored.send(std::mem::replace(&mut all_applied, true));
                }
            }
        });
    }

    /// Applies one event: `true` when it is stored, or when the store refused it as
    /// an item (recorded and skipped: it would be refused again, and must not hold up
    /// the rest of its batch); `false` when the store failed (WhatsApp may deliver it
    /// again). Failures are logged with the item's kind and ID.
    fn apply(&self, id: &AccountId, epoch: u64, event: WaEvent) -> bool {
        let (kind, item) = event.label();
        let Err(e) = self.handle(id, epoch, event) else {
            return true;
        };
        if e.refused_item() {
            match self
                .inner
                .store
                .write(|tx| store::failures::record(tx, id, kind, &item, &e))
            {
                Ok(()) => return true,
                Err(e) => tracing::error!(account = %id, kind, %item, error = %e, "could not record a refused item"),
            }
        } else {
            let db = self.inner.store.path().display();
            tracing::error!(account = %id, kind, %item, error = %e, %db, "could not apply a WhatsApp event");
        }
        false
    }

    fn handle(&self, id: &AccountId, epoch: u64, event: WaEvent) -> StoreResult<()> {
        let current = self.is_current(id, epoch);
        match event {
            WaEvent::PairingQr { code, valid_ms } if current => {
                if let Some(p) = self.inner.runtime.lock().get_mut(id).and_then(|r| r.pairing.as_mut()) {
                    p.qr = Some(code);
                    p.qr_expires_at = Some(now_ms() + valid_ms as i64);
                }
                self.clear_detail(id)?;
                self.notify(id);
            }
            WaEvent::PairingCode { code } if current => {
                if let Some(p) = self.inner.runtime.lock().get_mut(id).and_then(|r| r.pairing.as_mut()) {
                    p.code = Some(code);
                }
                self.clear_detail(id)?;
                self.notify(id);
            }
            WaEvent::Paired { pn, lid, push_name } if current => {
                let at = now_ms();
                self.inner.bus.write(&self.inner.store, |tx, em| {
                    store::accounts::set_paired(tx, id, &pn, lid.as_ref(), push_name.as_deref(), at)?;
                    em.emit(
                        tx,
                        EventType::AccountPaired,
                        id,
                        None,
                        at,
                        json!({ "phone": pn.phone(), "push_name": push_name }),
                    )
                })?;
                if let Some(r) = self.inner.runtime.lock().get_mut(id) {
                    r.pairing = None;
                }
                self.notify(id);
            }
            WaEvent::PairingExpired if current => {
                if let Some(r) = self.inner.runtime.lock().get_mut(id) {
                    r.pairing = None;
                    r.client = None;
                }
                self.set_status(id, AccountStatus::Expired, Some("no QR code was scanned in time"), None)?;
            }
            WaEvent::PairingFailed { reason } if current => {
                if let Some(r) = self.inner.runtime.lock().get_mut(id) {
                    r.pairing = None;
                    r.client = None;
                }
                self.set_status(id, AccountStatus::Expired, Some(&reason), None)?;
            }
            // A backend that reconnects by itself opens a new connection: if the
            // account still reads as connected, the old one is gone.
            WaEvent::Connecting if current => {
                self.update_sync(id, SyncStatus::reconnecting);
                if self.get(id)?.is_some_and(|a| a.status == AccountStatus::Connected) {
                    let detail = "the connection dropped; reconnecting";
                    self.set_status(
                        id,
                        AccountStatus::Disconnected,
                        Some(detail),
                        Some((
                            EventType::AccountDisconnected,
                            json!({ "reason": DisconnectReason::Network, "detail": detail }),
                        )),
                    )?;
                }
            }
            WaEvent::Unreachable { detail } if current => {
                if let Some(account) = self
                    .get(id)?
                    .filter(|a| matches!(a.status, AccountStatus::Pairing | AccountStatus::Disconnected))
                {
                    let detail = format!("cannot reach WhatsApp ({detail}); retrying");
                    if account.status_detail.as_deref() != Some(detail.as_str()) {
                        self.set_status(id, account.status, Some(&detail), None)?;
                    }
                }
            }
            WaEvent::Connected if current => {
                if let Some(r) = self.inner.runtime.lock().get_mut(id) {
                    r.reconnect_attempts = 0;
                }
                let pending = self.get(id)?.is_some_and(|a| a.logout_pending);
                self.set_status(
                    id,
                    AccountStatus::Connected,
                    pending.then_some("log out pending: sending the unlink again"),
                    Some((EventType::AccountConnected, json!({}))),
                )?;
                if pending {
                    let this = self.clone();
                    let id = id.clone();
                    tokio::runtime::Handle::current().spawn(async move {
                        if let Err(e) = this.logout(&id).await {
                            tracing::warn!(account = %id, error = %e, "the pending logout failed again");
                        }
                    });
                }
            }
            WaEvent::Disconnected(reason) if current => {
                let reconnects_itself = self
                    .inner
                    .runtime
                    .lock()
                    .get(id)
                    .and_then(|r| r.client.as_ref().map(|c| c.reconnects_itself()))
                    .unwrap_or(false);
                let (detail, retry) = match &reason {
                    DisconnectReason::Network => {
                        ("the connection dropped; reconnecting".to_owned(), !reconnects_itself)
                    }
                    DisconnectReason::Refused { detail } => {
                        (format!("WhatsApp refused the connection: {detail}"), false)
                    }
                    DisconnectReason::Requested => ("disconnected by request".to_owned(), false),
                    DisconnectReason::StreamReplaced => {
                        ("another client opened this session (stream replaced)".to_owned(), false)
                    }
                    DisconnectReason::TemporaryBan { until } => (
                        format!(
                            "WhatsApp temporarily banned this account{}",
                            until
                                .map(|u| format!(" until {}", crate::time::to_iso(u)))
                                .unwrap_or_default()
                        ),
                        false,
                    ),
                    DisconnectReason::ClientOutdated => (
                        "WhatsApp says this client is outdated; update WhatsApp-Use".to_owned(),
                        false,
                    ),
                };
                self.set_status(
                    id,
                    AccountStatus::Disconnected,
                    Some(&detail),
                    Some((
                        EventType::AccountDisconnected,
                        json!({ "reason": reason, "detail": detail }),
                    )),
                )?;
                if retry {
                    self.schedule_reconnect(id.clone(), epoch);
                }
            }
            WaEvent::LoggedOut { reason } if current => self.logged_out(id, &reason)?,
            // Status reports from a replaced session mean nothing any more.
            WaEvent::PairingQr { .. }
            | WaEvent::PairingCode { .. }
            | WaEvent::Paired { .. }
            | WaEvent::PairingExpired
            | WaEvent::PairingFailed { .. }
            | WaEvent::Connected
            | WaEvent::Unreachable { .. }
            | WaEvent::Connecting
            | WaEvent::Disconnected(_)
            | WaEvent::LoggedOut { .. } => {}
            WaEvent::History(batch) => {
                let stored = self.inner.ingest.history(id, &batch)?;
                match batch.chunk.as_ref().and_then(|c| c.request.as_deref()) {
                    Some(request) => self.inner.on_demand.answered(
                        request,
                        Answer {
                            stored,
                            received: batch.messages.len(),
                            more: batch.chats.iter().find_map(|c| c.older_on_phone),
                        },
                    ),
                    None if batch.chunk.is_some() => self.update_sync(id, |s| s.history(&batch, stored)),
                    None => {}
                }
            }
            WaEvent::OfflineSync(o) => self.update_sync(id, |s| s.offline(o)),
            WaEvent::AppStateSyncFailed { collections, fatal } => {
                tracing::warn!(account = %id, ?collections, fatal, "chat settings from the phone did not sync");
                self.update_sync(id, |s| s.app_state_failed(collections));
            }
            data => self.inner.ingest.apply(id, data)?,
        }
        Ok(())
    }

    /// Exponential backoff with jitter: 1 s, 2 s, 4 s … up to a minute.
    fn schedule_reconnect(&self, id: AccountId, epoch: u64) {
        let attempt = {
            let mut rt = self.inner.runtime.lock();
            let Some(r) = rt.get_mut(&id) else { return };
            r.reconnect_attempts += 1;
            r.reconnect_attempts
        };
        let base = (1_000u64 << attempt.min(6)).min(MAX_BACKOFF_MS);
        let delay = (base as f64 * rand::rng().random_range(0.5..1.5)) as u64;
        let this = self.clone();
        let shutdown = self.inner.shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(delay)) => {}
                () = shutdown.cancelled() => return,
            }
            if !this.is_current(&id, epoch) {
                return;
            }
            if let Ok(Some(account)) = this.get(&id) {
                if account.status == AccountStatus::Disconnected {
                    let _ = this.connect(&account).await;
                }
            }
        });
    }

    /// Waits until the account's status satisfies `done`, or `timeout` passes;
    /// returns the account as it then is.
    pub async fn wait_until(
        &self,
        id: &AccountId,
        timeout: Duration,
        done: impl Fn(&Account) -> bool,
    ) -> StoreResult<Option<Account>> {
        let mut changes = self.changes();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let account = self.get(id)?;
            match &account {
                Some(a) if !done(a) => {}
                _ => return Ok(account),
            }
            loop {
                match tokio::time::timeout_at(deadline, changes.recv()).await {
                    Err(_) => return self.get(id),
                    Ok(Ok(changed)) if &changed != id => continue,
                    Ok(_) => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventBus;
    use crate::presence::Presence;
    use crate::wa::sandbox::{SandboxConfig, SandboxNetwork};
    use crate::wa::{Jid, MsgKey, WaContent, WaMessage};

    fn accounts(dir: &std::path::Path) -> (Accounts, Store) {
        let store = Store::open(&dir.join("t.db"), crate::secrets::DbKey::generate()).unwrap();
        let bus = EventBus::with_capacity(64);
        let ingest = Ingest {
            store: store.clone(),
            bus: bus.clone(),
            presence: Presence::default(),
        };
        let sandbox = SandboxNetwork::open(store.clone(), SandboxConfig::default()).unwrap();
        let networks = Networks {
            sandbox: Arc::new(sandbox),
            live: None,
        };
        (
            Accounts::new(store.clone(), bus, ingest, networks, CancellationToken::new()),
            store,
        )
    }

    /// An account manager, its store, and a live account in it.
    fn with_live_account(dir: &std::path::Path) -> (Accounts, Store, AccountId) {
        let (accounts, store) = accounts(dir);
        let id = AccountId::random();
        store
            .write(|tx| store::accounts::insert(tx, &id, AccountKind::Live, None))
            .unwrap();
        (accounts, store, id)
    }

    fn message(id: &str) -> WaEvent {
        let bob = Jid::parse("14155550100@s.whatsapp.net").unwrap();
        WaEvent::Message(WaMessage {
            key: MsgKey {
                chat: bob.clone(),
                id: id.into(),
                from_me: false,
                sender: Some(bob),
            },
            ts: 1_700_000_000_000,
            push_name: None,
            content: WaContent::text("hi"),
            reply_to: None,
            forwarded: false,
            status: None,
            starred: false,
        })
    }

    /// What a backend acknowledges to WhatsApp on: `emit_stored` answers after the
    /// store has the messages, and `false` when the store refused any of them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stored_answers_once_the_store_has_the_messages() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, store, id) = with_live_account(dir.path());
        let (_, sink) = accounts.open_session(&id);
        assert!(sink.emit_stored(vec![message("A1"), message("A2")]).await);
        let count = |id: &AccountId| -> i64 {
            store
                .read(|c| {
                    Ok(
                        c.query_row("SELECT count(*) FROM messages WHERE account_id = ?1", [id], |r| {
                            r.get(0)
                        })?,
                    )
                })
                .unwrap()
        };
        assert_eq!(count(&id), 2);
        // Delivered again (WhatsApp redelivers what was not acknowledged): stored once.
        assert!(sink.emit_stored(vec![message("A1")]).await);
        assert_eq!(count(&id), 2);
        assert!(sink.emit_stored(vec![]).await);

        // An account the store does not know: the rows cannot be written (nor can
        // the record of the refusal).
        let ghost = AccountId::random();
        let (_, sink) = accounts.open_session(&ghost);
        assert!(!sink.emit_stored(vec![message("B1")]).await);
        // The answer covers only what came since the previous one.
        assert!(sink.emit_stored(vec![WaEvent::Connecting]).await);
    }

    /// A trigger that refuses rows naming `POISON`, as a constraint would.
    fn poison(store: &Store) {
        store
            .write(|tx| {
                tx.execute_batch(
                    "CREATE TRIGGER poison_contact BEFORE UPDATE OF push_name ON contacts
                     WHEN NEW.push_name = 'POISON' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;
                     CREATE TRIGGER poison_message BEFORE INSERT ON messages
                     WHEN NEW.wa_id = 'POISON' BEGIN SELECT RAISE(ABORT, 'poisoned'); END;",
                )?;
                Ok(())
            })
            .unwrap();
    }

    /// A receipt, a contact or a message the store refuses is recorded and skipped:
    /// the rest of its batch is stored and acknowledged, and the account goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_item_is_recorded_and_does_not_hold_up_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, store, id) = with_live_account(dir.path());
        poison(&store);
        let (_, sink) = accounts.open_session(&id);
        let bad_contact = WaEvent::Contact(crate::wa::WaContact {
            pn: Some(Jid::parse("14155550177@s.whatsapp.net").unwrap()),
            push_name: Some("POISON".into()),
            ..Default::default()
        });
        assert!(
            sink.emit_stored(vec![message("C1"), bad_contact, message("POISON"), message("C2")])
                .await,
            "the batch is acknowledged"
        );
        let stored: Vec<String> = store
            .read(|c| {
                let mut st = c.prepare("SELECT wa_id FROM messages WHERE account_id = ?1 ORDER BY wa_id")?;
                let rows = st.query_map([&id], |r| r.get(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .unwrap();
        assert_eq!(stored, ["C1", "C2"]);
        let failures = store.read(|c| store::failures::list(c, &id)).unwrap();
        let what: Vec<(&str, &str)> = failures.iter().map(|f| (f.kind.as_str(), f.item.as_str())).collect();
        assert_eq!(what, [("contact", "14155550177@s.whatsapp.net"), ("message", "POISON")]);
        assert!(failures[0].error.contains("poisoned"), "{:?}", failures[0]);
        // The account goes on.
        assert!(sink.emit_stored(vec![message("C3")]).await);
    }

    /// A page of history with an item the store refuses: the rest of the page is
    /// stored (each item then in its own savepoint), and the refusal recorded.
    #[test]
    fn a_page_of_history_keeps_what_the_store_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let (accounts, store, id) = with_live_account(dir.path());
        poison(&store);
        let page = |ids: &[&str]| crate::wa::HistoryBatch {
            messages: ids
                .iter()
                .map(|i| match message(i) {
                    WaEvent::Message(m) => m,
                    _ => unreachable!(),
                })
                .collect(),
            ..Default::default()
        };
        let stored = accounts
            .inner
            .ingest
            .history(&id, &page(&["H1", "POISON", "H2"]))
            .unwrap();
        assert_eq!(stored.new, 2);
        let failures = store.read(|c| store::failures::list(c, &id)).unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(
            (failures[0].kind.as_str(), failures[0].item.as_str()),
            ("message", "POISON")
        );
        // A page the store takes whole goes in in one piece, recording nothing.
        assert_eq!(accounts.inner.ingest.history(&id, &page(&["H3"])).unwrap().new, 1);
        assert_eq!(store.read(|c| store::failures::list(c, &id)).unwrap().len(), 1);
    }
}
