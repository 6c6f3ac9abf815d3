//! The Settings page and `whatsapp-use settings …`: one validation for both, so the
//! command line refuses what the window refuses.

use serde::{Deserialize, Serialize};

use super::{ControlError, ControlResult};
use crate::approvals;
use crate::engine::{Engine, RETENTION_SETTING};
use crate::policy::limits::{
    CALLS_SETTING, DEFAULT_CALLS_PER_MINUTE, DEFAULT_NEW_CHAT_SENDS_PER_MINUTE, NEW_CHATS_SETTING,
};
use crate::policy::Channel;
use crate::store::{settings, Store, StoreResult};
use crate::wa::{HistoryOnLink, HISTORY_ON_LINK_SETTING};

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
    /// How much history the phone sends a device linked from now on.
    pub history_on_link: HistoryOnLink,
    /// How long a call on `ask` waits for a person's answer, in seconds.
    pub approval_timeout_s: u64,
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
    pub history_on_link: Option<HistoryOnLink>,
    pub approval_timeout_s: Option<u64>,
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
        paused: engine.policy.paused(),
        event_retention_days: get(engine, RETENTION_SETTING)?.unwrap_or(crate::config::DEFAULT_EVENT_RETENTION_DAYS),
        rate_limit_per_minute: get(engine, CALLS_SETTING)?.unwrap_or(DEFAULT_CALLS_PER_MINUTE),
        new_chat_sends_per_minute: get(engine, NEW_CHATS_SETTING)?.unwrap_or(DEFAULT_NEW_CHAT_SENDS_PER_MINUTE),
        upload_roots: crate::media::upload_roots(&engine.store)
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        audit_bodies: get(engine, crate::audit::BODIES_SETTING)?.unwrap_or(false),
        history_on_link: get(engine, HISTORY_ON_LINK_SETTING)?.unwrap_or_default(),
        approval_timeout_s: get(engine, approvals::TIMEOUT_SETTING)?.unwrap_or(approvals::DEFAULT_TIMEOUT_S),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// One change of one setting: what the window's patch and `settings set` both become,
/// so both are checked by the same rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Port(u16),
    Autostart(bool),
    RetentionDays(u32),
    CallsPerMinute(u32),
    NewChatSendsPerMinute(u32),
    UploadRoots(Vec<String>),
    AuditBodies(bool),
    /// How long signed download links stay valid (the command line only).
    LinkLifetimeMs(i64),
    HistoryOnLink(HistoryOnLink),
    ApprovalTimeoutS(u64),
}

/// The settings a person may change, by the names the command line takes.
pub const NAMES: &[&str] = &[
    PORT_SETTING,
    AUTOSTART_SETTING,
    RETENTION_SETTING,
    CALLS_SETTING,
    NEW_CHATS_SETTING,
    crate::media::ROOTS_SETTING,
    crate::audit::BODIES_SETTING,
    crate::media::signed::VALID_SETTING,
    HISTORY_ON_LINK_SETTING,
    approvals::TIMEOUT_SETTING,
];

/// Calls a minute per key at most (0 turns the limit off).
pub const MAX_CALLS_PER_MINUTE: u32 = 100_000;
/// Messages a minute to new chats at most: the anti-ban limit cannot be turned off.
pub const MAX_NEW_CHAT_SENDS: u32 = 60;
/// Download links live at most 30 days.
const MAX_LINK_MS: i64 = 30 * 24 * 60 * 60 * 1000;

impl Change {
    /// One setting by name, its value as JSON (`whatsapp-use settings set NAME VALUE`).
    pub fn parse(name: &str, value: &str) -> ControlResult<Self> {
        let v: serde_json::Value = serde_json::from_str(value)
            .map_err(|_| ControlError::invalid(format!("`{value}` is not a JSON value (strings need quotes)")))?;
        let bad = |what: &str| ControlError::invalid(format!("`{name}` takes {what}, not {v}"));
        let num = |what: &str| u32::deserialize(&v).map_err(|_| bad(what));
        let flag = || v.as_bool().ok_or_else(|| bad("true or false"));
        let change = match name {
            PORT_SETTING => Self::Port(u16::deserialize(&v).map_err(|_| bad("a port number"))?),
            AUTOSTART_SETTING => Self::Autostart(flag()?),
            RETENTION_SETTING => Self::RetentionDays(num("a number of days")?),
            CALLS_SETTING => Self::CallsPerMinute(num("a number of calls")?),
            NEW_CHATS_SETTING => Self::NewChatSendsPerMinute(num("a number of messages")?),
            crate::media::ROOTS_SETTING => {
                Self::UploadRoots(Vec::<String>::deserialize(&v).map_err(|_| bad("a list of folder paths"))?)
            }
            crate::audit::BODIES_SETTING => Self::AuditBodies(flag()?),
            crate::media::signed::VALID_SETTING => {
                Self::LinkLifetimeMs(i64::deserialize(&v).map_err(|_| bad("a number of milliseconds"))?)
            }
            approvals::TIMEOUT_SETTING => {
                Self::ApprovalTimeoutS(u64::deserialize(&v).map_err(|_| bad("a number of seconds"))?)
            }
            HISTORY_ON_LINK_SETTING => {
                Self::HistoryOnLink(HistoryOnLink::deserialize(&v).map_err(|_| bad("\"recent\" or \"everything\""))?)
            }
            "agents_paused" => {
                return Err(ControlError::invalid(
                    "pause and resume agent access with `whatsapp-use tools pause` / `tools resume`",
                ))
            }
            _ => {
                return Err(ControlError::invalid(format!(
                    "no setting named `{name}`; settings: {}",
                    NAMES.join(", ")
                )))
            }
        };
        change.check()?;
        Ok(change)
    }

    fn check(&self) -> ControlResult<()> {
        let refuse = |m: String| Err(ControlError::invalid(m));
        match self {
            Self::Port(p) if *p < 1024 => refuse("pick a port from 1024 to 65535".into()),
            Self::RetentionDays(d) if !(1..=3650).contains(d) => refuse("keep events between 1 and 3650 days".into()),
            Self::CallsPerMinute(r) if *r > MAX_CALLS_PER_MINUTE => refuse(format!(
                "allow at most {MAX_CALLS_PER_MINUTE} calls a minute per key (0 turns the limit off)"
            )),
            Self::NewChatSendsPerMinute(r) if !(1..=MAX_NEW_CHAT_SENDS).contains(r) => refuse(format!(
                "allow 1 to {MAX_NEW_CHAT_SENDS} messages a minute to new chats (more gets WhatsApp accounts banned)"
            )),
            Self::UploadRoots(roots) => match roots.iter().find(|r| !std::path::Path::new(r).is_absolute()) {
                Some(bad) => refuse(format!("`{bad}` is not an absolute folder path")),
                None => Ok(()),
            },
            Self::LinkLifetimeMs(ms) if !(1..=MAX_LINK_MS).contains(ms) => {
                refuse("download links live from 1 ms to 30 days".into())
            }
            Self::ApprovalTimeoutS(s) if !(1..=86_400).contains(s) => {
                refuse("a call waits for approval from 1 second to a day".into())
            }
            _ => Ok(()),
        }
    }

    fn write(&self, tx: &rusqlite::Connection) -> StoreResult<()> {
        match self {
            Self::Port(v) => settings::set(tx, PORT_SETTING, v),
            Self::Autostart(v) => settings::set(tx, AUTOSTART_SETTING, v),
            Self::RetentionDays(v) => settings::set(tx, RETENTION_SETTING, v),
            Self::CallsPerMinute(v) => settings::set(tx, CALLS_SETTING, v),
            Self::NewChatSendsPerMinute(v) => settings::set(tx, NEW_CHATS_SETTING, v),
            Self::UploadRoots(v) => settings::set(tx, crate::media::ROOTS_SETTING, v),
            Self::AuditBodies(v) => settings::set(tx, crate::audit::BODIES_SETTING, v),
            Self::LinkLifetimeMs(v) => settings::set(tx, crate::media::signed::VALID_SETTING, v),
            Self::HistoryOnLink(v) => settings::set(tx, HISTORY_ON_LINK_SETTING, v),
            Self::ApprovalTimeoutS(v) => settings::set(tx, approvals::TIMEOUT_SETTING, v),
        }
    }
}

impl SettingsPatch {
    pub fn changes(&self) -> Vec<Change> {
        let mut out = Vec::new();
        out.extend(self.port.map(Change::Port));
        out.extend(self.autostart.map(Change::Autostart));
        out.extend(self.event_retention_days.map(Change::RetentionDays));
        out.extend(self.rate_limit_per_minute.map(Change::CallsPerMinute));
        out.extend(self.new_chat_sends_per_minute.map(Change::NewChatSendsPerMinute));
        out.extend(self.upload_roots.clone().map(Change::UploadRoots));
        out.extend(self.audit_bodies.map(Change::AuditBodies));
        out.extend(self.history_on_link.map(Change::HistoryOnLink));
        out.extend(self.approval_timeout_s.map(Change::ApprovalTimeoutS));
        out
    }
}

/// Validates and writes changes: all of them, or nothing when one is wrong.
pub fn apply(store: &Store, channel: Channel, changes: &[Change]) -> ControlResult<()> {
    for c in changes {
        c.check()?;
    }
    crate::policy::Policy::admit_control(channel, "settings.update");
    store.write(|tx| changes.iter().try_for_each(|c| c.write(tx)))?;
    Ok(())
}

pub fn update(engine: &Engine, patch: &SettingsPatch) -> ControlResult<SettingsView> {
    apply(&engine.store, Channel::Window, &patch.changes())?;
    view(engine)
}

/// Every stored setting a person may see (secrets left out), for `settings list`.
pub fn list(store: &Store) -> ControlResult<Vec<(String, String)>> {
    Ok(store
        .read(settings::all)?
        .into_iter()
        .filter(|(k, _)| !k.ends_with("secret"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `settings set` refuses what the window refuses, and names it.
    #[test]
    fn one_setting_by_name_is_checked_like_the_window() {
        assert_eq!(
            Change::parse("rate_limit_per_minute", "0").unwrap(),
            Change::CallsPerMinute(0)
        );
        assert_eq!(
            Change::parse("media_url_valid_ms", "1").unwrap(),
            Change::LinkLifetimeMs(1)
        );
        assert_eq!(
            Change::parse("history_on_link", "\"everything\"").unwrap(),
            Change::HistoryOnLink(HistoryOnLink::Everything)
        );
        for (name, value) in [
            ("no_such_setting", "1"),
            ("agents_paused", "false"),
            ("rate_limit_per_minute", "-1"),
            ("rate_limit_per_minute", "\"lots\""),
            ("rate_limit_per_minute", "1000000"),
            ("port", "70000"),
            ("port", "80"),
            ("autostart", "1"),
            ("upload_roots", "\"/tmp\""),
            ("upload_roots", "[\"relative/dir\"]"),
            ("event_retention_days", "not json"),
            ("event_retention_days", "0"),
            ("new_chat_sends_per_minute", "0"),
            ("new_chat_sends_per_minute", "1000"),
            ("media_url_valid_ms", "-1"),
            ("history_on_link", "\"all\""),
            ("history_on_link", "true"),
            ("approval_timeout_s", "0"),
        ] {
            assert_eq!(
                Change::parse(name, value).unwrap_err().code,
                "invalid_request",
                "{name} {value}"
            );
        }
        let window = SettingsPatch {
            new_chat_sends_per_minute: Some(0),
            ..Default::default()
        };
        assert!(window.changes().iter().any(|c| c.check().is_err()));
    }
}
