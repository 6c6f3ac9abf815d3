//! Client config writers on fixture files: every client, every OS path scheme,
//! missing files, other servers and unknown fields kept, invalid JSON refused.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use wuse_engine::clients::{self, apply, plan, remove_plan, ClientError, ClientId, Env, Os, Server, CLIENTS};

fn env(root: &Path, os: Os) -> Env {
    Env {
        os,
        home: root.join("home"),
        appdata: (os == Os::Windows).then(|| root.join("home").join("AppData").join("Roaming")),
        xdg_config: None,
    }
}

fn server() -> Server {
    Server {
        url: "http://127.0.0.1:7474/mcp".into(),
        command: PathBuf::from("/opt/whatsapp-use/whatsapp-use"),
        api_key: "wuse_live_abcdefghijklmnopqrstuvwxyz0123456789ABCD".into(),
    }
}

fn read(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn paths_per_os_match_each_clients_conventions() {
    let root = Path::new("/r");
    let expect = |os, id: ClientId, tail: &str| {
        let spec = CLIENTS.iter().find(|c| c.id == id).unwrap();
        let got = spec.candidate_paths(&env(root, os))[0].clone();
        assert_eq!(got, root.join("home").join(tail), "{id:?} on {os:?}");
    };
    expect(
        Os::Macos,
        ClientId::ClaudeDesktop,
        "Library/Application Support/Claude/claude_desktop_config.json",
    );
    expect(
        Os::Windows,
        ClientId::ClaudeDesktop,
        "AppData/Roaming/Claude/claude_desktop_config.json",
    );
    expect(
        Os::Linux,
        ClientId::ClaudeDesktop,
        ".config/Claude/claude_desktop_config.json",
    );
    for os in [Os::Linux, Os::Macos, Os::Windows] {
        expect(os, ClientId::ClaudeCode, ".claude.json");
        expect(os, ClientId::Cursor, ".cursor/mcp.json");
        expect(os, ClientId::Windsurf, ".codeium/windsurf/mcp_config.json");
        expect(os, ClientId::Cline, ".cline/data/settings/cline_mcp_settings.json");
    }
    expect(
        Os::Macos,
        ClientId::Vscode,
        "Library/Application Support/Code/User/mcp.json",
    );
    expect(Os::Windows, ClientId::Vscode, "AppData/Roaming/Code/User/mcp.json");
    expect(Os::Linux, ClientId::Vscode, ".config/Code/User/mcp.json");
    expect(Os::Linux, ClientId::Zed, ".config/zed/settings.json");
    expect(Os::Macos, ClientId::Zed, ".config/zed/settings.json");
    expect(Os::Windows, ClientId::Zed, "AppData/Roaming/Zed/settings.json");
    // Cline: an existing VS Code-storage file wins over the newer location.
    let spec = CLIENTS.iter().find(|c| c.id == ClientId::Cline).unwrap();
    assert!(spec.candidate_paths(&env(root, Os::Linux))[1]
        .ends_with(".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json"));
}

#[test]
fn every_client_gets_the_entry_it_understands() {
    for os in [Os::Linux, Os::Macos, Os::Windows] {
        let dir = tempfile::tempdir().unwrap();
        let e = env(dir.path(), os);
        for spec in CLIENTS {
            let p = plan(&e, spec.id, &server()).unwrap();
            assert!(p.creates_file && p.before.is_none());
            apply(&p).unwrap();
            let doc = read(&p.path);
            let ours = &doc[spec.root_key][clients::SERVER_NAME];
            match spec.id {
                ClientId::ClaudeDesktop => {
                    assert_eq!(ours["command"], "/opt/whatsapp-use/whatsapp-use");
                    assert_eq!(ours["args"], json!(["mcp"]));
                    assert_eq!(ours["env"]["WUSE_API_KEY"], server().api_key);
                    assert!(ours.get("url").is_none(), "Claude Desktop takes command servers only");
                }
                ClientId::ClaudeCode | ClientId::Vscode => {
                    assert_eq!(ours["type"], "http");
                    assert_eq!(ours["url"], "http://127.0.0.1:7474/mcp");
                }
                ClientId::Cline => {
                    assert_eq!(ours["type"], "streamableHttp");
                    assert_eq!(ours["disabled"], false);
                }
                ClientId::Windsurf => assert_eq!(ours["serverUrl"], "http://127.0.0.1:7474/mcp"),
                ClientId::Cursor | ClientId::Zed => assert_eq!(ours["url"], "http://127.0.0.1:7474/mcp"),
            }
            if spec.id != ClientId::ClaudeDesktop {
                assert_eq!(ours["headers"]["Authorization"], format!("Bearer {}", server().api_key));
            }
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&p.path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "the file holds a key: owner only");
            }
        }
    }
}

#[test]
fn merging_keeps_other_servers_unknown_fields_and_order_with_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let path = dir.path().join("home/.claude.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let original = r#"{
  "numStartups": 42,
  "projects": {"/code": {"allowedTools": ["Bash"]}},
  "mcpServers": {
    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": {"X": "1"}},
    "whatsapp": {"type": "http", "url": "http://127.0.0.1:9999/mcp", "headers": {"Authorization": "Bearer old"}}
  },
  "zzz": [1, 2, {"deep": true}]
}"#;
    std::fs::write(&path, original).unwrap();
    let p = plan(&e, ClientId::ClaudeCode, &server()).unwrap();
    assert_eq!(p.before.as_deref(), Some(original));
    let backup = apply(&p).unwrap().expect("a backup");
    assert_eq!(std::fs::read_to_string(backup).unwrap(), original);
    let doc = read(&p.path);
    assert_eq!(doc["numStartups"], 42);
    assert_eq!(doc["projects"]["/code"]["allowedTools"], json!(["Bash"]));
    assert_eq!(doc["zzz"], json!([1, 2, {"deep": true}]));
    assert_eq!(doc["mcpServers"]["github"]["headers"]["X"], "1");
    assert_eq!(doc["mcpServers"]["whatsapp"]["url"], "http://127.0.0.1:7474/mcp");
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["numStartups", "projects", "mcpServers", "zzz"], "order kept");

    // Removing takes out our entry only.
    let r = remove_plan(&e, ClientId::ClaudeCode).unwrap().unwrap();
    apply(&r).unwrap();
    let doc = read(&r.path);
    assert!(doc["mcpServers"].get("whatsapp").is_none() && doc["mcpServers"].get("github").is_some());
    assert!(
        remove_plan(&e, ClientId::ClaudeCode).unwrap().is_none(),
        "nothing left to remove"
    );
}

#[test]
fn invalid_json_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let path = dir.path().join("home/.config/zed/settings.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let jsonc = "// Zed settings\n{\n  \"theme\": \"One Dark\", // trailing comment\n}\n";
    std::fs::write(&path, jsonc).unwrap();
    match plan(&e, ClientId::Zed, &server()) {
        Err(ClientError::NotJson { snippet, root, .. }) => {
            assert_eq!(root, "context_servers");
            assert!(
                snippet.contains("\"whatsapp\"") && snippet.contains("Bearer"),
                "says what to paste"
            );
        }
        other => panic!("expected NotJson, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), jsonc);
    // Valid JSON of the wrong shape is refused too.
    let cursor = dir.path().join("home/.cursor/mcp.json");
    std::fs::create_dir_all(cursor.parent().unwrap()).unwrap();
    std::fs::write(&cursor, r#"{"mcpServers": ["not", "an", "object"]}"#).unwrap();
    assert!(matches!(
        plan(&e, ClientId::Cursor, &server()),
        Err(ClientError::BadShape { .. })
    ));
    std::fs::write(&cursor, "[1,2]").unwrap();
    assert!(matches!(
        plan(&e, ClientId::Cursor, &server()),
        Err(ClientError::BadShape { .. })
    ));
}

#[test]
fn a_file_changed_after_the_preview_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let p = plan(&e, ClientId::Cursor, &server()).unwrap();
    std::fs::create_dir_all(Path::new(&p.path).parent().unwrap()).unwrap();
    std::fs::write(&p.path, r#"{"mcpServers": {"other": {"url": "x"}}}"#).unwrap();
    assert!(matches!(apply(&p), Err(ClientError::Changed)));
    assert_eq!(read(&p.path)["mcpServers"]["other"]["url"], "x");
}

#[test]
fn status_reports_detection_installation_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let all = clients::statuses(&e);
    assert_eq!(all.len(), 7);
    assert!(all.iter().all(|s| !s.detected && !s.installed));
    std::fs::create_dir_all(dir.path().join("home/.cursor")).unwrap();
    let cursor = clients::statuses(&e)
        .into_iter()
        .find(|s| s.id == ClientId::Cursor)
        .unwrap();
    assert!(cursor.detected && !cursor.installed && cursor.tool_limit == Some(40));
    apply(&plan(&e, ClientId::Cursor, &server()).unwrap()).unwrap();
    assert!(
        clients::statuses(&e)
            .into_iter()
            .find(|s| s.id == ClientId::Cursor)
            .unwrap()
            .installed
    );
    std::fs::write(dir.path().join("home/.cursor/mcp.json"), "{oops").unwrap();
    let broken = clients::statuses(&e)
        .into_iter()
        .find(|s| s.id == ClientId::Cursor)
        .unwrap();
    assert!(broken.unreadable.is_some() && !broken.installed);
    assert_eq!(ClientId::parse("vs-code"), Some(ClientId::Vscode));
    assert_eq!(ClientId::parse("Claude Desktop"), Some(ClientId::ClaudeDesktop));
    assert_eq!(ClientId::parse("nope"), None);
}
