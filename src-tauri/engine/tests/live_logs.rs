//! What a live account writes to the log at the default level (`info`, with the
//! WhatsApp library kept at `warn` by `QUIET_LOGS`): no pairing code, no QR code,
//! no phone number, no message text. Its own test binary, because it owns the
//! process-wide log subscriber.

mod loopback;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use wuse_engine::config::EngineConfig;
use wuse_engine::model::AccountStatus;
use wuse_engine::secrets::DbKey;
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::tools::{self, CallOutcome, Caller};
use wuse_engine::wa::live::QUIET_LOGS;
use wuse_engine::Engine;
use wuse_loopback::Network;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_secret_reaches_the_log_at_the_default_level() {
    let logs = Captured::default();
    let sink = logs.clone();
    // The same default as the app's (`commands::init_logging`).
    let filter = tracing_subscriber::EnvFilter::new(format!("info,{QUIET_LOGS}"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .init();

    let wa = Network::new(1);
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(dir.path().to_path_buf());
    config.db_key = Some(DbKey::generate());
    config.bootstrap = false;
    config.live = loopback::in_process(&wa);
    let engine = Engine::start(config).await.unwrap();
    let (_, secret) = engine.keys.create(KeyMode::Live, None).unwrap();
    let live = engine.keys.verify(&secret).unwrap();
    let call = |tool: &'static str, args: serde_json::Value| {
        let (engine, live) = (engine.clone(), live.clone());
        async move {
            match tools::call(&engine, &live, tool, args, Caller::default()).await {
                CallOutcome::Done(out) => out.value,
                other => panic!("{tool}: {:?}", matches!(other, CallOutcome::Failed(_))),
            }
        }
    };

    // A phone-number link: the library writes the number and the code at `info`.
    let out = call(
        "pair_account",
        json!({ "method": "phone_code", "phone": "+14155550111" }),
    )
    .await;
    let code = out["account"]["pairing"]["code"].as_str().unwrap().replace('-', "");
    // A QR link, paired and connected.
    let out = call("pair_account", json!({})).await;
    let qr = out["account"]["pairing"]["qr"].as_str().unwrap().to_owned();
    wa.scan(&qr, "14155550122", "900122", "Bob").await;
    let id = wuse_engine::ids::AccountId::parse(out["account"]["id"].as_str().unwrap()).unwrap();
    let a = engine
        .accounts
        .wait_until(&id, Duration::from_secs(45), |a| a.status == AccountStatus::Connected)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.status, AccountStatus::Connected);
    engine.shutdown().await;

    let text = logs.text();
    // It logged, at info, what it did…
    assert!(text.contains("store open"), "{text}");
    // …but none of the secrets or the numbers.
    for secret in [
        code.as_str(),
        qr.split(',').next().unwrap(),
        "14155550111",
        "14155550122",
        &secret,
    ] {
        assert!(!text.contains(secret), "`{secret}` is in the log:\n{text}");
    }
}
