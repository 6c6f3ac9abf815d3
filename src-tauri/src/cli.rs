//! The command line (SPEC "Command line").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "whatsapp-use",
    version,
    about = "Your WhatsApp accounts for AI agents, as one local MCP server"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    /// Start in the tray without opening the window (used when starting at login).
    #[arg(long)]
    pub hidden: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Clone)]
pub struct Global {
    /// Where the encrypted store lives (default: the OS data dir; env WUSE_DATA_DIR).
    #[arg(long, global = true, env = "WUSE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

impl Global {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(wuse_engine::config::default_data_dir)
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the engine and MCP server without a window; prints pairing QR codes here.
    Serve(ServeArgs),
    /// stdio MCP transport for clients: bridges to the running owner (starting it if
    /// needed). Reads the API key from WUSE_API_KEY.
    Mcp(McpArgs),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Detect MCP clients and write their config (the window's one-click install).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Which tools agents may use: per tool, per key, presets, pause.
    #[command(subcommand)]
    Tools(ToolsCommand),
    /// Read and change settings (rate limits, retention, upload folders, …).
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Calls waiting for a person's yes (tools on `ask`): list, approve, deny. They
    /// act on the running app or server.
    #[command(subcommand)]
    Approvals(ApprovalsCommand),
    /// Bring history from other WhatsApp tools into an account.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Verify the store (every page decrypts, structure, references, search index) and
    /// print a JSON report; exits non-zero when anything is wrong. Changes nothing.
    Check,
    /// What agents did: the latest tool calls (message bodies redacted), one JSON per line.
    Activity {
        /// How many calls to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only calls of this tool.
        #[arg(long)]
        tool: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ClientsCommand {
    /// The MCP clients on this machine, their versions, and whether WhatsApp-Use is in
    /// their config.
    List,
    /// Add WhatsApp-Use to a client (claude-desktop, claude-desktop-extension,
    /// claude-code, cursor, cline, vscode, windsurf, zed, codex, gemini, copilot, goose,
    /// lmstudio, antigravity, jetbrains), showing the change first.
    Install(InstallArgs),
    /// Take WhatsApp-Use out of a client's config.
    Remove { name: String },
}

#[derive(Args)]
pub struct InstallArgs {
    pub name: String,
    /// Use this key (wuse_…); by default a new key is made for the client.
    #[arg(long, env = "WUSE_API_KEY")]
    pub key: Option<String>,
    /// Make the new key a test key (sandbox accounts).
    #[arg(long)]
    pub test: bool,
    /// Give the new key only the core toolset (~20 tools).
    #[arg(long)]
    pub core: bool,
    /// Show the change without making it.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the entry with its key where it must be pasted by hand (JetBrains, or a
    /// file that cannot be parsed); otherwise the key is shown cut short.
    #[arg(long)]
    pub show_key: bool,
    /// Make the extension bundle without opening it (claude-desktop-extension).
    #[arg(long)]
    pub no_open: bool,
}

#[derive(Subcommand)]
pub enum ToolsCommand {
    /// Show every tool and whether it is on (for a key, with --key).
    List {
        #[arg(long)]
        key: Option<String>,
    },
    /// Turn tools on.
    Enable {
        tools: Vec<String>,
        #[arg(long)]
        key: Option<String>,
    },
    /// Turn tools off (hidden from agents; calling them answers `forbidden`).
    Disable {
        tools: Vec<String>,
        #[arg(long)]
        key: Option<String>,
    },
    /// Keep tools on, but each call waits for a person's yes (tools that change what
    /// other people see: sends, edits, reactions, group and profile changes).
    Ask {
        tools: Vec<String>,
        #[arg(long)]
        key: Option<String>,
    },
    /// Apply a preset: all, read_only, no_send, core, ask_before_sending.
    Preset {
        name: String,
        #[arg(long)]
        key: Option<String>,
    },
    /// Pause all agent access (every tool answers `forbidden`).
    Pause,
    /// Resume agent access.
    Resume,
}

#[derive(Subcommand)]
pub enum ApprovalsCommand {
    /// The calls waiting for an answer: one JSON object a line (id, tool, key_id,
    /// summary, and what the window shows).
    List,
    /// Let a waiting call through.
    Approve { id: String },
    /// Refuse a waiting call: the agent gets `approval_denied` (with the reason).
    Deny {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Show all settings.
    List,
    /// Set a setting to a JSON value (e.g. `rate_limit_per_minute 0`).
    Set {
        name: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one; default: the Settings port, else 7474).
    #[arg(long, env = "WUSE_PORT")]
    pub port: Option<u16>,
    /// Do not create the first-run sandbox account and test key.
    #[arg(long)]
    pub no_bootstrap: bool,
    /// Link a WhatsApp account now: prints QR codes here to scan with the phone.
    #[arg(long)]
    pub pair: bool,
    /// Link a WhatsApp account by phone number instead of QR (E.164, e.g. +14155550198):
    /// prints the code to type on the phone.
    #[arg(long, value_name = "NUMBER", conflicts_with = "pair")]
    pub pair_phone: Option<String>,
}

#[derive(Args, Clone)]
pub struct McpArgs {
    /// Port to start an owner on when none runs.
    #[arg(long, env = "WUSE_PORT", default_value_t = wuse_engine::config::DEFAULT_PORT)]
    pub port: u16,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once.
    Create {
        /// A key for live WhatsApp accounts.
        #[arg(long, conflicts_with = "test", required_unless_present = "test")]
        live: bool,
        /// A key for the sandbox.
        #[arg(long)]
        test: bool,
        /// A name to recognise it by.
        #[arg(long)]
        name: Option<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by ID (key_…); it stops working at once.
    Revoke { id: String },
    /// Limit a key to some chats (chat_… or grp_… IDs); with no chats, lift the limit.
    Restrict { id: String, chats: Vec<String> },
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// The messages.db of whatsapp-mcp's whatsmeow bridge (whatsapp-bridge/store/messages.db).
    Whatsmeow {
        /// Path of messages.db (names are also read from whatsapp.db beside it, if there).
        path: PathBuf,
        /// The account to import into (acc_…).
        #[arg(long)]
        account: String,
    },
    /// A chat exported from WhatsApp ("Export chat"): the .txt, or the unzipped folder with its media.
    Export {
        /// The .txt, or the folder holding it and the attached files.
        path: PathBuf,
        /// The account to import into (acc_…).
        #[arg(long)]
        account: String,
        /// The chat's name (default: from the file name, "WhatsApp Chat with NAME").
        #[arg(long)]
        chat_name: Option<String>,
        /// The chat's JID (e.g. 14155550198@s.whatsapp.net, 1203…@g.us), to merge with the live chat.
        #[arg(long)]
        chat_jid: Option<String>,
        /// Your name as it appears in the export: those messages are marked as yours.
        #[arg(long)]
        me: Option<String>,
        /// How dates are written: dmy, mdy or ymd (default: found from the file).
        #[arg(long)]
        date_order: Option<String>,
        /// The phone's UTC offset when the times were written, e.g. +01:00 (default: this computer's time zone).
        #[arg(long, allow_hyphen_values = true)]
        utc_offset: Option<String>,
    },
}
