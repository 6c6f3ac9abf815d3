//! The Permissions page: every tool with its switch, grouped by family; presets;
//! the pause switch.

use serde::Serialize;

use super::{ControlError, ControlResult};
use crate::engine::Engine;
use crate::ids::KeyId;
use crate::tools::permissions::{Preset, Scope};
use crate::tools::{Effect, Family};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ToolView {
    pub name: String,
    pub title: String,
    pub description: String,
    pub family: Family,
    pub effect: Effect,
    /// Does something other people see (sending, reacting, groups, profile).
    pub sends: bool,
    /// On for this scope (the key's own switch, else the global one, else on).
    pub enabled: bool,
    /// The global switch, if set.
    pub global: Option<bool>,
    /// The key's own switch, if set (only when viewing a key).
    pub key: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ToolsView {
    pub paused: bool,
    pub presets: Vec<Preset>,
    pub tools: Vec<ToolView>,
    pub enabled_count: u32,
}

pub fn view(engine: &Engine, key: Option<&KeyId>) -> ControlResult<ToolsView> {
    let global = engine.permissions.overrides(&Scope::Global)?;
    let own = match key {
        Some(k) => engine.permissions.overrides(&Scope::Key(k.clone()))?,
        None => Default::default(),
    };
    let tools: Vec<ToolView> = engine
        .tools
        .all()
        .iter()
        .map(|t| {
            let g = global.get(t.name).copied();
            let k = own.get(t.name).copied();
            ToolView {
                name: t.name.into(),
                title: t.title.into(),
                description: t.description.into(),
                family: t.family,
                effect: t.effect,
                sends: t.sends,
                enabled: k.or(g).unwrap_or(true),
                global: g,
                key: key.and(k),
            }
        })
        .collect();
    Ok(ToolsView {
        paused: engine.permissions.paused(),
        presets: Preset::ALL.to_vec(),
        enabled_count: tools.iter().filter(|t| t.enabled).count() as u32,
        tools,
    })
}

fn scope(key: Option<KeyId>) -> Scope {
    key.map_or(Scope::Global, Scope::Key)
}

pub fn set(engine: &Engine, key: Option<KeyId>, tool: &str, enabled: bool) -> ControlResult<()> {
    if engine.tools.get(tool).is_none() {
        return Err(ControlError::invalid(format!("no tool {tool}")));
    }
    Ok(engine.permissions.set(&scope(key), tool, enabled)?)
}

pub fn preset(engine: &Engine, key: Option<KeyId>, preset: Preset) -> ControlResult<()> {
    Ok(engine.permissions.apply_preset(&scope(key), preset, &engine.tools)?)
}

pub fn pause(engine: &Engine, paused: bool) -> ControlResult<()> {
    Ok(engine.permissions.set_paused(paused)?)
}
