//! Typed commands for the window: each is one call into the engine's `control`
//! module (the window's operations live there, testable without a window).

use std::sync::Arc;

use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;
use wuse_engine::approvals::ApprovalView;
use wuse_engine::clients::{ClientId, Env};
use wuse_engine::control::accounts::{AccountView, ChatPick, PairRequest};
use wuse_engine::control::activity::{ActivityItem, ActivityQuery};
use wuse_engine::control::approvals::{AllowanceView, Decision};
use wuse_engine::control::clients::{ClientView, InstallRequest, Installed, Pending, Preview};
use wuse_engine::control::keys::{CreatedKey, KeyView};
use wuse_engine::control::settings::{SettingsPatch, SettingsView};
use wuse_engine::control::tools::{Switchboard, ToolsView};
use wuse_engine::control::{self, ControlError, ControlResult};
use wuse_engine::ids::{AccountId, ChatId, KeyId};
use wuse_engine::policy::{Preset, Scope, ToolState};
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::Engine;

type E<'a> = State<'a, Arc<Engine>>;

#[tauri::command]
#[specta::specta]
pub fn list_accounts(engine: E<'_>) -> ControlResult<Vec<AccountView>> {
    control::accounts::list(&engine)
}

#[tauri::command]
#[specta::specta]
pub async fn pair_account(engine: E<'_>, request: PairRequest) -> ControlResult<AccountView> {
    control::accounts::pair(&engine, request).await
}

#[tauri::command]
#[specta::specta]
pub async fn reconnect_account(engine: E<'_>, id: AccountId) -> ControlResult<()> {
    control::accounts::reconnect(&engine, &id).await
}

#[tauri::command]
#[specta::specta]
pub async fn logout_account(engine: E<'_>, id: AccountId) -> ControlResult<()> {
    control::accounts::logout(&engine, &id).await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_account(engine: E<'_>, id: AccountId) -> ControlResult<()> {
    control::accounts::delete(&engine, &id).await
}

#[tauri::command]
#[specta::specta]
pub fn recent_chats(engine: E<'_>) -> ControlResult<Vec<ChatPick>> {
    control::accounts::recent_chats(&engine, 200)
}

#[tauri::command]
#[specta::specta]
pub fn list_keys(engine: E<'_>) -> ControlResult<Vec<KeyView>> {
    control::keys::list(&engine)
}

#[tauri::command]
#[specta::specta]
pub fn create_key(engine: E<'_>, mode: KeyMode, name: Option<String>) -> ControlResult<CreatedKey> {
    control::keys::create(&engine, mode, name.as_deref())
}

#[tauri::command]
#[specta::specta]
pub fn revoke_key(engine: E<'_>, id: KeyId) -> ControlResult<()> {
    control::keys::revoke(&engine, &id)
}

#[tauri::command]
#[specta::specta]
pub fn restrict_key(engine: E<'_>, id: KeyId, chats: Option<Vec<ChatId>>) -> ControlResult<()> {
    control::keys::restrict(&engine, &id, chats)
}

fn board(engine: &Engine) -> Switchboard<'_> {
    Switchboard::window(&engine.policy, &engine.tools)
}

fn scope(key: Option<KeyId>) -> Scope {
    key.map_or(Scope::Global, Scope::Key)
}

#[tauri::command]
#[specta::specta]
pub fn get_tools(engine: E<'_>, key: Option<KeyId>) -> ControlResult<ToolsView> {
    control::tools::view(&board(&engine), key.as_ref())
}

#[tauri::command]
#[specta::specta]
pub fn set_tool(engine: E<'_>, key: Option<KeyId>, tool: String, state: ToolState) -> ControlResult<()> {
    control::tools::set(&board(&engine), &scope(key), &[tool.as_str()], state)
}

#[tauri::command]
#[specta::specta]
pub fn list_approvals(engine: E<'_>) -> ControlResult<Vec<ApprovalView>> {
    control::approvals::list(&engine.store)
}

#[tauri::command]
#[specta::specta]
pub fn decide_approval(engine: E<'_>, id: String, decision: Decision) -> ControlResult<()> {
    control::approvals::decide(&engine.approvals, &engine.store, &id, decision)
}

#[tauri::command]
#[specta::specta]
pub fn list_allowances(engine: E<'_>) -> ControlResult<Vec<AllowanceView>> {
    control::approvals::allowances(&engine.store)
}

#[tauri::command]
#[specta::specta]
pub fn revoke_allowance(engine: E<'_>, key: KeyId, chat: ChatId) -> ControlResult<()> {
    control::approvals::revoke_allowance(&engine.store, &key, &chat)
}

#[tauri::command]
#[specta::specta]
pub fn apply_preset(engine: E<'_>, key: Option<KeyId>, preset: Preset) -> ControlResult<()> {
    control::tools::preset(&board(&engine), &scope(key), preset)
}

#[tauri::command]
#[specta::specta]
pub fn set_paused(engine: E<'_>, paused: bool) -> ControlResult<()> {
    control::tools::pause(&board(&engine), paused)
}

#[tauri::command]
#[specta::specta]
pub fn get_activity(engine: E<'_>, query: ActivityQuery) -> ControlResult<Vec<ActivityItem>> {
    control::activity::recent(&engine, &query)
}

#[tauri::command]
#[specta::specta]
pub fn get_settings(engine: E<'_>) -> ControlResult<SettingsView> {
    control::settings::view(&engine)
}

#[tauri::command]
#[specta::specta]
pub fn update_settings(app: AppHandle, engine: E<'_>, patch: SettingsPatch) -> ControlResult<SettingsView> {
    if let Some(on) = patch.autostart {
        let launcher = app.autolaunch();
        let applied = if on { launcher.enable() } else { launcher.disable() };
        applied.map_err(|e| ControlError::invalid(format!("could not change start at login: {e}")))?;
    }
    control::settings::update(&engine, &patch)
}

#[tauri::command]
#[specta::specta]
pub fn list_clients(engine: E<'_>) -> Vec<ClientView> {
    control::clients::list(&engine, &Env::current())
}

#[tauri::command]
#[specta::specta]
pub fn preview_client_install(
    engine: E<'_>,
    pending: State<'_, Pending>,
    request: InstallRequest,
) -> ControlResult<Preview> {
    control::clients::preview_install(&engine, &Env::current(), &pending, &request)
}

#[tauri::command]
#[specta::specta]
pub fn preview_client_remove(pending: State<'_, Pending>, client: ClientId) -> ControlResult<Option<Preview>> {
    control::clients::preview_remove(&Env::current(), &pending, client)
}

#[tauri::command]
#[specta::specta]
pub fn confirm_client_change(engine: E<'_>, pending: State<'_, Pending>, token: String) -> ControlResult<Installed> {
    let installed = control::clients::confirm(&engine, &pending, &token)?;
    // Claude Desktop installs an extension bundle when it is opened.
    if installed.action == wuse_engine::clients::Action::Bundle && std::env::var_os("WUSE_NO_OPEN").is_none() {
        if let Err(e) = wuse_engine::clients::open_with_system(std::path::Path::new(&installed.path)) {
            tracing::warn!("could not open {}: {e}", installed.path);
        }
    }
    Ok(installed)
}
