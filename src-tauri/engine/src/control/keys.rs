//! API keys from the window: create (the secret shown once; a live key starts on the
//! "ask before anything is sent" preset), list, revoke, limit.

use serde::Serialize;

use super::{iso, iso_opt, ControlError, ControlResult};
use crate::engine::Engine;
use crate::ids::{ChatId, KeyId};
use crate::policy::switches::CORE;
use crate::policy::{Preset, Scope, ToolState};
use crate::store::api_keys::{ApiKeyRecord, KeyMode};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyView {
    pub id: KeyId,
    pub name: String,
    pub mode: KeyMode,
    pub hint: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub chats: Option<Vec<ChatId>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CreatedKey {
    pub key: KeyView,
    /// Shown once; only its hash is kept.
    pub secret: String,
}

fn view(r: ApiKeyRecord) -> KeyView {
    KeyView {
        id: r.id,
        name: r.name,
        mode: r.mode,
        hint: r.hint,
        created_at: iso(r.created_at),
        last_used_at: iso_opt(r.last_used_at),
        revoked_at: iso_opt(r.revoked_at),
        chats: r.chats,
    }
}

pub fn list(engine: &Engine) -> ControlResult<Vec<KeyView>> {
    Ok(engine.keys.list()?.into_iter().rev().map(view).collect())
}

pub fn create(engine: &Engine, mode: KeyMode, name: Option<&str>) -> ControlResult<CreatedKey> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 64) {
        return Err(ControlError::invalid("a key name has at most 64 characters"));
    }
    let (record, secret) = engine.keys.create(mode, name)?;
    starting_switches(engine, &record.id, mode, false)?;
    Ok(CreatedKey {
        key: view(record),
        secret,
    })
}

/// The switches a key made in the window starts with. A key for a person's own
/// WhatsApp starts careful: what others would see waits for a yes (the Permissions
/// page changes it). `core` narrows a key to the core toolset (clients that cap tools).
pub fn starting_switches(engine: &Engine, id: &KeyId, mode: KeyMode, core: bool) -> ControlResult<()> {
    let scope = Scope::Key(id.clone());
    let switches = &engine.policy.switches;
    match (mode, core) {
        (KeyMode::Test, false) => {}
        (KeyMode::Live, false) => switches.apply_preset(&scope, Preset::AskBeforeSending, engine.tools.traits())?,
        (mode, true) => {
            switches.apply_preset(&scope, Preset::Core, engine.tools.traits())?;
            if mode == KeyMode::Live {
                let asking: Vec<&str> = engine
                    .tools
                    .traits()
                    .filter(|t| t.asks_first() && CORE.contains(&t.name))
                    .map(|t| t.name)
                    .collect();
                switches.set_many(&scope, &asking, ToolState::Ask)?;
            }
        }
    }
    Ok(())
}

pub fn revoke(engine: &Engine, id: &KeyId) -> ControlResult<()> {
    if engine.keys.revoke(id)? {
        engine.policy.switches.announce();
        Ok(())
    } else {
        Err(ControlError::invalid(format!("{id} is not an active key")))
    }
}

pub fn restrict(engine: &Engine, id: &KeyId, chats: Option<Vec<ChatId>>) -> ControlResult<()> {
    if engine.keys.set_chats(id, chats.as_deref().filter(|c| !c.is_empty()))? {
        engine.policy.switches.announce();
        Ok(())
    } else {
        Err(ControlError::invalid(format!("no key {id}")))
    }
}
