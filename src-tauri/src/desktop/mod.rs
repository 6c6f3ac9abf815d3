//! The desktop app: the engine and its MCP server run inside this process; the
//! window shows them and the tray keeps them at hand. Thin: the window's operations
//! live in the engine's `control` module; this wires them to commands, events, the
//! tray and the window's life (closing hides it, a second launch focuses it).

mod bindings;
mod commands;
mod events;
mod tray;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tauri::{Manager, WindowEvent};
use tauri_specta::Event;
use wuse_engine::config::EngineConfig;
use wuse_engine::control::activity;
use wuse_engine::mcp::http;
use wuse_engine::owner::OwnerLock;
use wuse_engine::Engine;

use crate::cli::Global;

/// Set when the person chose Quit (closing the window only hides it).
static QUITTING: AtomicBool = AtomicBool::new(false);

pub fn run(global: Global, hidden: bool) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    // The database key first: without it nothing can start, and someone who started
    // the app from a menu has no terminal to read why.
    let db = data_dir.join(wuse_engine::store::DB_FILE);
    if let Err(e) = wuse_engine::secrets::resolve_db_key(&data_dir, db.exists()) {
        cannot_start(&e.to_string());
        return Err(e.into());
    }
    let builder = bindings::builder();

    tauri::Builder::default()
        // A second launch shows the running app instead of starting another.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_window(app)
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec!["--hidden"]),
        ))
        .plugin(tauri_plugin_shell::init())
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let lock = OwnerLock::acquire(&data_dir)?;
            let mut config = EngineConfig::new(data_dir.clone());
            config.live = crate::wa_url::live_options()?;
            let engine = tauri::async_runtime::block_on(Engine::start(config))?;
            let asked = std::env::var("WUSE_PORT").ok().and_then(|p| p.parse().ok());
            let port = crate::commands::serve::port_for(&engine, asked);
            let listener = tauri::async_runtime::block_on(http::bind(port)).with_context(|| {
                format!("cannot listen on 127.0.0.1:{port} (change the port in Settings or with WUSE_PORT)")
            })?;
            let port = listener.local_addr()?.port();
            engine.set_port(port);
            lock.publish(port)?;
            tauri::async_runtime::block_on(engine.bootstrap())?;
            tauri::async_runtime::spawn(http::serve(engine.clone(), listener, engine.shutdown_token()));
            let handle = app.handle().clone();
            tray::create(&handle, engine.clone())?;
            forward_to_window(&handle, &engine);
            app.manage(engine);
            app.manage(lock);
            app.manage(wuse_engine::control::clients::Pending::default());
            if hidden {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.hide();
                }
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            if let WindowEvent::CloseRequested { api, .. } = event {
                if !QUITTING.load(Ordering::SeqCst) {
                    let _ = window.hide();
                    api.prevent_close();
                }
            }
        })
        .build(tauri::generate_context!())
        .context("the desktop app failed to start")?
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                if let Some(engine) = app.try_state::<Arc<Engine>>() {
                    tauri::async_runtime::block_on(engine.shutdown());
                }
            }
        });
    Ok(())
}

/// Tells the person, in a native message box, why the app cannot start and what to do.
fn cannot_start(why: &str) {
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("WhatsApp-Use cannot start")
        .set_description(why)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

/// Engine happenings become window events (and tray updates).
fn forward_to_window(app: &tauri::AppHandle, engine: &Arc<Engine>) {
    let (a, e) = (app.clone(), engine.clone());
    tauri::async_runtime::spawn(async move {
        let mut changes = e.accounts.changes();
        while let Ok(account_id) = changes.recv().await {
            let _ = events::AccountsChanged { account_id }.emit(&a);
            tray::refresh(&a, &e);
        }
    });
    let (a, e) = (app.clone(), engine.clone());
    tauri::async_runtime::spawn(async move {
        let mut bus = e.bus.subscribe();
        loop {
            match bus.recv().await {
                Ok(event) => {
                    let _ = events::ActivityAppended {
                        item: activity::from_event(&event),
                    }
                    .emit(&a);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            }
        }
    });
    let (a, e) = (app.clone(), engine.clone());
    tauri::async_runtime::spawn(async move {
        let mut calls = e.audit.subscribe();
        let mut n = 0u64;
        loop {
            match calls.recv().await {
                Ok(call) => {
                    n += 1;
                    let item = activity::from_call(format!("call_live_{n}"), &call);
                    let _ = events::ActivityAppended { item }.emit(&a);
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            }
        }
    });
    let (a, e) = (app.clone(), engine.clone());
    tauri::async_runtime::spawn(async move {
        let mut changes = e.approvals.changes();
        let mut known: std::collections::HashSet<wuse_engine::ids::ApprovalId> = Default::default();
        while changes.recv().await.is_ok() {
            let pending = wuse_engine::approvals::pending(&e.store).unwrap_or_default();
            // A new one: the OS says so, even with the window closed.
            for p in pending.iter().filter(|p| !known.contains(&p.id)) {
                notify_approval(&a, p);
            }
            known = pending.iter().map(|p| p.id.clone()).collect();
            let _ = events::ApprovalsChanged {
                pending: pending.len() as u32,
            }
            .emit(&a);
            tray::refresh(&a, &e);
        }
    });
    let (a, e) = (app.clone(), engine.clone());
    tauri::async_runtime::spawn(async move {
        let mut tools = e.policy.switches.changes();
        while tools.recv().await.is_ok() {
            let _ = events::ToolsChanged {}.emit(&a);
            tray::refresh(&a, &e);
        }
    });
}

/// An OS notification for a call waiting for the person's yes.
fn notify_approval(app: &tauri::AppHandle, approval: &wuse_engine::approvals::ApprovalView) {
    use tauri_plugin_notification::NotificationExt;
    let shown = app
        .notification()
        .builder()
        .title(format!("{} asks to send", approval.details.key_name))
        .body(approval.summary.clone())
        .show();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no desktop notification (no notification service?)");
    }
}
