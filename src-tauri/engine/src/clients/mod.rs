//! MCP client configs, set up in one click (the window) or one command
//! (`whatsapp-use clients install`): detect which clients are on this machine, show
//! the exact change, then add our entry to the client's own file in its own format —
//! everything outside our entry unchanged byte for byte, backups kept, the write
//! atomic — or hand it to the client's command line, a paste snippet, or an extension
//! bundle, where that is the client's way.

mod bundle;
mod catalog;
mod detect;
pub mod format;
mod program;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

pub use catalog::{spec as catalog_spec, ClientId, ClientSpec, Method, Shape, CLIENTS};
pub use detect::{detected, version};
pub use format::Format;
pub use program::{open_with_system, which};
pub use write::{apply, backup_path, plan, remove_plan, Action, Applied, ClientError, Plan, BACKUPS};

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

impl Os {
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Os::Macos
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

/// Where a user's files live and which programs are on PATH: the home folder and the
/// environment variables that move things (APPDATA, LOCALAPPDATA, XDG_CONFIG_HOME,
/// CODEX_HOME, PATH…). Explicit, so tests can point it anywhere.
#[derive(Debug, Clone)]
pub struct Env {
    pub os: Os,
    pub home: PathBuf,
    pub vars: BTreeMap<String, String>,
}

impl Env {
    pub fn new(os: Os, home: impl Into<PathBuf>) -> Self {
        Self {
            os,
            home: home.into(),
            vars: BTreeMap::new(),
        }
    }

    /// With one more environment variable.
    pub fn with(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.vars
            .insert(name.to_owned(), value.as_ref().to_string_lossy().into_owned());
        self
    }

    /// This machine's.
    pub fn current() -> Self {
        let home = directories::BaseDirs::new()
            .map(|b| b.home_dir().to_path_buf())
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."));
        Self {
            os: Os::current(),
            home,
            vars: std::env::vars().collect(),
        }
    }

    /// A variable naming a path (unset or empty: None).
    pub fn var(&self, name: &str) -> Option<PathBuf> {
        self.vars.get(name).filter(|v| !v.is_empty()).map(PathBuf::from)
    }

    /// Linux's $XDG_CONFIG_HOME (default ~/.config).
    pub fn xdg_config(&self) -> PathBuf {
        self.var("XDG_CONFIG_HOME").unwrap_or_else(|| self.home.join(".config"))
    }

    /// Windows' %LOCALAPPDATA%.
    pub fn local_appdata(&self) -> PathBuf {
        self.var("LOCALAPPDATA")
            .unwrap_or_else(|| self.home.join("AppData").join("Local"))
    }

    /// The per-user application config folder: ~/.config, ~/Library/Application
    /// Support, or %APPDATA%.
    pub fn app_config(&self) -> PathBuf {
        match self.os {
            Os::Linux => self.xdg_config(),
            Os::Macos => self.home.join("Library").join("Application Support"),
            Os::Windows => self
                .var("APPDATA")
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
    /// The app's data dir when it is not the default one: stdio entries pass it on, so
    /// the bridge finds the running app.
    pub data_dir: Option<PathBuf>,
}

/// The entry a client gets, in the shape it takes servers.
pub fn entry(spec: &ClientSpec, server: &Server) -> Value {
    let mut m = Map::new();
    let text = |s: &str| Value::String(s.to_owned());
    match spec.shape {
        Shape::Stdio { kind } => {
            if let Some(kind) = kind {
                m.insert("type".into(), text(kind));
            }
            m.insert("command".into(), text(&server.command.display().to_string()));
            m.insert("args".into(), Value::Array(vec![text("mcp")]));
            let mut env = Map::from_iter([("WUSE_API_KEY".to_owned(), text(&server.api_key))]);
            if let Some(dir) = &server.data_dir {
                env.insert("WUSE_DATA_DIR".into(), text(&dir.display().to_string()));
            }
            m.insert("env".into(), Value::Object(env));
        }
        Shape::Http { kind, url, headers } => {
            if let Some(kind) = kind {
                m.insert("type".into(), text(kind));
            }
            m.insert(url.into(), text(&server.url));
            let bearer = format!("Bearer {}", server.api_key);
            m.insert(
                headers.into(),
                Value::Object(Map::from_iter([("Authorization".to_owned(), Value::String(bearer))])),
            );
        }
    }
    for (k, v) in spec.extra_fields {
        m.insert((*k).into(), serde_json::from_str(v).unwrap_or(Value::Null));
    }
    Value::Object(m)
}

/// `text` with every WhatsApp-Use key cut to its first characters: what a preview or
/// a terminal shows.
pub fn mask_keys(text: &str) -> String {
    static KEY: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(wuse_(?:live|test)_[A-Za-z0-9]{4})[A-Za-z0-9]+").unwrap());
    KEY.replace_all(text, "$1…").into_owned()
}

/// What the window shows about one client.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClientStatus {
    pub id: ClientId,
    /// Its name on the command line (`claude-code`).
    pub cli_name: String,
    pub name: String,
    pub method: Method,
    pub format: Format,
    /// The file we edit (None for a paste snippet or a bundle).
    pub config_path: Option<String>,
    /// The client looks installed (its app, its command, or its config folder is here).
    pub detected: bool,
    /// Our entry is in its config.
    pub installed: bool,
    /// The config file exists but cannot be parsed (we will not touch it).
    pub unreadable: Option<String>,
    pub transport: String,
    /// Tools a client handles well at most (all its servers together), if it says.
    pub tool_limit: Option<u32>,
    pub notes: String,
    pub docs: String,
}

/// The config file's text: None when missing (or unreadable as a file).
fn read_text(path: &Path) -> Result<Option<String>, String> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| "not UTF-8 text".to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

pub fn status(env: &Env, spec: &ClientSpec) -> ClientStatus {
    let path = spec.config_path(env);
    let parsed = match path.as_ref().filter(|_| spec.method == Method::File) {
        None => Ok(None),
        Some(p) => read_text(p).and_then(|t| match t {
            None => Ok(None),
            Some(t) => format::Doc::parse(spec.format, &t).map(Some).map_err(write::reason),
        }),
    };
    let installed = matches!(&parsed, Ok(Some(doc)) if doc.has(spec.root_key, SERVER_NAME));
    ClientStatus {
        id: spec.id,
        cli_name: spec.id.cli_name(),
        name: spec.name.into(),
        method: spec.method,
        format: spec.format,
        config_path: path.as_ref().map(|p| p.display().to_string()),
        detected: detected(env, spec),
        installed,
        unreadable: parsed.err(),
        transport: spec.shape.describe().into(),
        tool_limit: spec.tool_limit,
        notes: spec.notes.into(),
        docs: spec.docs.into(),
    }
}

pub fn statuses(env: &Env) -> Vec<ClientStatus> {
    CLIENTS.iter().map(|c| status(env, c)).collect()
}
