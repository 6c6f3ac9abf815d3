//! MCP client config files, written in one click (the window) or one command
//! (`whatsapp-use clients install`): detect which clients are on this machine, show
//! the exact change, then merge our entry into the client's JSON file — every other
//! entry and unknown field kept, a backup made, the write atomic — or refuse with
//! the file untouched when it is not valid JSON.

mod catalog;
mod write;

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

pub use catalog::{spec as catalog_spec, ClientId, ClientSpec, Transport, CLIENTS};
pub use write::{apply, plan, remove_plan, ClientError, Plan};

/// The server's name inside client configs.
pub const SERVER_NAME: &str = "whatsapp";

/// Which operating system's path conventions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

/// Where a user's files live: home, and on Windows %APPDATA%; on Linux
/// $XDG_CONFIG_HOME. Explicit, so tests can point it anywhere.
#[derive(Debug, Clone)]
pub struct Env {
    pub os: Os,
    pub home: PathBuf,
    /// Windows %APPDATA% (Roaming).
    pub appdata: Option<PathBuf>,
    /// Linux $XDG_CONFIG_HOME (default ~/.config).
    pub xdg_config: Option<PathBuf>,
}

impl Env {
    /// This machine's.
    pub fn current() -> Self {
        let home = directories::BaseDirs::new()
            .map(|b| b.home_dir().to_path_buf())
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."));
        let os = if cfg!(target_os = "macos") {
            Os::Macos
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        };
        Self {
            os,
            appdata: std::env::var_os("APPDATA").map(PathBuf::from),
            xdg_config: std::env::var_os("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            home,
        }
    }

    /// The per-user application config folder: ~/.config, ~/Library/Application
    /// Support, or %APPDATA%.
    pub fn app_config(&self) -> PathBuf {
        match self.os {
            Os::Linux => self.xdg_config.clone().unwrap_or_else(|| self.home.join(".config")),
            Os::Macos => self.home.join("Library").join("Application Support"),
            Os::Windows => self
                .appdata
                .clone()
                .unwrap_or_else(|| self.home.join("AppData").join("Roaming")),
        }
    }
}

/// How our server is reached: over HTTP with a key header, or by running the bridge.
#[derive(Debug, Clone)]
pub struct Server {
    pub url: String,
    /// The `whatsapp-use` executable, for stdio entries.
    pub command: PathBuf,
    pub api_key: String,
}

/// The entry a client gets, by how the client takes servers.
pub fn entry(spec: &ClientSpec, server: &Server) -> Value {
    let bearer = format!("Bearer {}", server.api_key);
    let headers = || {
        Value::Object(Map::from_iter([(
            "Authorization".to_owned(),
            Value::String(bearer.clone()),
        )]))
    };
    let stdio = |with_type: bool| {
        let mut m = Map::new();
        if with_type {
            m.insert("type".into(), "stdio".into());
        }
        m.insert("command".into(), server.command.display().to_string().into());
        m.insert("args".into(), Value::Array(vec!["mcp".into()]));
        m.insert(
            "env".into(),
            Value::Object(Map::from_iter([(
                "WUSE_API_KEY".to_owned(),
                Value::String(server.api_key.clone()),
            )])),
        );
        Value::Object(m)
    };
    let mut m = Map::new();
    match spec.transport {
        Transport::Stdio => return stdio(false),
        Transport::HttpTyped(kind) => {
            m.insert("type".into(), kind.into());
            m.insert("url".into(), server.url.clone().into());
            m.insert("headers".into(), headers());
        }
        Transport::Http => {
            m.insert("url".into(), server.url.clone().into());
            m.insert("headers".into(), headers());
        }
        Transport::ServerUrl => {
            m.insert("serverUrl".into(), server.url.clone().into());
            m.insert("headers".into(), headers());
        }
    }
    for (k, v) in spec.extra_fields {
        m.insert((*k).into(), serde_json::from_str(v).unwrap_or(Value::Null));
    }
    Value::Object(m)
}

/// What the window shows about one client.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClientStatus {
    pub id: ClientId,
    pub name: String,
    pub config_path: String,
    /// The client looks installed (its config folder or file exists).
    pub detected: bool,
    /// Our entry is in its config.
    pub installed: bool,
    /// The config file exists but is not valid JSON (we will not touch it).
    pub unreadable: Option<String>,
    pub transport: String,
    /// Tools a client handles well at most (all its servers together), if it says.
    pub tool_limit: Option<u32>,
    pub notes: String,
}

fn read_json(path: &Path) -> Result<Option<Value>, String> {
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().is_empty() => Ok(None),
        Ok(s) => serde_json::from_str(&s).map(Some).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub fn status(env: &Env, spec: &ClientSpec) -> ClientStatus {
    let path = spec.config_path(env);
    let parsed = read_json(&path);
    let installed = matches!(&parsed, Ok(Some(v)) if v.get(spec.root_key).and_then(|r| r.get(SERVER_NAME)).is_some());
    ClientStatus {
        id: spec.id,
        name: spec.name.into(),
        config_path: path.display().to_string(),
        detected: path.exists() || spec.detect_dirs(env).iter().any(|d| d.exists()),
        installed,
        unreadable: parsed.err(),
        transport: spec.transport.describe().into(),
        tool_limit: spec.tool_limit,
        notes: spec.notes.into(),
    }
}

pub fn statuses(env: &Env) -> Vec<ClientStatus> {
    CLIENTS.iter().map(|c| status(env, c)).collect()
}
