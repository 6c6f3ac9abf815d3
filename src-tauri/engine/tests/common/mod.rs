//! What several engine tests start from: an engine on a fresh data dir whose
//! first-start sandbox account is paired, connected and has its history.

// Each test crate compiles this module on its own and uses part of it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use wuse_engine::config::EngineConfig;
use wuse_engine::engine::Bootstrap;
use wuse_engine::model::{Account, AccountKind, AccountStatus};
use wuse_engine::secrets::DbKey;
use wuse_engine::wa::sandbox::SandboxConfig;
use wuse_engine::Engine;

pub struct Ready {
    pub engine: Arc<Engine>,
    pub boot: Bootstrap,
    pub account: Account,
    /// The data dir, removed when this is dropped.
    pub dir: tempfile::TempDir,
}

/// A fresh store in a temporary dir (removed when the first value is dropped) holding
/// one account of `kind`, for tests that drive the store or the ingest path directly.
pub fn store_with_account(
    kind: AccountKind,
    label: Option<&str>,
) -> (
    tempfile::TempDir,
    wuse_engine::store::Store,
    wuse_engine::ids::AccountId,
) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        wuse_engine::store::Store::open(&dir.path().join(wuse_engine::store::DB_FILE), DbKey::generate()).unwrap();
    let account = wuse_engine::ids::AccountId::random();
    store
        .write(|tx| wuse_engine::store::accounts::insert(tx, &account, kind, label))
        .unwrap();
    (dir, store, account)
}

pub async fn ready_engine() -> Ready {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.db_key = Some(DbKey::generate());
    config.sandbox = SandboxConfig {
        time_scale: 0.02,
        ambient: false,
        ..SandboxConfig::default()
    };
    let engine = Engine::start(config).await.unwrap();
    let boot = engine.bootstrap().await.unwrap().expect("first start bootstraps");
    let account = engine
        .accounts
        .wait_until(&boot.account_id, Duration::from_secs(20), |a| {
            a.status == AccountStatus::Connected && engine.accounts.sync_status(&a.id).history.is_some_and(|h| h.done)
        })
        .await
        .unwrap()
        .expect("the sandbox account connects and syncs");
    Ready {
        engine,
        boot,
        account,
        dir,
    }
}
