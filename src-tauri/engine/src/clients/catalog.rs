//! The MCP clients we configure: where each keeps its config, per OS, and the shape
//! of its server entries. (Sources and reasons in docs/clients.md.)

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Env, Os};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ClientId {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Cline,
    Vscode,
    Windsurf,
    Zed,
}

impl ClientId {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.to_ascii_lowercase().replace(['-', ' '], "_");
        CLIENTS.iter().map(|c| c.id).find(|id| {
            serde_json::to_value(id)
                .ok()
                .and_then(|v| v.as_str().map(|v| v == s))
                .unwrap_or(false)
                || (s == "vs_code" && *id == ClientId::Vscode)
        })
    }
}

/// How a client reaches a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Starts a command and speaks stdio (`whatsapp-use mcp` with `WUSE_API_KEY`).
    Stdio,
    /// `url` + `headers`.
    Http,
    /// `type` (this value) + `url` + `headers`.
    HttpTyped(&'static str),
    /// `serverUrl` + `headers` (Windsurf).
    ServerUrl,
}

impl Transport {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Stdio => "stdio (whatsapp-use mcp)",
            _ => "streamable HTTP",
        }
    }
}

pub struct ClientSpec {
    pub id: ClientId,
    pub name: &'static str,
    pub transport: Transport,
    /// The object that holds servers by name.
    pub root_key: &'static str,
    /// More fields for our entry (JSON values).
    pub extra_fields: &'static [(&'static str, &'static str)],
    pub tool_limit: Option<u32>,
    pub notes: &'static str,
    paths: fn(&Env) -> Vec<PathBuf>,
    dirs: fn(&Env) -> Vec<PathBuf>,
}

impl ClientSpec {
    /// The config file: the first candidate that exists, else the preferred one.
    pub fn config_path(&self, env: &Env) -> PathBuf {
        let candidates = (self.paths)(env);
        candidates
            .iter()
            .find(|p| p.exists())
            .cloned()
            .unwrap_or_else(|| candidates[0].clone())
    }

    /// Folders whose presence says the client is installed.
    pub fn detect_dirs(&self, env: &Env) -> Vec<PathBuf> {
        (self.dirs)(env)
    }

    /// Every path this client may use on this OS (newest convention first).
    pub fn candidate_paths(&self, env: &Env) -> Vec<PathBuf> {
        (self.paths)(env)
    }
}

fn vscode_user(env: &Env) -> PathBuf {
    env.app_config().join("Code").join("User")
}

fn claude_desktop_dir(env: &Env) -> PathBuf {
    env.app_config().join("Claude")
}

fn zed_dir(env: &Env) -> PathBuf {
    match env.os {
        // Zed keeps its settings in ~/.config/zed on macOS and Linux alike.
        Os::Linux => env.app_config().join("zed"),
        Os::Macos => env.home.join(".config").join("zed"),
        Os::Windows => env.app_config().join("Zed"),
    }
}

pub static CLIENTS: &[ClientSpec] = &[
    ClientSpec {
        id: ClientId::ClaudeDesktop,
        name: "Claude Desktop",
        transport: Transport::Stdio,
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "Takes only command servers in this file, so it runs `whatsapp-use mcp`. Restart Claude Desktop after installing.",
        paths: |e| vec![claude_desktop_dir(e).join("claude_desktop_config.json")],
        dirs: |e| vec![claude_desktop_dir(e)],
    },
    ClientSpec {
        id: ClientId::ClaudeCode,
        name: "Claude Code",
        transport: Transport::HttpTyped("http"),
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "User scope (~/.claude.json): every project sees it.",
        paths: |e| vec![e.home.join(".claude.json")],
        dirs: |e| vec![e.home.join(".claude")],
    },
    ClientSpec {
        id: ClientId::Cursor,
        name: "Cursor",
        transport: Transport::Http,
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: Some(40),
        notes: "Cursor works best with at most about 40 tools across its servers.",
        paths: |e| vec![e.home.join(".cursor").join("mcp.json")],
        dirs: |e| vec![e.home.join(".cursor")],
    },
    ClientSpec {
        id: ClientId::Cline,
        name: "Cline",
        transport: Transport::HttpTyped("streamableHttp"),
        root_key: "mcpServers",
                // Cline's default timeout (60 s) is shorter than a full get_events long-poll.
        extra_fields: &[("disabled", "false"), ("autoApprove", "[]"), ("timeout", "90")],
        tool_limit: None,
        notes: "Written where this Cline keeps its MCP settings (newer ~/.cline, or VS Code's storage).",
        paths: |e| {
            let mut paths: Vec<PathBuf> = std::env::var_os("CLINE_MCP_SETTINGS_PATH").map(PathBuf::from).into_iter().collect();
            paths.extend([
                e.home.join(".cline").join("data").join("settings").join("cline_mcp_settings.json"),
                                vscode_user(e)
                    .join("globalStorage")
                    .join("saoudrizwan.claude-dev")
                    .join("settings")
                    .join("cline_mcp_settings.json"),
            ]);
            paths
        },
        dirs: |e| vec![e.home.join(".cline"), vscode_user(e).join("globalStorage").join("saoudrizwan.claude-dev")],
    },
    ClientSpec {
        id: ClientId::Vscode,
        name: "VS Code",
        transport: Transport::HttpTyped("http"),
        root_key: "servers",
        extra_fields: &[],
        tool_limit: Some(128),
                notes: "The user-level mcp.json (all workspaces). If it has comments, we show the entry to paste instead of rewriting it.",
        paths: |e| vec![vscode_user(e).join("mcp.json")],
        dirs: |e| vec![vscode_user(e)],
    },
    ClientSpec {
        id: ClientId::Windsurf,
        name: "Windsurf",
        transport: Transport::ServerUrl,
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: Some(100),
                notes: "Windsurf allows 100 tools in total across all its servers. (Devin Desktop, its successor, keeps its config elsewhere.)",
        paths: |e| vec![e.home.join(".codeium").join("windsurf").join("mcp_config.json")],
        dirs: |e| vec![e.home.join(".codeium").join("windsurf")],
    },
    ClientSpec {
        id: ClientId::Zed,
        name: "Zed",
        transport: Transport::Http,
        root_key: "context_servers",
        extra_fields: &[],
        tool_limit: None,
        notes: "Zed's settings.json may hold comments; if it does, we show the entry to paste instead of rewriting the file.",
        paths: |e| vec![zed_dir(e).join("settings.json")],
        dirs: |e| vec![zed_dir(e)],
    },
];

pub fn spec(id: ClientId) -> &'static ClientSpec {
    CLIENTS.iter().find(|c| c.id == id).expect("every client id has a spec")
}
