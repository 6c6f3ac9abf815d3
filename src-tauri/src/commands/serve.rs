//! `whatsapp-use serve`: the headless owner.

use std::sync::Arc;

use anyhow::Context;
use wuse_engine::config::EngineConfig;
use wuse_engine::mcp::http;
use wuse_engine::model::{AccountKind, AccountStatus};
use wuse_engine::owner::OwnerLock;
use wuse_engine::phone::Phone;
use wuse_engine::secrets::KeySource;
use wuse_engine::wa::PairMethod;
use wuse_engine::Engine;

use crate::cli::{Global, ServeArgs};

pub fn run(global: Global, args: ServeArgs) -> anyhow::Result<()> {
    super::runtime()?.block_on(serve(global, args))
}

async fn serve(global: Global, args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    // The lock file lives in the data dir.
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let lock = OwnerLock::acquire(&data_dir)?;
    tracing::info!(data_dir = %data_dir.display(), "starting the engine");
    let mut config = EngineConfig::new(data_dir.clone());
    config.bootstrap = !args.no_bootstrap;
    config.live = crate::wa_url::live_options()?;
    let engine = Engine::start(config).await?;
    let port = port_for(&engine, args.port);
    let listener = http::bind(port).await.with_context(|| {
        format!("cannot listen on 127.0.0.1:{port} (is another program using it? pick one with --port)")
    })?;
    let port = listener.local_addr()?.port();
    engine.set_port(port);
    lock.publish(port)?;
    tracing::info!(port, "listening");

    println!("WhatsApp-Use {} is running.", env!("CARGO_PKG_VERSION"));
    println!("  MCP (streamable HTTP): http://127.0.0.1:{port}/mcp");
    println!("  MCP (legacy SSE):      http://127.0.0.1:{port}/sse");
    println!("  data dir:              {}", data_dir.display());
    println!(
        "  database key:          {}",
        match engine.key_source {
            KeySource::Environment => "from WUSE_DB_KEY",
            KeySource::Keychain => "in the OS keychain",
            KeySource::NewInKeychain => "new, saved in the OS keychain",
        }
    );
    if let Some(b) = engine.bootstrap().await? {
        println!();
        println!(
            "First start: a sandbox account ({}) and a test key were created.",
            b.account_id
        );
        println!("  Test API key (shown once): {}", b.test_key);
        println!("  Connect an agent over stdio: `whatsapp-use mcp` with WUSE_API_KEY set to that key,");
        println!("  or over HTTP with the header `Authorization: Bearer <key>`.");
    }
    println!();
    tokio::spawn(print_pairing(engine.clone()));
    if args.pair || args.pair_phone.is_some() {
        start_pairing(&engine, args.pair_phone.as_deref()).await?;
    }

    let shutdown = engine.shutdown_token();
    let server = tokio::spawn(http::serve(engine.clone(), listener, shutdown.clone()));
    wait_for_signal().await;
    eprintln!("Shutting down…");
    engine.shutdown().await;
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    drop(lock);
    Ok(())
}

/// `--pair` / `--pair-phone`: a new live account, paired from this terminal.
async fn start_pairing(engine: &Engine, phone: Option<&str>) -> anyhow::Result<()> {
    let method = match phone {
        Some(p) => PairMethod::PhoneCode(Phone::parse(p).map_err(|e| anyhow::anyhow!("--pair-phone: {e}"))?),
        None => PairMethod::Qr,
    };
    let id = engine
        .accounts
        .pair(AccountKind::Live, method, Some("WhatsApp"), None)
        .await
        .map_err(|e| anyhow::anyhow!("could not start pairing: {e}"))?;
    println!("Pairing a WhatsApp account as {id}; the code follows as soon as WhatsApp sends it.");
    Ok(())
}

/// Shows QR codes and pairing codes here as they come, and status changes.
async fn print_pairing(engine: Arc<Engine>) {
    let mut changes = engine.accounts.changes();
    let mut last_qr = std::collections::HashMap::new();
    let mut last_status = std::collections::HashMap::new();
    while let Ok(id) = changes.recv().await {
        let Ok(Some(account)) = engine.accounts.get(&id) else {
            continue;
        };
        if let Some(p) = engine.accounts.pairing(&id) {
            let shown = p.qr.clone().or(p.code.clone());
            if shown.is_some() && last_qr.get(&id) != Some(&shown) {
                last_qr.insert(id.clone(), shown);
                if let Some(qr) = &p.qr {
                    println!(
                        "Scan with WhatsApp > Settings > Linked devices to pair {} ({}):",
                        id,
                        account.kind.as_str()
                    );
                    if let Some(art) = wuse_engine::qr::terminal(qr) {
                        println!("{art}");
                    }
                }
                if let Some(code) = &p.code {
                    println!("Pairing code for {id}: {code}  (WhatsApp > Linked devices > Link with phone number)");
                }
            }
        }
        if last_status.get(&id) != Some(&account.status) {
            last_status.insert(id.clone(), account.status);
            let phone = account.phone.as_ref().map(|p| format!(" {p}")).unwrap_or_default();
            match account.status {
                AccountStatus::Pairing => {}
                s => println!(
                    "Account {id}{phone}: {}{}",
                    s.as_str(),
                    account.status_detail.map(|d| format!(" ({d})")).unwrap_or_default()
                ),
            }
        }
    }
}

/// The port to listen on: the one asked for, else the Settings one, else 7474.
pub fn port_for(engine: &Engine, asked: Option<u16>) -> u16 {
    asked
        .or_else(|| {
            engine
                .store
                .read(|c| wuse_engine::store::settings::get::<u16>(c, wuse_engine::control::settings::PORT_SETTING))
                .ok()
                .flatten()
        })
        .unwrap_or(wuse_engine::config::DEFAULT_PORT)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
