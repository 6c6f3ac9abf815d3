//! A Claude Desktop extension (.mcpb): a zip holding `manifest.json` and an icon.
//! Claude Desktop installs one when it is opened. Its server is the stdio bridge of
//! the app installed here, with the key as the extension's sensitive setting
//! (prefilled: the bundle is written readable by its owner only).
//! Format: https://github.com/modelcontextprotocol/mcpb/blob/main/MANIFEST.md

use std::io::Write;

use serde_json::json;

use super::Server;

const ICON: &[u8] = include_bytes!("../../../../icons/128x128.png");

pub fn manifest(server: &Server) -> String {
    let command = server.command.display().to_string();
    let mut env = serde_json::Map::new();
    env.insert("WUSE_API_KEY".into(), "${user_config.api_key}".into());
    if let Some(dir) = &server.data_dir {
        env.insert("WUSE_DATA_DIR".into(), dir.display().to_string().into());
    }
    let manifest = json!({
        // 0.2: the version Claude Desktop reads (mcpb made it the default for that reason).
        "manifest_version": "0.2",
        "name": "whatsapp-use",
        "display_name": "WhatsApp-Use",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Your WhatsApp accounts for Claude, through the WhatsApp-Use app on this computer: read, search and send, with the permissions you set in the app.",
        "author": { "name": "WhatsApp-Use" },
        "homepage": env!("CARGO_PKG_REPOSITORY"),
        "icon": "icon.png",
        "server": {
            "type": "binary",
            "entry_point": command,
            "mcp_config": { "command": command, "args": ["mcp"], "env": env },
        },
        "user_config": {
            "api_key": {
                "type": "string",
                "title": "WhatsApp-Use API key",
                "description": "A key from WhatsApp-Use's Keys page (wuse_live_… or wuse_test_…).",
                "sensitive": true,
                // Not required: a required setting counts as missing until a person
                // saves it, even with a default.
                "required": false,
                "default": server.api_key,
            }
        },
        "compatibility": { "platforms": ["darwin", "win32", "linux"] },
    });
    let mut text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
    text.push('\n');
    text
}

/// The bundle's bytes for a manifest.
pub fn zip(manifest: &str) -> std::io::Result<Vec<u8>> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    out.start_file("manifest.json", options)
        .map_err(std::io::Error::other)?;
    out.write_all(manifest.as_bytes())?;
    out.start_file("icon.png", options).map_err(std::io::Error::other)?;
    out.write_all(ICON)?;
    Ok(out.finish().map_err(std::io::Error::other)?.into_inner())
}
