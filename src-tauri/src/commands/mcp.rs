//! `whatsapp-use mcp`: the stdio transport for MCP clients.

use wuse_engine::mcp::bridge::{self, BridgeConfig};

use crate::cli::{Global, McpArgs};

pub fn run(global: Global, args: McpArgs) -> anyhow::Result<()> {
    let data_dir = global.data_dir();
    let exe = std::env::current_exe()?;
    let cfg = BridgeConfig {
        serve_command: (
            exe,
            vec![
                "serve".into(),
                "--data-dir".into(),
                data_dir.display().to_string(),
                "--port".into(),
                args.port.to_string(),
            ],
        ),
        data_dir,
        port: args.port,
        api_key: std::env::var("WUSE_API_KEY").unwrap_or_default(),
    };
    super::runtime()?.block_on(bridge::run(cfg, tokio::io::stdin(), tokio::io::stdout()))?;
    Ok(())
}
