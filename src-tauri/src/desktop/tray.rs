//! The tray: each account's status, approvals waiting, open the window, pause agent
//! access, quit.

use std::sync::Arc;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};
use wuse_engine::control::{self, tools::Switchboard};
use wuse_engine::model::AccountStatus;
use wuse_engine::Engine;

const TRAY_ID: &str = "main";

fn status_dot(s: AccountStatus) -> &'static str {
    match s {
        AccountStatus::Connected => "🟢",
        AccountStatus::Pairing | AccountStatus::Disconnected => "🟡",
        AccountStatus::Expired | AccountStatus::LoggedOut => "⚪",
    }
}

fn menu(app: &AppHandle, engine: &Engine) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    let header = format!("WhatsApp-Use — MCP on 127.0.0.1:{}", engine.port());
    menu.append(&MenuItem::with_id(app, "header", header, false, None::<&str>)?)?;
    let accounts = engine.accounts.list(None).unwrap_or_default();
    if accounts.is_empty() {
        menu.append(&MenuItem::with_id(app, "none", "No accounts yet", false, None::<&str>)?)?;
    }
    for a in accounts {
        let who = a
            .label
            .clone()
            .or(a.push_name.clone())
            .unwrap_or_else(|| a.id.to_string());
        let phone = a.phone.map(|p| format!(" {p}")).unwrap_or_default();
        let line = format!(
            "{} {who}{phone} — {}",
            status_dot(a.status),
            a.status.as_str().replace('_', " ")
        );
        menu.append(&MenuItem::with_id(
            app,
            format!("account:{}", a.id),
            line,
            false,
            None::<&str>,
        )?)?;
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    // Calls waiting for the person's yes: a count, and a way to them.
    let waiting = wuse_engine::approvals::pending(&engine.store).map_or(0, |p| p.len());
    menu.append(&MenuItem::with_id(
        app,
        "approvals",
        approvals_label(waiting),
        waiting > 0,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "open",
        "Open WhatsApp-Use",
        true,
        None::<&str>,
    )?)?;
    // Unreadable shows as paused, as the gate decides.
    let paused = engine.policy.paused();
    menu.append(&CheckMenuItem::with_id(
        app,
        "pause",
        "Pause agent access",
        true,
        paused,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

pub fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

pub fn create(app: &AppHandle, engine: Arc<Engine>) -> tauri::Result<()> {
    let icon = Image::from_bytes(include_bytes!("../../../icons/tray.png"))?;
    let menu = menu(app, &engine)?;
    let events_engine = engine.clone();
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon)
        .tooltip("WhatsApp-Use")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(move |app, event| match event.id.as_ref() {
            "open" | "approvals" => show_window(app),
            "pause" => {
                let board = Switchboard::window(&events_engine.policy, &events_engine.tools);
                if let Err(e) = control::tools::pause(&board, !events_engine.policy.paused()) {
                    tracing::error!(error = %e, "could not change pause");
                }
            }
            "quit" => {
                super::QUITTING.store(true, std::sync::atomic::Ordering::SeqCst);
                app.exit(0);
            }
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

/// Rebuilds the menu (account statuses, pause) after a change.
pub fn refresh(app: &AppHandle, engine: &Engine) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        match menu(app, engine) {
            Ok(m) => {
                let _ = tray.set_menu(Some(m));
            }
            Err(e) => tracing::warn!(error = %e, "could not rebuild the tray menu"),
        }
    }
}

/// The tray's count of calls waiting for a yes.
fn approvals_label(waiting: usize) -> String {
    match waiting {
        0 => "No approvals waiting".to_owned(),
        1 => "1 approval waiting…".to_owned(),
        n => format!("{n} approvals waiting…"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_approvals_waiting() {
        assert_eq!(super::approvals_label(0), "No approvals waiting");
        assert_eq!(super::approvals_label(1), "1 approval waiting…");
        assert_eq!(super::approvals_label(3), "3 approvals waiting…");
    }
}
