//! The Settings page.

use serde::{Deserialize, Serialize};

use super::{ControlError, ControlResult};
use crate::engine::{Engine, RETENTION_SETTING};
use crate::limits::{CALLS_SETTING, DEFAULT_CALLS_PER_MINUTE, DEFAULT_NEW_CHAT_SENDS_PER_MINUTE, NEW_CHATS_SETTING};
use crate::store::{settings, StoreResult};

/// Setting: the port to listen on (used at the next start).
pub const PORT_SETTING: &str = "port";
/// Setting: start with the system (the desktop shell applies it).
pub const AUTOSTART_SETTING: &str = "autostart";

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SettingsView {
    /// Where the MCP server listens now.
    pub mcp_url: String,
    pub sse_url: String,
    /// The port to use from the next start.
    pub port: u16,
    pub data_dir: String,
    pub autostart: bool,
    pub paused: bool,
    pub event_retention_days: u32,
    pub rate_limit_per_minute: u32,
    pub new_chat_sends_per_minute: u32,
    pub upload_roots: Vec<String>,
    pub audit_bodies: bool,
    pub version: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SettingsPatch {
    pub port: Option<u16>,
    pub autostart: Option<bool>,
    pub event_retention_days: Option<u32>,
    pub rate_limit_per_minute: Option<u32>,
    pub new_chat_sends_per_minute: Option<u32>,
    pub upload_roots: Option<Vec<String>>,
    pub audit_bodies: Option<bool>,
}

fn get<T: serde::de::DeserializeOwned>(engine: &Engine, key: &str) -> StoreResult<Option<T>> {
    engine.store.read(|c| settings::get(c, key))
}

pub fn view(engine: &Engine) -> ControlResult<SettingsView> {
    let port = engine.port();
    Ok(SettingsView {
        mcp_url: format!("http://127.0.0.1:{port}/mcp"),
        sse_url: format!("http://127.0.0.1:{port}/sse"),
        port: get(engine, PORT_SETTING)?.unwrap_or(port),
        data_dir: engine.config.data_dir.display().to_string(),
        autostart: get(engine, AUTOSTART_SETTING)?.unwrap_or(false),
        paused: engine.permissions.paused(),
        event_retention_days: get(engine, RETENTION_SETTING)?.unwrap_or(crate::config::DEFAULT_EVENT_RETENTION_DAYS),
        rate_limit_per_minute: get(engine, CALLS_SETTING)?.unwrap_or(DEFAULT_CALLS_PER_MINUTE),
        new_chat_sends_per_minute: get(engine, NEW_CHATS_SETTING)?.unwrap_or(DEFAULT_NEW_CHAT_SENDS_PER_MINUTE),
        upload_roots: crate::media::upload_roots(&engine.store)
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        audit_bodies: get(engine, crate::audit::BODIES_SETTING)?.unwrap_or(false),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

pub fn update(engine: &Engine, patch: &SettingsPatch) -> ControlResult<SettingsView> {
    if patch.port.is_some_and(|p| p < 1024) {
        return Err(ControlError::invalid("pick a port from 1024 to 65535"));
    }
    if patch.event_retention_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(ControlError::invalid("keep events between 1 and 3650 days"));
    }
    if let Some(roots) = &patch.upload_roots {
        if let Some(bad) = roots.iter().find(|r| !std::path::Path::new(r).is_absolute()) {
            return Err(ControlError::invalid(format!("`{bad}` is not an absolute folder path")));
        }
    }
    engine.store.write(|tx| {
        if let Some(v) = patch.port {
            settings::set(tx, PORT_SETTING, &v)?;
        }
        if let Some(v) = patch.autostart {
            settings::set(tx, AUTOSTART_SETTING, &v)?;
        }
        if let Some(v) = patch.event_retention_days {
            settings::set(tx, RETENTION_SETTING, &v)?;
        }
        if let Some(v) = patch.rate_limit_per_minute {
            settings::set(tx, CALLS_SETTING, &v)?;
        }
        if let Some(v) = patch.new_chat_sends_per_minute {
            settings::set(tx, NEW_CHATS_SETTING, &v)?;
        }
        if let Some(v) = &patch.upload_roots {
            settings::set(tx, crate::media::ROOTS_SETTING, v)?;
        }
        if let Some(v) = patch.audit_bodies {
            settings::set(tx, crate::audit::BODIES_SETTING, &v)?;
        }
        Ok(())
    })?;
    view(engine)
}
