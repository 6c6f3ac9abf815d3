//! The Clients page: each MCP client on this machine, and one-click install or
//! removal after showing the exact change. Installing makes a key for that client
//! (so its use shows, and it can be revoked alone). The preview shows the key cut
//! short; the key is stored when the change is confirmed, before anything holding it
//! is written or shown (a snippet to paste shows it then, once).

use std::collections::HashMap;
use std::path::PathBuf;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::keys::KeyView;
use super::{ControlError, ControlResult};
use crate::clients::{self, Action, ClientId, ClientStatus, Env, Plan, Server};
use crate::engine::Engine;
use crate::keys::Keys;
use crate::policy::Scope;
use crate::store::api_keys::{ApiKeyRecord, KeyMode};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClientView {
    #[serde(flatten)]
    pub status: ClientStatus,
    /// Tools an agent of this client would see now.
    pub tools_visible: u32,
    /// Set when that is more than the client handles well.
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InstallRequest {
    pub client: ClientId,
    pub mode: KeyMode,
    /// Give the new key the compact core toolset (for clients that cap tools).
    pub core_tools: bool,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Preview {
    /// Confirms this exact change with `install`/`remove`.
    pub token: String,
    pub plan: Plan,
    /// The key the client will use (created on confirm).
    pub key_hint: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Installed {
    pub action: Action,
    /// The file changed or the bundle made (empty for a paste).
    pub path: String,
    pub backup: Option<String>,
    pub key: Option<KeyView>,
    /// The entry to paste into the client, with its key: shown once, after the key is
    /// stored.
    pub paste: Option<String>,
}

/// A key a confirmed install creates: its record, and whether it gets the core toolset.
type NewKey = (ApiKeyRecord, bool);

/// Previews waiting for a confirmation, with the key each would create.
#[derive(Default)]
pub struct Pending {
    previews: Mutex<HashMap<String, (Plan, Option<NewKey>)>>,
}

/// Tools a new key sees: every tool the global switches leave on.
fn visible_tools(engine: &Engine) -> u32 {
    let global = engine.policy.switches.overrides(&Scope::Global).unwrap_or_default();
    engine
        .tools
        .all()
        .iter()
        .filter(|t| global.get(t.name).copied().unwrap_or_default() != crate::policy::ToolState::Off)
        .count() as u32
}

pub fn list(engine: &Engine, env: &Env) -> Vec<ClientView> {
    let tools = visible_tools(engine);
    clients::statuses(env)
        .into_iter()
        .map(|status| {
            let warning = status.tool_limit.filter(|l| tools > *l).map(|l| {
                format!(
                    "{} handles about {l} tools at most; WhatsApp-Use offers {tools}. Install with the core toolset.",
                    status.name
                )
            });
            ClientView {
                status,
                tools_visible: tools,
                warning,
            }
        })
        .collect()
}

/// The program clients start for stdio (an AppImage's own path, not its mount).
pub fn command_path() -> PathBuf {
    if let Some(appimage) = std::env::var_os("APPIMAGE") {
        return PathBuf::from(appimage);
    }
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("whatsapp-use"))
}

/// How this engine is reached, with `api_key`.
pub fn server(engine: &Engine, api_key: String) -> Server {
    let dir = &engine.config.data_dir;
    Server {
        url: format!("http://127.0.0.1:{}/mcp", engine.port()),
        command: command_path(),
        api_key,
        data_dir: (*dir != crate::config::default_data_dir()).then(|| dir.clone()),
    }
}

fn client_error(e: clients::ClientError) -> ControlError {
    ControlError {
        code: "invalid_request".into(),
        message: e.to_string(),
    }
}

pub fn preview_install(engine: &Engine, env: &Env, pending: &Pending, req: &InstallRequest) -> ControlResult<Preview> {
    let spec = clients::catalog_spec(req.client);
    let (record, secret) = Keys::prepare(req.mode, Some(spec.name));
    let plan = clients::plan(env, req.client, &server(engine, secret)).map_err(client_error)?;
    let token = uuid::Uuid::new_v4().simple().to_string();
    let hint = Some(record.hint.clone());
    let shown = plan.masked();
    pending
        .previews
        .lock()
        .insert(token.clone(), (plan, Some((record, req.core_tools))));
    Ok(Preview {
        token,
        plan: shown,
        key_hint: hint,
    })
}

pub fn preview_remove(env: &Env, pending: &Pending, client: ClientId) -> ControlResult<Option<Preview>> {
    let Some(plan) = clients::remove_plan(env, client).map_err(client_error)? else {
        return Ok(None);
    };
    let token = uuid::Uuid::new_v4().simple().to_string();
    let shown = plan.masked();
    pending.previews.lock().insert(token.clone(), (plan, None));
    Ok(Some(Preview {
        token,
        plan: shown,
        key_hint: None,
    }))
}

/// Makes a previewed change (install or remove).
pub fn confirm(engine: &Engine, pending: &Pending, token: &str) -> ControlResult<Installed> {
    let (plan, key) = pending
        .previews
        .lock()
        .remove(token)
        .ok_or_else(|| ControlError::invalid("that preview is gone; preview the change again"))?;
    // Store the key first: a config pointing at an unknown key would only fail.
    if let Some((record, core)) = &key {
        engine.keys.insert(record)?;
        super::keys::starting_switches(engine, &record.id, record.mode, *core)?;
    }
    match clients::apply(&plan) {
        Ok(applied) => Ok(Installed {
            paste: matches!(plan.action, Action::Paste { .. }).then(|| plan.entry.clone()),
            action: plan.action,
            path: plan.path,
            backup: applied.backup.map(|b| b.display().to_string()),
            key: key.and_then(|(r, _)| {
                super::keys::list(engine)
                    .ok()
                    .and_then(|l| l.into_iter().find(|k| k.id == r.id))
            }),
        }),
        Err(e) => {
            if let Some((record, _)) = &key {
                let _ = engine.keys.revoke(&record.id);
            }
            Err(client_error(e))
        }
    }
}
