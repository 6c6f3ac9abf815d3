//! The MCP clients we configure: where each keeps its config, per OS, in which format,
//! the shape of its server entries, how to tell it is installed, and how many tools it
//! takes. Every path and field is checked against the documentation named in `docs`
//! (the table in docs/clients.md says more).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::format::Format;
use super::{Env, Os};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ClientId {
    ClaudeDesktop,
    ClaudeDesktopExtension,
    ClaudeCode,
    Cursor,
    Cline,
    Vscode,
    Windsurf,
    Zed,
    Codex,
    Gemini,
    Copilot,
    Goose,
    Lmstudio,
    Antigravity,
    Jetbrains,
}

impl ClientId {
    /// From a command-line name: `claude-code`, `vscode`, `lmstudio`…
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.to_ascii_lowercase().replace(['-', ' '], "_");
        let s = match s.as_str() {
            "vs_code" => "vscode",
            "lm_studio" => "lmstudio",
            other => other,
        };
        CLIENTS.iter().map(|c| c.id).find(|id| id.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "claude_desktop",
            Self::ClaudeDesktopExtension => "claude_desktop_extension",
            Self::ClaudeCode => "claude_code",
            Self::Cursor => "cursor",
            Self::Cline => "cline",
            Self::Vscode => "vscode",
            Self::Windsurf => "windsurf",
            Self::Zed => "zed",
            Self::Codex => "codex",
            Self::Gemini => "gemini",
            Self::Copilot => "copilot",
            Self::Goose => "goose",
            Self::Lmstudio => "lmstudio",
            Self::Antigravity => "antigravity",
            Self::Jetbrains => "jetbrains",
        }
    }

    /// The name on the command line (`claude-code`).
    pub fn cli_name(self) -> String {
        self.as_str().replace('_', "-")
    }
}

/// The fields of our entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Starts `whatsapp-use mcp` and speaks stdio: `command`, `args`, `env`
    /// (`WUSE_API_KEY`), and `type` when set.
    Stdio { kind: Option<&'static str> },
    /// Streamable HTTP: the URL under `url`, `Authorization` under `headers`, and
    /// `type` when set.
    Http {
        kind: Option<&'static str>,
        url: &'static str,
        headers: &'static str,
    },
}

impl Shape {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Stdio { .. } => "stdio (whatsapp-use mcp)",
            Self::Http { .. } => "streamable HTTP",
        }
    }
}

/// How our entry gets to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// We edit its config file.
    File,
    /// The person pastes it in the client's settings (no file we may write).
    Paste,
    /// A Claude Desktop extension bundle (.mcpb) the client installs when opened.
    Bundle,
}

pub struct ClientSpec {
    pub id: ClientId,
    pub name: &'static str,
    pub method: Method,
    pub format: Format,
    pub shape: Shape,
    /// The map that holds servers by name.
    pub root_key: &'static str,
    /// More fields for our entry (JSON values).
    pub extra_fields: &'static [(&'static str, &'static str)],
    /// Tools the client takes or handles well at most, across its servers.
    pub tool_limit: Option<u32>,
    pub notes: &'static str,
    /// Where the paths, fields and limit were checked.
    pub docs: &'static str,
    /// Its command-line program, whose presence on PATH says it is installed (and
    /// which tells its version).
    pub program: Option<&'static str>,
    /// Its command line makes the change itself (Claude Code's `claude mcp add`).
    pub via_program: bool,
    paths: fn(&Env) -> Vec<PathBuf>,
    /// Its config folders: any present says it is installed.
    installs: fn(&Env) -> Vec<PathBuf>,
    /// Its desktop app, where an installed one would be.
    app: Option<App>,
}

/// A desktop app's install: a macOS bundle, a Windows per-user install folder.
pub struct App {
    mac: &'static str,
    windows: &'static [&'static str],
}

impl ClientSpec {
    /// The config file: the first candidate that exists, else the preferred one
    /// (None for a client we never write).
    pub fn config_path(&self, env: &Env) -> Option<PathBuf> {
        let candidates = (self.paths)(env);
        candidates
            .iter()
            .find(|p| p.exists())
            .or_else(|| candidates.first())
            .cloned()
    }

    /// Every path this client may use on this OS (newest convention first).
    pub fn candidate_paths(&self, env: &Env) -> Vec<PathBuf> {
        (self.paths)(env)
    }

    /// Folders and app locations whose presence says the client is installed.
    pub fn install_locations(&self, env: &Env) -> Vec<PathBuf> {
        let mut at = (self.installs)(env);
        if let Some(a) = &self.app {
            at.extend(app(env, a.mac, a.windows));
        }
        at
    }
}

fn vscode_user(env: &Env) -> PathBuf {
    env.app_config().join("Code").join("User")
}

/// Claude Desktop's folder: from the Microsoft Store (MSIX) its files live inside the
/// package's virtualised AppData (preferred when that package is installed).
fn claude_desktop_dirs(env: &Env) -> Vec<PathBuf> {
    let classic = env.app_config().join("Claude");
    if env.os != Os::Windows {
        return vec![classic];
    }
    let msix = env
        .local_appdata()
        .join("Packages")
        .join("Claude_pzs8sxrjxfjjc")
        .join("LocalCache")
        .join("Roaming")
        .join("Claude");
    let package_installed = msix.parent().and_then(|p| p.parent()).is_some_and(|p| p.exists());
    if package_installed {
        vec![msix, classic]
    } else {
        vec![classic, msix]
    }
}

fn zed_dir(env: &Env) -> PathBuf {
    match env.os {
        // Zed keeps its settings in ~/.config/zed on macOS and Linux alike.
        Os::Linux => env.app_config().join("zed"),
        Os::Macos => env.home.join(".config").join("zed"),
        Os::Windows => env.app_config().join("Zed"),
    }
}

/// `~/.name`, or the folder in `var` when set (CODEX_HOME and the like).
fn dot_home(env: &Env, var: &str, name: &str) -> PathBuf {
    env.var(var).unwrap_or_else(|| env.home.join(name))
}

/// GEMINI_CLI_HOME stands for the home folder, which holds `.gemini`.
fn gemini_dir(env: &Env) -> PathBuf {
    env.var("GEMINI_CLI_HOME")
        .unwrap_or_else(|| env.home.clone())
        .join(".gemini")
}

fn goose_dir(env: &Env) -> PathBuf {
    if let Some(root) = env.var("GOOSE_PATH_ROOT").filter(|r| r.is_absolute()) {
        return root.join("config");
    }
    match env.os {
        Os::Windows => env.app_config().join("Block").join("goose").join("config"),
        // Goose uses ~/.config/goose on macOS too (its etcetera "choose_app_strategy").
        _ => env.xdg_config().join("goose"),
    }
}

/// LM Studio's folder: the one `~/.lmstudio-home-pointer` names, else an existing
/// `~/.cache/lm-studio` (older installs), else `~/.lmstudio` (lmstudio-ai/lms,
/// src/lmstudioPaths.ts).
fn lmstudio_dir(env: &Env) -> PathBuf {
    let pointer = std::fs::read_to_string(env.home.join(".lmstudio-home-pointer"));
    if let Some(dir) = pointer
        .ok()
        .map(|p| PathBuf::from(p.trim()))
        .filter(|p| p.is_absolute())
    {
        return dir;
    }
    let legacy = env.home.join(".cache").join("lm-studio");
    if legacy.exists() {
        return legacy;
    }
    env.home.join(".lmstudio")
}

/// Where a desktop app is installed: a macOS bundle, a Windows per-user install.
fn app(env: &Env, mac_bundle: &str, windows: &[&str]) -> Vec<PathBuf> {
    match env.os {
        Os::Macos => vec![
            PathBuf::from("/Applications").join(mac_bundle),
            env.home.join("Applications").join(mac_bundle),
        ],
        Os::Windows => windows
            .iter()
            .map(|w| env.local_appdata().join("Programs").join(w))
            .collect(),
        Os::Linux => vec![],
    }
}

/// Claude Desktop, which both the config file and the extension bundle go to.
const CLAUDE_APP: App = App {
    mac: "Claude.app",
    windows: &["Claude", "AnthropicClaude"],
};

pub static CLIENTS: &[ClientSpec] = &[
    ClientSpec {
        id: ClientId::ClaudeDesktop,
        name: "Claude Desktop",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Stdio { kind: None },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "Takes only command servers in this file, so it runs `whatsapp-use mcp`. Restart Claude Desktop after installing.",
        docs: "https://modelcontextprotocol.io/docs/develop/connect-local-servers",
        program: None,
        via_program: false,
        paths: |e| claude_desktop_dirs(e).into_iter().map(|d| d.join("claude_desktop_config.json")).collect(),
        installs: |e| claude_desktop_dirs(e),
        app: Some(CLAUDE_APP),
    },
    ClientSpec {
        id: ClientId::ClaudeDesktopExtension,
        name: "Claude Desktop (extension)",
        method: Method::Bundle,
        format: Format::Json,
        shape: Shape::Stdio { kind: None },
        root_key: "",
        extra_fields: &[],
        tool_limit: None,
        notes: "A one-click extension bundle (.mcpb): Claude Desktop opens it and asks to install. No config file is edited.",
        docs: "https://github.com/modelcontextprotocol/mcpb/blob/main/MANIFEST.md",
        program: None,
        via_program: false,
        // The bundle holds a key: kept in a folder of ours, not Downloads.
        paths: |e| vec![e.app_config().join("whatsapp-use").join("WhatsApp-Use.mcpb")],
        installs: |e| claude_desktop_dirs(e),
        app: Some(CLAUDE_APP),
    },
    ClientSpec {
        id: ClientId::ClaudeCode,
        name: "Claude Code",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: Some("http"),
            url: "url",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "User scope: every project sees it. Installed with `claude mcp add` when the claude command is found, since a running Claude Code rewrites ~/.claude.json.",
        docs: "https://code.claude.com/docs/en/mcp",
        program: Some("claude"),
        via_program: true,
        // CLAUDE_CONFIG_DIR moves both.
        paths: |e| vec![e.var("CLAUDE_CONFIG_DIR").unwrap_or_else(|| e.home.clone()).join(".claude.json")],
        installs: |e| vec![dot_home(e, "CLAUDE_CONFIG_DIR", ".claude")],
        app: None,
    },
    ClientSpec {
        id: ClientId::Cursor,
        name: "Cursor",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: None,
            url: "url",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: Some(80),
        notes: "Cursor warns above 80 tools across its servers (it was 40 before September 2025).",
        docs: "https://cursor.com/docs/context/mcp",
        program: Some("cursor"),
        via_program: false,
        paths: |e| vec![e.home.join(".cursor").join("mcp.json")],
        installs: |e| vec![e.home.join(".cursor")],
        app: Some(App {
            mac: "Cursor.app",
            windows: &["cursor"],
        }),
    },
    ClientSpec {
        id: ClientId::Cline,
        name: "Cline",
        method: Method::File,
        format: Format::Json,
        // An HTTP entry without this type means legacy SSE to Cline.
        shape: Shape::Http {
            kind: Some("streamableHttp"),
            url: "url",
            headers: "headers",
        },
        root_key: "mcpServers",
        // Cline's default timeout (60 s) is shorter than a full get_events long-poll.
        extra_fields: &[("disabled", "false"), ("autoApprove", "[]"), ("timeout", "90")],
        tool_limit: None,
        notes: "Written where Cline keeps its MCP settings (~/.cline, shared by the VS Code extension and the CLI).",
        docs: "https://github.com/cline/cline/blob/main/src/services/mcp/schemas.ts",
        program: Some("cline"),
        via_program: false,
        // Since mid-2026 Cline reads only this one file (it copied the one in VS Code's
        // storage over once), found as cline/cline's settings path resolution does.
        paths: |e| {
            let file = "cline_mcp_settings.json";
            vec![e.var("CLINE_MCP_SETTINGS_PATH").unwrap_or_else(|| match e.var("CLINE_DATA_DIR") {
                Some(data) => data.join("settings").join(file),
                None => dot_home(e, "CLINE_DIR", ".cline").join("data").join("settings").join(file),
            })]
        },
        installs: |e| {
            vec![
                dot_home(e, "CLINE_DIR", ".cline"),
                vscode_user(e).join("globalStorage").join("saoudrizwan.claude-dev"),
            ]
        },
        app: None,
    },
    ClientSpec {
        id: ClientId::Vscode,
        name: "VS Code",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: Some("http"),
            url: "url",
            headers: "headers",
        },
        root_key: "servers",
        extra_fields: &[],
        tool_limit: Some(128),
        notes: "The user-level mcp.json (all workspaces); its comments are kept. VS Code sends at most 128 tools per request.",
        docs: "https://code.visualstudio.com/docs/copilot/customization/mcp-servers",
        program: Some("code"),
        via_program: false,
        paths: |e| vec![vscode_user(e).join("mcp.json")],
        installs: |e| vec![vscode_user(e)],
        app: Some(App {
            mac: "Visual Studio Code.app",
            windows: &["Microsoft VS Code"],
        }),
    },
    ClientSpec {
        id: ClientId::Windsurf,
        name: "Windsurf",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: None,
            url: "serverUrl",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: Some(100),
        notes: "Windsurf allows 100 tools in total across all its servers.",
        docs: "https://docs.windsurf.com/windsurf/cascade/mcp",
        program: Some("windsurf"),
        via_program: false,
        paths: |e| vec![e.home.join(".codeium").join("windsurf").join("mcp_config.json")],
        installs: |e| vec![e.home.join(".codeium").join("windsurf")],
        app: Some(App {
            mac: "Windsurf.app",
            windows: &["Windsurf"],
        }),
    },
    ClientSpec {
        id: ClientId::Zed,
        name: "Zed",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: None,
            url: "url",
            headers: "headers",
        },
        root_key: "context_servers",
        extra_fields: &[],
        tool_limit: None,
        notes: "Added to Zed's settings.json with its comments and trailing commas kept.",
        docs: "https://zed.dev/docs/ai/mcp",
        program: Some("zed"),
        via_program: false,
        paths: |e| vec![zed_dir(e).join("settings.json")],
        installs: |e| vec![zed_dir(e)],
        app: Some(App {
            mac: "Zed.app",
            windows: &["Zed"],
        }),
    },
    ClientSpec {
        id: ClientId::Codex,
        name: "Codex",
        method: Method::File,
        format: Format::Toml,
        shape: Shape::Http {
            kind: None,
            url: "url",
            headers: "http_headers",
        },
        root_key: "mcp_servers",
        // get_events may wait up to 60 s.
        extra_fields: &[("tool_timeout_sec", "90")],
        tool_limit: None,
        notes: "The CLI and the IDE extension share ~/.codex/config.toml; its comments and order are kept.",
        docs: "https://developers.openai.com/codex/mcp",
        program: Some("codex"),
        via_program: false,
        paths: |e| vec![dot_home(e, "CODEX_HOME", ".codex").join("config.toml")],
        installs: |e| vec![dot_home(e, "CODEX_HOME", ".codex")],
        app: None,
    },
    ClientSpec {
        id: ClientId::Gemini,
        name: "Gemini CLI",
        method: Method::File,
        format: Format::Json,
        // `url` with `type: "http"` (since December 2025, google-gemini/gemini-cli#13762);
        // the older `httpUrl` is deprecated and warned about.
        shape: Shape::Http {
            kind: Some("http"),
            url: "url",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "Gemini CLI starts servers only in folders you trust.",
        docs: "https://geminicli.com/docs/tools/mcp-server/",
        program: Some("gemini"),
        via_program: false,
        paths: |e| vec![gemini_dir(e).join("settings.json")],
        installs: |e| vec![gemini_dir(e)],
        app: None,
    },
    ClientSpec {
        id: ClientId::Copilot,
        name: "GitHub Copilot CLI",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: Some("http"),
            url: "url",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[("tools", r#"["*"]"#)],
        tool_limit: None,
        notes: "All tools allowed (\"tools\": [\"*\"]); the permissions on the Permissions page still apply.",
        docs: "https://docs.github.com/en/copilot/how-tos/use-copilot-agents/use-copilot-cli",
        program: Some("copilot"),
        via_program: false,
        paths: |e| vec![dot_home(e, "COPILOT_HOME", ".copilot").join("mcp-config.json")],
        installs: |e| vec![dot_home(e, "COPILOT_HOME", ".copilot")],
        app: None,
    },
    ClientSpec {
        id: ClientId::Goose,
        name: "Goose",
        method: Method::File,
        format: Format::Yaml,
        shape: Shape::Http {
            kind: Some("streamable_http"),
            url: "uri",
            headers: "headers",
        },
        root_key: "extensions",
        extra_fields: &[
            ("name", r#""whatsapp""#),
            ("enabled", "true"),
            ("description", r#""WhatsApp through WhatsApp-Use""#),
            ("envs", "{}"),
            ("env_keys", "[]"),
            ("timeout", "300"),
            ("bundled", "false"),
            ("available_tools", "[]"),
        ],
        tool_limit: None,
        notes: "An extension in Goose's config.yaml; its comments are kept.",
        docs: "https://block.github.io/goose/docs/getting-started/using-extensions",
        program: Some("goose"),
        via_program: false,
        paths: |e| vec![goose_dir(e).join("config.yaml")],
        installs: |e| vec![goose_dir(e)],
        app: Some(App {
            mac: "Goose.app",
            windows: &["Goose"],
        }),
    },
    ClientSpec {
        id: ClientId::Lmstudio,
        name: "LM Studio",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: None,
            url: "url",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "LM Studio's mcp.json (Program > Install > Edit mcp.json shows the same file).",
        docs: "https://lmstudio.ai/docs/app/mcp",
        program: Some("lms"),
        via_program: false,
        paths: |e| vec![lmstudio_dir(e).join("mcp.json")],
        installs: |e| vec![lmstudio_dir(e)],
        app: Some(App {
            mac: "LM Studio.app",
            windows: &["LM Studio", "lm-studio"],
        }),
    },
    ClientSpec {
        id: ClientId::Antigravity,
        name: "Antigravity",
        method: Method::File,
        format: Format::Json,
        shape: Shape::Http {
            kind: None,
            url: "serverUrl",
            headers: "headers",
        },
        root_key: "mcpServers",
        extra_fields: &[],
        // It refuses more than 100 enabled tools, and advises under 50 (GitHub's MCP
        // install guide for Antigravity).
        tool_limit: Some(50),
        notes: "Antigravity's raw MCP config (Agent panel > MCP Servers > Manage > View raw config). It advises under 50 tools.",
        docs: "https://antigravity.google/docs/mcp",
        program: Some("agy"),
        via_program: false,
        // 2.0 (the IDE and its `agy` CLI) reads ~/.gemini/config; 1.x read
        // ~/.gemini/antigravity.
        paths: |e| {
            vec![
                e.home.join(".gemini").join("config").join("mcp_config.json"),
                e.home.join(".gemini").join("antigravity").join("mcp_config.json"),
            ]
        },
        installs: |e| vec![e.home.join(".gemini").join("antigravity")],
        app: Some(App {
            mac: "Antigravity.app",
            windows: &["Antigravity"],
        }),
    },
    ClientSpec {
        id: ClientId::Jetbrains,
        name: "JetBrains AI Assistant",
        method: Method::Paste,
        format: Format::Json,
        shape: Shape::Stdio { kind: None },
        root_key: "mcpServers",
        extra_fields: &[],
        tool_limit: None,
        notes: "Paste in Settings > Tools > AI Assistant > Model Context Protocol (MCP) > Add > As JSON. The IDE keeps this setting itself.",
        docs: "https://www.jetbrains.com/help/ai-assistant/mcp.html",
        program: None,
        via_program: false,
        paths: |_| vec![],
        installs: |e| match e.os {
            Os::Linux => vec![e.xdg_config().join("JetBrains")],
            Os::Macos => vec![e.app_config().join("JetBrains")],
            Os::Windows => vec![e.app_config().join("JetBrains")],
        },
        app: None,
    },
];

pub fn spec(id: ClientId) -> &'static ClientSpec {
    CLIENTS.iter().find(|c| c.id == id).expect("every client id has a spec")
}
