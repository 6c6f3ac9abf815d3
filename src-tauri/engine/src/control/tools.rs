//! The Permissions page and `whatsapp-use tools …`: every tool with its switch,
//! grouped by family; presets; the pause switch. The window and the command line
//! call the same functions here, so both refuse the same mistakes.

use serde::Serialize;

use super::{ControlError, ControlResult};
use crate::ids::KeyId;
use crate::policy::{Channel, Permissions, Policy, Preset, Scope, ToolState};
use crate::tools::{Effect, Family, Registry};

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
    /// May be set to `ask` (it changes what other people see).
    pub askable: bool,
    /// Its state for this scope (the key's own switch, else the global one, else on).
    pub state: ToolState,
    /// On (or asking) for this scope.
    pub enabled: bool,
    /// The global switch, if set.
    pub global: Option<ToolState>,
    /// The key's own switch, if set (only when viewing a key).
    pub key: Option<ToolState>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ToolsView {
    pub paused: bool,
    pub presets: Vec<Preset>,
    pub tools: Vec<ToolView>,
    pub enabled_count: u32,
}

/// What the switches act on: the engine's, or the command line's own over the store.
pub struct Switchboard<'a> {
    pub switches: &'a Permissions,
    pub tools: &'a Registry,
    pub channel: Channel,
}

impl<'a> Switchboard<'a> {
    /// The window's, over a running engine.
    pub fn window(policy: &'a Policy, tools: &'a Registry) -> Self {
        Self {
            switches: &policy.switches,
            tools,
            channel: Channel::Window,
        }
    }
}

/// A key ID as typed (`key_…`), or the global scope.
pub fn scope(key: Option<&str>) -> ControlResult<Scope> {
    match key {
        None => Ok(Scope::Global),
        Some(k) => KeyId::parse(k)
            .map(Scope::Key)
            .map_err(|_| ControlError::invalid(format!("`{k}` is not a key ID (key_…)"))),
    }
}

pub fn view(board: &Switchboard<'_>, key: Option<&KeyId>) -> ControlResult<ToolsView> {
    let global = board.switches.overrides(&Scope::Global)?;
    let own = match key {
        Some(k) => board.switches.overrides(&Scope::Key(k.clone()))?,
        None => Default::default(),
    };
    let tools: Vec<ToolView> = board
        .tools
        .all()
        .iter()
        .map(|t| {
            let g = global.get(t.name).copied();
            let k = own.get(t.name).copied();
            let state = k.or(g).unwrap_or_default();
            ToolView {
                name: t.name.into(),
                title: t.title.into(),
                description: t.description.into(),
                family: t.family,
                effect: t.effect,
                sends: t.sends,
                askable: t.asks.is_some(),
                state,
                enabled: state != ToolState::Off,
                global: g,
                key: key.and(k),
            }
        })
        .collect();
    Ok(ToolsView {
        // Unreadable counts as paused (as the gate decides).
        paused: board.switches.paused().unwrap_or(true),
        presets: Preset::ALL.to_vec(),
        enabled_count: tools.iter().filter(|t| t.enabled).count() as u32,
        tools,
    })
}

/// Turns tools on, off, or to asking first; every name is checked before any switch
/// changes.
pub fn set(board: &Switchboard<'_>, scope: &Scope, tools: &[&str], state: ToolState) -> ControlResult<()> {
    if tools.is_empty() {
        return Err(ControlError::invalid(
            "name at least one tool (see `whatsapp-use tools list`)",
        ));
    }
    for name in tools {
        let Some(t) = board.tools.get(name) else {
            return Err(ControlError::invalid(format!("no tool named `{name}`")));
        };
        if state == ToolState::Ask && t.asks.is_none() {
            return Err(ControlError::invalid(format!(
                "`{name}` changes nothing other people see, so there is nothing to ask about; \
                 switch it on or off"
            )));
        }
    }
    let action = match state {
        ToolState::On => "tools.enable",
        ToolState::Ask => "tools.ask",
        ToolState::Off => "tools.disable",
    };
    Policy::admit_control(board.channel, action);
    Ok(board.switches.set_many(scope, tools, state)?)
}

/// A preset by name (as typed on the command line).
pub fn parse_preset(name: &str) -> ControlResult<Preset> {
    Preset::parse(name).ok_or_else(|| {
        let all: Vec<&str> = Preset::ALL.iter().map(|p| p.as_str()).collect();
        ControlError::invalid(format!("no preset `{name}` ({})", all.join(", ")))
    })
}

pub fn preset(board: &Switchboard<'_>, scope: &Scope, preset: Preset) -> ControlResult<()> {
    Policy::admit_control(board.channel, "tools.preset");
    Ok(board.switches.apply_preset(scope, preset, board.tools.traits())?)
}

pub fn pause(board: &Switchboard<'_>, paused: bool) -> ControlResult<()> {
    Policy::admit_control(board.channel, if paused { "pause" } else { "resume" });
    Ok(board.switches.set_paused(paused)?)
}
