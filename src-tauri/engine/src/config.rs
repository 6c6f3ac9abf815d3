//! Where data lives and how the server listens.

use std::path::PathBuf;

use crate::wa::sandbox::SandboxConfig;

pub const DEFAULT_PORT: u16 = 7474;
/// Events older than this are dropped from the log.
pub const DEFAULT_EVENT_RETENTION_DAYS: u32 = 30;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub port: u16,
    pub sandbox: SandboxConfig,
    /// On the very first start: create a sandbox account and a test key.
    pub bootstrap: bool,
    /// The database key, when the embedder supplies it (tests); otherwise it comes
    /// from `WUSE_DB_KEY` or the OS keychain.
    pub db_key: Option<crate::secrets::DbKey>,
    /// How far a live subscriber may fall behind before it is told it missed events
    /// (`WUSE_EVENT_BUFFER`, default 4096).
    pub event_buffer: usize,
    /// How live accounts reach WhatsApp (tests: an in-process server).
    pub live: crate::wa::live::LiveOptions,
}

impl EngineConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            port: DEFAULT_PORT,
            sandbox: SandboxConfig::from_env(),
            bootstrap: true,
            db_key: None,
            event_buffer: std::env::var("WUSE_EVENT_BUFFER")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(crate::events::DEFAULT_EVENT_BUFFER),
            live: Default::default(),
        }
    }
}

/// The data dir: `WUSE_DATA_DIR`, else the OS convention
/// (`~/.local/share/whatsapp-use`, `~/Library/Application Support/dev.whatsapp-use.WhatsApp-Use`,
/// `%APPDATA%\whatsapp-use\WhatsApp-Use\data`).
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("WUSE_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("dev", "whatsapp-use", "WhatsApp-Use")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".whatsapp-use"))
}
