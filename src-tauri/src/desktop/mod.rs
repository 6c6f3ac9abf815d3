//! The desktop app: the engine and its MCP server run inside this process; the
//! window shows them. (The full shell — tray, pages, typed commands — grows here.)

use anyhow::Context;
use tauri::Manager;
use wuse_engine::config::EngineConfig;
use wuse_engine::mcp::http;
use wuse_engine::owner::OwnerLock;
use wuse_engine::Engine;

use crate::cli::Global;

pub fn run(global: Global) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let lock = OwnerLock::acquire(&data_dir)?;
    let port: u16 = std::env::var("WUSE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(wuse_engine::config::DEFAULT_PORT);

    tauri::Builder::default()
        .setup(move |app| {
            let handle = app.handle().clone();
            let config = EngineConfig {
                port,
                ..EngineConfig::new(data_dir.clone())
            };
            let engine = tauri::async_runtime::block_on(Engine::start(config))?;
            let listener = tauri::async_runtime::block_on(http::bind(port))
                .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
            let port = listener.local_addr()?.port();
            engine.set_port(port);
            lock.publish(port)?;
            tauri::async_runtime::block_on(engine.bootstrap())?;
            let shutdown = engine.shutdown_token();
            tauri::async_runtime::spawn(http::serve(engine.clone(), listener, shutdown));
            handle.manage(engine);
            handle.manage(lock);
            Ok(())
        })
        .run(tauri::generate_context!())
        .context("the desktop app failed")?;
    Ok(())
}
