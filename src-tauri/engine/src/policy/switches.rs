//! The settings the gate decides from: per-tool switches (global, then per key: on,
//! ask, off), presets, and the kill switch that pauses all agent access. Only the
//! policy module reads them to decide; the window and CLI change them through
//! `control`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::ids::KeyId;
use crate::store::{permissions as table, settings, Store, StoreResult};

const PAUSED: &str = "agents_paused";
/// Ready-made sets of tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Preset {
    /// Every tool.
    All,
    /// Only tools that read.
    ReadOnly,
    /// Everything except what other people would see (sending, reacting, groups, profile).
    NoSend,
    /// About 20 essential tools, for clients that degrade with many tools (Cursor near
    /// 40, Windsurf 100 across all servers).
    Core,
    /// Every tool, but what other people would see (sending, editing, reacting,
    /// forwarding, deleting for everyone, groups, profile) waits for a person's yes.
    AskBeforeSending,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::All,
        Preset::ReadOnly,
        Preset::NoSend,
        Preset::Core,
        Preset::AskBeforeSending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::ReadOnly => "read_only",
            Self::NoSend => "no_send",
            Self::Core => "core",
            Self::AskBeforeSending => "ask_before_sending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The compact toolset: what most agent work needs.
pub const CORE: &[&str] = &[
    "list_accounts",
    "get_account_status",
    "list_chats",
    "get_chat",
    "open_chat",
    "list_messages",
    "get_message",
    "search_messages",
    "send_message",
    "mark_chat_read",
    "add_reaction",
    "forward_message",
    "list_contacts",
    "get_contact",
    "check_whatsapp",
    "get_group",
    "list_group_participants",
    "upload_media",
    "download_media",
    "get_events",
    "subscribe_events",
];

/// What a preset needs to know of a tool.
#[derive(Debug, Clone, Copy)]
pub struct ToolTraits<'a> {
    pub name: &'a str,
    /// Only reads (the read-only preset keeps these).
    pub reads_only: bool,
    /// Does something other people see (the no-send preset turns these off).
    pub sends: bool,
    /// May wait for a person's yes (`ask`): what changes what other people see.
    pub askable: bool,
}

impl ToolTraits<'_> {
    /// Waits for a yes under "ask before anything is sent". Presence (typing) is not
    /// something sent.
    pub fn asks_first(&self) -> bool {
        self.askable && self.name != "set_presence"
    }
}

/// A tool's switch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ToolState {
    #[default]
    On,
    /// On, but each call waits for a person to approve it.
    Ask,
    Off,
}

impl ToolState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Ask => "ask",
            Self::Off => "off",
        }
    }

    fn stored(self) -> table::Switch {
        (self != Self::Off, self == Self::Ask)
    }

    fn from_stored((enabled, ask): table::Switch) -> Self {
        match (enabled, ask) {
            (false, _) => Self::Off,
            (true, true) => Self::Ask,
            (true, false) => Self::On,
        }
    }
}

fn states(stored: HashMap<String, table::Switch>) -> HashMap<String, ToolState> {
    stored
        .into_iter()
        .map(|(t, s)| (t, ToolState::from_stored(s)))
        .collect()
}

/// What the gate reads for one decision, in one store read.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub paused: bool,
    /// Each tool's state for the key: its own switch, else the global one (absent: on).
    pub switches: HashMap<String, ToolState>,
}

impl Snapshot {
    pub fn state(&self, tool: &str) -> ToolState {
        self.switches.get(tool).copied().unwrap_or_default()
    }

    pub fn tool_on(&self, tool: &str) -> bool {
        self.state(tool) != ToolState::Off
    }
}

/// Where a switch applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Global,
    Key(KeyId),
}

impl Scope {
    fn key(&self) -> &str {
        match self {
            Self::Global => table::GLOBAL,
            Self::Key(k) => k.as_str(),
        }
    }
}

#[derive(Clone)]
pub struct Permissions {
    store: Store,
    changes: broadcast::Sender<()>,
}

impl Permissions {
    pub fn new(store: Store) -> Self {
        let (changes, _) = broadcast::channel(16);
        Self { store, changes }
    }

    /// Fires when the set of usable tools may have changed (for `tools/list_changed`).
    pub fn changes(&self) -> broadcast::Receiver<()> {
        self.changes.subscribe()
    }

    /// Whether agent access is paused. A store that cannot be read is an error here;
    /// the gate turns it into a denial (it never reads as "not paused").
    pub fn paused(&self) -> StoreResult<bool> {
        Ok(self.store.read(|c| settings::get::<bool>(c, PAUSED))?.unwrap_or(false))
    }

    /// The pause and a key's effective switches, read together.
    pub fn snapshot(&self, key: &KeyId) -> StoreResult<Snapshot> {
        self.store.read(|c| {
            let paused = settings::get::<bool>(c, PAUSED)?.unwrap_or(false);
            let mut switches = states(table::for_scope(c, table::GLOBAL)?);
            switches.extend(states(table::for_scope(c, key.as_str())?));
            Ok(Snapshot { paused, switches })
        })
    }

    /// Announces a change that is not a switch (a key revoked or limited to chats), so
    /// open sessions re-check what they may still do.
    pub fn announce(&self) {
        let _ = self.changes.send(());
    }

    /// The kill switch: while paused, every tool answers `forbidden`.
    pub fn set_paused(&self, paused: bool) -> StoreResult<()> {
        self.store.write(|tx| {
            settings::set(tx, PAUSED, &paused)?;
            settings::bump_policy_version(tx)
        })?;
        let _ = self.changes.send(());
        Ok(())
    }

    /// The switches set at one level (not the effective state).
    pub fn overrides(&self, scope: &Scope) -> StoreResult<BTreeMap<String, ToolState>> {
        Ok(states(self.store.read(|c| table::for_scope(c, scope.key()))?)
            .into_iter()
            .collect())
    }

    pub fn set(&self, scope: &Scope, tool: &str, state: ToolState) -> StoreResult<()> {
        self.set_many(scope, &[tool], state)
    }

    /// Several switches in one transaction: all change, or none.
    pub fn set_many(&self, scope: &Scope, tools: &[&str], state: ToolState) -> StoreResult<()> {
        self.store.write(|tx| {
            for tool in tools {
                table::set(tx, scope.key(), tool, state.stored())?;
            }
            settings::bump_policy_version(tx)
        })?;
        let _ = self.changes.send(());
        Ok(())
    }

    /// Replaces a scope's switches with a preset.
    pub fn apply_preset<'a>(
        &self,
        scope: &Scope,
        preset: Preset,
        tools: impl IntoIterator<Item = ToolTraits<'a>>,
    ) -> StoreResult<()> {
        self.store.write(|tx| {
            table::clear(tx, scope.key())?;
            for t in tools {
                let state = match preset {
                    Preset::All => ToolState::On,
                    Preset::ReadOnly if t.reads_only => ToolState::On,
                    Preset::NoSend if !t.sends => ToolState::On,
                    Preset::Core if CORE.contains(&t.name) => ToolState::On,
                    Preset::AskBeforeSending if t.asks_first() => ToolState::Ask,
                    Preset::AskBeforeSending => ToolState::On,
                    _ => ToolState::Off,
                };
                // A key's "all" means: everything, whatever the global switches say.
                if state != ToolState::On || (preset == Preset::All && matches!(scope, Scope::Key(_))) {
                    table::set(tx, scope.key(), t.name, state.stored())?;
                }
            }
            settings::bump_policy_version(tx)
        })?;
        let _ = self.changes.send(());
        Ok(())
    }

    /// Watches for changes made by other processes (the CLI) and announces them.
    pub fn spawn_watcher(&self, shutdown: tokio_util::sync::CancellationToken) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut last = this.version();
            loop {
                tokio::select! {
                    () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                    () = shutdown.cancelled() => return,
                }
                let now = this.version();
                if now != last {
                    last = now;
                    let _ = this.changes.send(());
                }
            }
        });
    }

    /// An unreadable store reads as a change, so sessions re-check (and the gate denies).
    fn version(&self) -> u64 {
        self.store.read(settings::policy_version).unwrap_or(u64::MAX)
    }
}
