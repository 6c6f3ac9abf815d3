//! The engine: the store, accounts, events and tools, owned by one process.

use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::accounts::{Accounts, Networks};
use crate::approvals::Approvals;
use crate::audit::AuditLog;
use crate::config::EngineConfig;
use crate::events::EventBus;
use crate::ingest::Ingest;
use crate::keys::Keys;
use crate::model::AccountKind;
use crate::policy::Policy;
use crate::presence::Presence;
use crate::secrets::{self, KeySource, SecretsError};
use crate::store::api_keys::KeyMode;
use crate::store::{self, Store, StoreError};
use crate::tools::{InFlight, Registry};
use crate::wa::live::LiveNetwork;
use crate::wa::sandbox::SandboxNetwork;
use crate::wa::PairMethod;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot create the data dir {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Setting: how many days events are kept.
pub const RETENTION_SETTING: &str = "event_retention_days";

/// What the first start set up for a newcomer.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub account_id: crate::ids::AccountId,
    /// Shown once; only its hash is stored.
    pub test_key: String,
}

pub struct Engine {
    pub config: EngineConfig,
    /// The port the MCP server actually listens on (known once bound).
    listen_port: std::sync::atomic::AtomicU16,
    /// The one gate every way in asks.
    pub policy: Policy,
    pub audit: AuditLog,
    /// Calls waiting for a person's yes (`ask`).
    pub approvals: Approvals,
    pub inflight: InFlight,
    pub store: Store,
    pub bus: EventBus,
    pub keys: Keys,
    pub accounts: Accounts,
    pub presence: Presence,
    pub sandbox: SandboxNetwork,
    pub tools: Registry,
    pub key_source: KeySource,
    shutdown: CancellationToken,
}

/// Opens the store of a data dir with its key from the keychain (or `WUSE_DB_KEY`).
pub fn open_store(data_dir: &Path) -> Result<(Store, KeySource), EngineError> {
    open_store_with(data_dir, None)
}

fn open_store_with(data_dir: &Path, key: Option<secrets::DbKey>) -> Result<(Store, KeySource), EngineError> {
    std::fs::create_dir_all(data_dir).map_err(|source| EngineError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    restrict_permissions(data_dir);
    let db = data_dir.join(store::DB_FILE);
    let (key, source) = match key {
        Some(k) => (k, KeySource::Environment),
        None => secrets::resolve_db_key(data_dir, db.exists())?,
    };
    Ok((Store::open(&db, key)?, source))
}

/// Only the owner may read the data dir (Unix).
fn restrict_permissions(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

impl Engine {
    /// Opens the data dir and starts every paired account.
    pub async fn start(config: EngineConfig) -> Result<Arc<Self>, EngineError> {
        let (store, key_source) = open_store_with(&config.data_dir, config.db_key.clone())?;
        tracing::info!(?key_source, "store open");
        let bus = EventBus::with_capacity(config.event_buffer);
        let presence = Presence::default();
        let shutdown = CancellationToken::new();
        let sandbox = SandboxNetwork::open(store.clone(), config.sandbox.clone())?;
        let ingest = Ingest {
            store: store.clone(),
            bus: bus.clone(),
            presence: presence.clone(),
        };
        let networks = Networks {
            sandbox: Arc::new(sandbox.clone()),
            live: Some(Arc::new(LiveNetwork::new(store.clone(), config.live.clone()))),
        };
        let accounts = Accounts::new(store.clone(), bus.clone(), ingest, networks, shutdown.clone());
        let keys = Keys::new(store.clone());
        let policy = Policy::new(store.clone(), keys.clone());
        policy.switches.spawn_watcher(shutdown.clone());
        let audit = AuditLog::start(store.clone(), shutdown.clone());
        let approvals = Approvals::new(store.clone(), bus.clone(), audit.clone());
        // Nobody waits any more for what a previous run left pending.
        approvals.expire_stale()?;
        approvals.spawn_sweeper(shutdown.clone());
        let engine = Arc::new(Self {
            listen_port: std::sync::atomic::AtomicU16::new(config.port),
            policy,
            audit,
            approvals,
            inflight: InFlight::default(),
            keys,
            config,
            store,
            bus,
            accounts,
            presence,
            sandbox,
            tools: Registry::standard(),
            key_source,
            shutdown,
        });
        engine.spawn_retention();
        engine.accounts.start().await?;
        tracing::info!("accounts started");
        Ok(engine)
    }

    /// On the first start only: a sandbox account (its phone scans the QR code by
    /// itself) and a test key, so an agent has something to talk to at once.
    pub async fn bootstrap(&self) -> Result<Option<Bootstrap>, EngineError> {
        const DONE: &str = "bootstrapped";
        if !self.config.bootstrap
            || self
                .store
                .read(|c| store::settings::get::<bool>(c, DONE))?
                .unwrap_or(false)
        {
            return Ok(None);
        }
        let account_id = self
            .accounts
            .pair(AccountKind::Sandbox, PairMethod::Qr, Some("Sandbox"), None)
            .await
            .map_err(|e| StoreError::Corrupt(format!("could not create the sandbox account: {e}")))?;
        let (_, test_key) = self.keys.create(KeyMode::Test, Some("Sandbox test key"))?;
        self.store.write(|tx| store::settings::set(tx, DONE, &true))?;
        Ok(Some(Bootstrap { account_id, test_key }))
    }

    /// Drops events older than the retention (setting `event_retention_days`,
    /// default 30) at start and every hour.
    fn spawn_retention(&self) {
        let store = self.store.clone();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let days: u32 = store
                    .read(|c| store::settings::get(c, RETENTION_SETTING))
                    .ok()
                    .flatten()
                    .unwrap_or(crate::config::DEFAULT_EVENT_RETENTION_DAYS);
                let before = crate::time::now_ms() - i64::from(days) * 86_400_000;
                match store.write(|tx| store::events::prune(tx, before)) {
                    Ok(n) if n > 0 => tracing::info!(removed = n, days, "pruned old events"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not prune events"),
                }
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
                    () = shutdown.cancelled() => return,
                }
            }
        });
    }

    /// Where the MCP server listens (for links it hands out).
    pub fn port(&self) -> u16 {
        self.listen_port.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_port(&self, port: u16) {
        self.listen_port.store(port, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops sessions and background work.
    pub async fn shutdown(&self) {
        self.shutdown.cancel();
        self.sandbox.shutdown();
        self.accounts.stop_all().await;
        if let Err(e) = self.store.checkpoint() {
            tracing::warn!(error = %e, "could not checkpoint the store");
        }
    }
}
