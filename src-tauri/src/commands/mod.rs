//! What each command does. Commands are thin: the engine does the work.

pub mod approvals;
pub mod check;
pub mod clients;
pub mod import;
pub mod keys;
pub mod mcp;
pub mod serve;
pub mod tools;

use tracing_subscriber::EnvFilter;

use crate::cli::Global;

/// Logs go to stderr (stdout belongs to `mcp`'s JSON-RPC and to printed secrets).
/// Default level `info`; message bodies and secrets are never logged at any level.
pub fn init_logging(quiet: bool) {
    let default = if quiet {
        "warn".to_owned()
    } else {
        format!("info,rmcp=warn,tao=warn,wry=warn,{}", wuse_engine::wa::live::QUIET_LOGS)
    };
    let filter = EnvFilter::try_from_env("WUSE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Whether a graphical session is available for the tray app.
fn has_display() -> bool {
    if cfg!(target_os = "linux") {
        std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
            || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
    } else {
        true
    }
}

/// No command: the tray app, or `serve` where there is no display (or no desktop build).
pub fn desktop_or_serve(global: Global, hidden: bool) -> anyhow::Result<()> {
    #[cfg(feature = "desktop")]
    if has_display() {
        return crate::desktop::run(global, hidden);
    }
    let _ = hidden;
    if !has_display() {
        eprintln!("No display found: running headless (`whatsapp-use serve`).");
    }
    let port = std::env::var("WUSE_PORT").ok().and_then(|p| p.parse().ok());
    serve::run(
        global,
        crate::cli::ServeArgs {
            port,
            no_bootstrap: false,
            pair: false,
            pair_phone: None,
        },
    )
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}
