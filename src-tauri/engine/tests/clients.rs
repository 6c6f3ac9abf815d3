//! Client config writers on fixture files: every client's paths as pure functions of
//! the environment, the entry each understands, and files with comments, trailing
//! commas, a BOM, symlinks, unknown fields and other servers left byte for byte as
//! they were outside our entry.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use wuse_engine::clients::format::{Doc, Format};
use wuse_engine::clients::{
    self, apply, mask_keys, plan, remove_plan, Action, ClientError, ClientId, Env, Method, Os, Server, CLIENTS,
};

const KEY: &str = "wuse_live_abcdefghijklmnopqrstuvwxyz0123456789ABCD";

fn env(root: &Path, os: Os) -> Env {
    let home = root.join("home");
    let e = Env::new(os, &home);
    match os {
        Os::Windows => e
            .with("APPDATA", home.join("AppData").join("Roaming"))
            .with("LOCALAPPDATA", home.join("AppData").join("Local")),
        _ => e,
    }
}

fn server() -> Server {
    Server {
        url: "http://127.0.0.1:7474/mcp".into(),
        command: PathBuf::from("/opt/whatsapp-use/whatsapp-use"),
        api_key: KEY.into(),
        data_dir: None,
    }
}

fn spec(id: ClientId) -> &'static clients::ClientSpec {
    CLIENTS.iter().find(|c| c.id == id).unwrap()
}

fn first_path(e: &Env, id: ClientId) -> PathBuf {
    spec(id).candidate_paths(e)[0].clone()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn paths_per_os_are_pure_functions_of_the_environment() {
    let root = Path::new("/r");
    let home = root.join("home");
    let expect = |e: &Env, id: ClientId, tail: &str| {
        assert_eq!(first_path(e, id), home.join(tail), "{id:?} on {:?}", e.os);
    };
    let (linux, mac, win) = (env(root, Os::Linux), env(root, Os::Macos), env(root, Os::Windows));
    expect(
        &mac,
        ClientId::ClaudeDesktop,
        "Library/Application Support/Claude/claude_desktop_config.json",
    );
    expect(
        &win,
        ClientId::ClaudeDesktop,
        "AppData/Roaming/Claude/claude_desktop_config.json",
    );
    expect(
        &linux,
        ClientId::ClaudeDesktop,
        ".config/Claude/claude_desktop_config.json",
    );
    for e in [&linux, &mac, &win] {
        expect(e, ClientId::ClaudeCode, ".claude.json");
        expect(e, ClientId::Cursor, ".cursor/mcp.json");
        expect(e, ClientId::Windsurf, ".codeium/windsurf/mcp_config.json");
        expect(e, ClientId::Cline, ".cline/data/settings/cline_mcp_settings.json");
        expect(e, ClientId::Codex, ".codex/config.toml");
        expect(e, ClientId::Gemini, ".gemini/settings.json");
        expect(e, ClientId::Copilot, ".copilot/mcp-config.json");
        expect(e, ClientId::Lmstudio, ".lmstudio/mcp.json");
        expect(e, ClientId::Antigravity, ".gemini/config/mcp_config.json");
        assert!(
            spec(ClientId::Jetbrains).candidate_paths(e).is_empty(),
            "a paste, no file"
        );
    }
    expect(&mac, ClientId::Vscode, "Library/Application Support/Code/User/mcp.json");
    expect(&win, ClientId::Vscode, "AppData/Roaming/Code/User/mcp.json");
    expect(&linux, ClientId::Vscode, ".config/Code/User/mcp.json");
    expect(&linux, ClientId::Zed, ".config/zed/settings.json");
    expect(&mac, ClientId::Zed, ".config/zed/settings.json");
    expect(&win, ClientId::Zed, "AppData/Roaming/Zed/settings.json");
    expect(&linux, ClientId::Goose, ".config/goose/config.yaml");
    expect(&mac, ClientId::Goose, ".config/goose/config.yaml");
    expect(&win, ClientId::Goose, "AppData/Roaming/Block/goose/config/config.yaml");
    assert_eq!(
        spec(ClientId::Antigravity).candidate_paths(&linux)[1],
        home.join(".gemini/antigravity/mcp_config.json"),
        "Antigravity 1.x's file, used when it is the one there"
    );

    // The variables that move things.
    let moved = Env::new(Os::Linux, &home)
        .with("XDG_CONFIG_HOME", "/x/cfg")
        .with("CODEX_HOME", "/x/codex")
        .with("GEMINI_CLI_HOME", "/x/g")
        .with("COPILOT_HOME", "/x/copilot")
        .with("CLAUDE_CONFIG_DIR", "/x/claude")
        .with("CLINE_DIR", "/x/cline")
        .with("GOOSE_PATH_ROOT", "/x/goose");
    assert_eq!(first_path(&moved, ClientId::Codex), Path::new("/x/codex/config.toml"));
    assert_eq!(
        first_path(&moved, ClientId::Gemini),
        Path::new("/x/g/.gemini/settings.json")
    );
    assert_eq!(
        first_path(&moved, ClientId::Copilot),
        Path::new("/x/copilot/mcp-config.json")
    );
    assert_eq!(
        first_path(&moved, ClientId::ClaudeCode),
        Path::new("/x/claude/.claude.json")
    );
    assert_eq!(
        first_path(&moved, ClientId::Cline),
        Path::new("/x/cline/data/settings/cline_mcp_settings.json")
    );
    assert_eq!(
        first_path(&moved, ClientId::Goose),
        Path::new("/x/goose/config/config.yaml")
    );
    assert_eq!(first_path(&moved, ClientId::Zed), Path::new("/x/cfg/zed/settings.json"));
    assert_eq!(
        first_path(&moved.clone().with("CLINE_DATA_DIR", "/x/data"), ClientId::Cline),
        Path::new("/x/data/settings/cline_mcp_settings.json")
    );
    assert_eq!(
        first_path(&moved.with("CLINE_MCP_SETTINGS_PATH", "/x/exact.json"), ClientId::Cline),
        Path::new("/x/exact.json")
    );
}

#[test]
fn claude_desktop_from_the_store_and_lm_studio_elsewhere_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let win = env(dir.path(), Os::Windows);
    let home = dir.path().join("home");
    let msix =
        home.join("AppData/Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache/Roaming/Claude/claude_desktop_config.json");
    // Not installed from the Store: %APPDATA%\Claude.
    assert_eq!(
        spec(ClientId::ClaudeDesktop).config_path(&win).unwrap(),
        home.join("AppData/Roaming/Claude/claude_desktop_config.json")
    );
    // Installed from the Store (its package folder exists), before it made a config.
    std::fs::create_dir_all(home.join("AppData/Local/Packages/Claude_pzs8sxrjxfjjc/LocalCache")).unwrap();
    assert_eq!(spec(ClientId::ClaudeDesktop).config_path(&win).unwrap(), msix);
    // Both exist: the one that has a file wins.
    write(&home.join("AppData/Roaming/Claude/claude_desktop_config.json"), "{}");
    assert_eq!(
        spec(ClientId::ClaudeDesktop).config_path(&win).unwrap(),
        home.join("AppData/Roaming/Claude/claude_desktop_config.json")
    );

    let linux = env(dir.path(), Os::Linux);
    std::fs::create_dir_all(home.join(".cache/lm-studio")).unwrap();
    assert_eq!(
        first_path(&linux, ClientId::Lmstudio),
        home.join(".cache/lm-studio/mcp.json")
    );
    write(&home.join(".lmstudio-home-pointer"), "/srv/lms\n");
    assert_eq!(first_path(&linux, ClientId::Lmstudio), Path::new("/srv/lms/mcp.json"));
}

/// Our entry in a written file, as JSON (TOML and YAML read back through their own
/// parsers' view: the same fields).
fn entry_in(spec: &clients::ClientSpec, text: &str) -> Value {
    match spec.format {
        Format::Json => serde_json::from_str::<Value>(text).unwrap()[spec.root_key][clients::SERVER_NAME].clone(),
        Format::Toml => {
            let doc: toml_edit::DocumentMut = text.parse().unwrap();
            let t = doc[spec.root_key][clients::SERVER_NAME].as_table().unwrap();
            json!({
                "url": t["url"].as_str().unwrap(),
                "http_headers": {"Authorization": t["http_headers"]["Authorization"].as_str().unwrap()},
                "tool_timeout_sec": t["tool_timeout_sec"].as_integer().unwrap(),
            })
        }
        Format::Yaml => {
            // Read back by line: the block we wrote, under `extensions:`.
            assert!(text.starts_with("extensions:\n  whatsapp:\n"), "{text}");
            json!({"yaml": text})
        }
    }
}

#[test]
fn every_client_gets_the_entry_it_understands() {
    for os in [Os::Linux, Os::Macos, Os::Windows] {
        let dir = tempfile::tempdir().unwrap();
        let e = env(dir.path(), os);
        for spec in CLIENTS.iter().filter(|c| c.method == Method::File) {
            let p = plan(&e, spec.id, &server()).unwrap();
            assert_eq!(p.action, Action::Write, "{:?}: no `claude` on this PATH", spec.id);
            assert!(p.creates_file && p.before.is_none());
            apply(&p).unwrap();
            let text = std::fs::read_to_string(&p.path).unwrap();
            let ours = entry_in(spec, &text);
            let bearer = format!("Bearer {KEY}");
            let url = "http://127.0.0.1:7474/mcp";
            match spec.id {
                ClientId::ClaudeDesktop => {
                    assert_eq!(ours["command"], "/opt/whatsapp-use/whatsapp-use");
                    assert_eq!(ours["args"], json!(["mcp"]));
                    assert_eq!(ours["env"]["WUSE_API_KEY"], KEY);
                    assert!(ours.get("url").is_none(), "Claude Desktop takes command servers only");
                }
                ClientId::ClaudeCode | ClientId::Vscode | ClientId::Gemini => {
                    assert_eq!(
                        ours,
                        json!({"type": "http", "url": url, "headers": {"Authorization": bearer}})
                    );
                }
                ClientId::Copilot => assert_eq!(
                    ours,
                    json!({"type": "http", "url": url, "headers": {"Authorization": bearer}, "tools": ["*"]})
                ),
                ClientId::Cline => {
                    assert_eq!(ours["type"], "streamableHttp");
                    assert_eq!(ours["disabled"], false);
                    assert_eq!(ours["headers"]["Authorization"], bearer);
                }
                ClientId::Windsurf | ClientId::Antigravity => {
                    assert_eq!(ours, json!({"serverUrl": url, "headers": {"Authorization": bearer}}));
                }
                ClientId::Cursor | ClientId::Zed | ClientId::Lmstudio => {
                    assert_eq!(ours, json!({"url": url, "headers": {"Authorization": bearer}}));
                }
                ClientId::Codex => assert_eq!(
                    ours,
                    json!({"url": url, "http_headers": {"Authorization": bearer}, "tool_timeout_sec": 90})
                ),
                ClientId::Goose => {
                    for line in [
                        "    type: streamable_http\n",
                        "    uri: \"http://127.0.0.1:7474/mcp\"\n",
                        &format!("      Authorization: \"Bearer {KEY}\"\n"),
                        "    enabled: true\n",
                        "    timeout: 300\n",
                        "    envs: {}\n",
                    ] {
                        assert!(text.contains(line), "goose: {line:?} in\n{text}");
                    }
                }
                other => panic!("{other:?} is not written as a file"),
            }
            #[cfg(unix)]
            assert_eq!(mode(Path::new(&p.path)), 0o600, "the file holds a key: owner only");
        }
    }
}

/// A file someone keeps by hand, per format: comments, odd spacing, trailing commas, a
/// BOM, unknown fields, another server. (It is also behind a symlink.)
fn fixture(format: Format, root: &str) -> String {
    match format {
        Format::Json => format!(
            "\u{feff}// my settings, kept by hand\n{{\n    \"theme\":   \"One Dark\", // trailing comment\n    \"{root}\": {{\n        /* the GitHub one */\n        \"github\": {{ \"url\": \"https://api.githubcopilot.com/mcp/\", \"headers\": {{ \"X\": \"1\" }} }},\n    }},\n    \"zzz\": [1, 2, {{ \"deep\": true }},],\n}}\n"
        ),
        Format::Toml => format!(
            "\u{feff}# Codex, by hand\nmodel = \"o3\"   # the best one\n\n[{root}.github]\ncommand = \"gh-mcp\" # keep me\nargs = [ \"serve\" ]\n\n[profiles.fast]\nmodel = \"o4-mini\"\n"
        ),
        Format::Yaml => format!(
            "\u{feff}# goose, by hand\nGOOSE_PROVIDER: openai   # keep\nGOOSE_MODEL: gpt-4o\n{root}:\n  developer:\n    enabled: true # builtin\n    name: developer\n    type: builtin\n    timeout: 300\nOTHER_SETTING: [a, b]\n"
        ),
    }
}

#[cfg(unix)]
#[test]
fn hand_kept_files_stay_byte_for_byte_outside_our_entry() {
    for spec in CLIENTS.iter().filter(|c| c.method == Method::File) {
        let dir = tempfile::tempdir().unwrap();
        let e = env(dir.path(), Os::Linux);
        let link = spec.config_path(&e).unwrap();
        let original = fixture(spec.format, spec.root_key);
        // Kept by a dotfiles manager: the config is a link to the real file.
        let path = dir.path().join("dotfiles").join(link.file_name().unwrap());
        write(&path, &original);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&path, &link).unwrap();

        let p = plan(&e, spec.id, &server()).unwrap();
        assert_eq!(p.action, Action::Write, "{:?}", spec.id);
        apply(&p).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with('\u{feff}'), "{:?}: the BOM is kept", spec.id);
        let doc = Doc::parse(spec.format, &after).unwrap();
        assert!(doc.has(spec.root_key, clients::SERVER_NAME) && doc.has(spec.root_key, other_server(spec.format)));
        // Everything outside our entry: the file minus our entry is the file as it was.
        let r = remove_plan(&e, spec.id).unwrap().expect("our entry is there");
        apply(&r).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            original,
            "{:?}: install then remove gives back the same bytes",
            spec.id
        );
        // A second install replaces ours in place: one entry, same place.
        apply(&plan(&e, spec.id, &server()).unwrap()).unwrap();
        let once = std::fs::read_to_string(&path).unwrap();
        const OTHER_KEY: &str = "wuse_live_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxw";
        let again = Server {
            api_key: OTHER_KEY.into(),
            ..server()
        };
        apply(&plan(&e, spec.id, &again).unwrap()).unwrap();
        let twice = std::fs::read_to_string(&path).unwrap();
        assert_eq!(twice.matches(OTHER_KEY).count(), 1, "{:?}:\n{twice}", spec.id);
        assert_eq!(twice.replace(OTHER_KEY, KEY), once, "{:?}: updated in place", spec.id);
        assert!(
            std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
            "{:?}: still a link",
            spec.id
        );
    }
}

fn other_server(format: Format) -> &'static str {
    match format {
        Format::Yaml => "developer",
        _ => "github",
    }
}

#[test]
fn zed_settings_with_comments_and_trailing_commas_get_our_entry() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let path = dir.path().join("home/.config/zed/settings.json");
    let jsonc = "// Zed settings\n{\n  \"theme\": \"One Dark\", // trailing comment\n  \"vim_mode\": true,\n}\n";
    write(&path, jsonc);
    let p = plan(&e, ClientId::Zed, &server()).unwrap();
    apply(&p).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after
        .starts_with("// Zed settings\n{\n  \"theme\": \"One Dark\", // trailing comment\n  \"vim_mode\": true,\n"));
    assert!(
        after.contains("\"context_servers\": {\n    \"whatsapp\": {\n      \"url\": \"http://127.0.0.1:7474/mcp\""),
        "{after}"
    );
    assert!(clients::status(&e, spec(ClientId::Zed)).installed);
}

#[test]
fn a_symlinked_config_is_followed_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let target = dir.path().join("dotfiles/cursor-mcp.json");
    write(&target, "{\"mcpServers\": {\"other\": {\"url\": \"x\"}}}\n");
    let link = dir.path().join("home/.cursor/mcp.json");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("../../dotfiles/cursor-mcp.json", &link).unwrap();
    #[cfg(not(unix))]
    return;
    let p = plan(&e, ClientId::Cursor, &server()).unwrap();
    assert_eq!(Path::new(&p.path), target, "the target is what changes");
    let applied = apply(&p).unwrap();
    assert!(
        std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "still a link"
    );
    assert!(std::fs::read_to_string(&link).unwrap().contains("\"whatsapp\""));
    assert_eq!(
        applied.backup.unwrap(),
        dir.path().join("dotfiles/cursor-mcp.json.wuse-backup.1")
    );
    assert!(clients::status(&e, spec(ClientId::Cursor)).installed);
}

#[test]
fn backups_are_private_and_the_last_three_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let path = first_path(&e, ClientId::Cursor);
    write(&path, "{\"version\": 0}\n");
    let mut versions = vec![std::fs::read_to_string(&path).unwrap()];
    for port in 1..=4 {
        let s = Server {
            url: format!("http://127.0.0.1:{port}/mcp"),
            ..server()
        };
        apply(&plan(&e, ClientId::Cursor, &s).unwrap()).unwrap();
        versions.push(std::fs::read_to_string(&path).unwrap());
    }
    // Five versions were written; the three before the current one are kept, newest first.
    for n in 1..=3 {
        let backup = clients::backup_path(&path, n);
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), versions[4 - n], "backup {n}");
        #[cfg(unix)]
        assert_eq!(mode(&backup), 0o600, "a backup holds a key too");
    }
    assert!(!clients::backup_path(&path, 4).exists());
}

#[test]
fn an_unparsable_file_is_left_untouched_and_the_entry_offered_to_paste() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    // (client, file, unreadable as a config at all)
    for (id, broken, syntax) in [
        (ClientId::Cursor, "{\"mcpServers\": {oops", true),
        (ClientId::Cursor, "{\"mcpServers\": [\"not\", \"a\", \"map\"]}", false),
        (ClientId::Cursor, "[1, 2]", true),
        (ClientId::Codex, "[mcp_servers\nbroken = ", true),
        (ClientId::Codex, "mcp_servers = 3\n", false),
        (ClientId::Goose, "extensions: [a, b]\n", false),
        (ClientId::Goose, "extensions: [a, b\n", true),
    ] {
        let path = spec(id).config_path(&e).unwrap();
        write(&path, broken);
        let p = plan(&e, id, &server()).unwrap();
        let Action::Paste { reason: Some(reason) } = &p.action else {
            panic!("{id:?} {broken:?}: {:?}", p.action)
        };
        assert!(!reason.is_empty());
        assert!(p.entry.contains("whatsapp") && p.entry.contains(KEY), "what to paste");
        apply(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken, "untouched");
        assert_eq!(clients::status(&e, spec(id)).unreadable.is_some(), syntax, "{broken:?}");
        assert!(remove_plan(&e, id).unwrap().is_none());
    }
}

#[test]
fn a_file_changed_after_the_preview_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let p = plan(&e, ClientId::Cursor, &server()).unwrap();
    write(Path::new(&p.path), r#"{"mcpServers": {"other": {"url": "x"}}}"#);
    assert!(matches!(apply(&p), Err(ClientError::Changed)));
    assert!(std::fs::read_to_string(&p.path).unwrap().contains("other"));
}

#[test]
fn previews_show_keys_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let shown = plan(&e, ClientId::Cursor, &server()).unwrap().masked();
    for text in [&shown.after, &shown.entry] {
        assert!(!text.contains(KEY) && text.contains("wuse_live_abcd…"), "{text}");
    }
    assert_eq!(
        mask_keys("Bearer wuse_test_ABCDEFGHIJ and x"),
        "Bearer wuse_test_ABCD… and x"
    );
}

#[test]
fn claude_code_goes_through_its_own_command_when_it_is_on_path() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let claude = bin.join("claude");
    // Only found, never run here (the E2E suite runs the real one).
    write(&claude, "#!/bin/sh\nexit 1\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&claude, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let e = env(dir.path(), Os::Linux).with("PATH", &bin);
    let p = plan(&e, ClientId::ClaudeCode, &server()).unwrap();
    let Action::Run { commands } = &p.action else {
        panic!("{:?}", p.action)
    };
    assert_eq!(commands.len(), 1, "nothing to remove first");
    let argv = &commands[0];
    assert_eq!(argv[0], claude.display().to_string());
    assert_eq!(
        &argv[1..],
        [
            "mcp",
            "add",
            "--scope",
            "user",
            "--transport",
            "http",
            "whatsapp",
            "http://127.0.0.1:7474/mcp",
            "--header",
            &format!("Authorization: Bearer {KEY}")
        ]
    );
    assert!(
        !p.masked().action.eq(&p.action),
        "the preview hides the key in the command too"
    );
    assert!(
        clients::detected(&e, spec(ClientId::ClaudeCode)),
        "found by its command"
    );
    // Without it on PATH: the careful file write.
    let without = env(dir.path(), Os::Linux);
    assert_eq!(
        plan(&without, ClientId::ClaudeCode, &server()).unwrap().action,
        Action::Write
    );
    assert!(!clients::detected(&without, spec(ClientId::ClaudeCode)));
}

#[test]
fn jetbrains_gets_a_snippet_and_claude_desktop_an_extension_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux);
    let p = plan(&e, ClientId::Jetbrains, &server()).unwrap();
    assert_eq!(p.action, Action::Paste { reason: None });
    let snippet: Value = serde_json::from_str(&p.entry).unwrap();
    assert_eq!(
        snippet["mcpServers"]["whatsapp"],
        json!({"command": "/opt/whatsapp-use/whatsapp-use", "args": ["mcp"], "env": {"WUSE_API_KEY": KEY}})
    );
    assert!(remove_plan(&e, ClientId::Jetbrains).unwrap().is_none());

    let with_dir = Server {
        data_dir: Some(PathBuf::from("/srv/wuse")),
        ..server()
    };
    let p = plan(&e, ClientId::ClaudeDesktopExtension, &with_dir).unwrap();
    assert_eq!(p.action, Action::Bundle);
    apply(&p).unwrap();
    let file = std::fs::File::open(&p.path).unwrap();
    #[cfg(unix)]
    assert_eq!(mode(Path::new(&p.path)), 0o600);
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let manifest: Value = serde_json::from_reader(zip.by_name("manifest.json").unwrap()).unwrap();
    assert_eq!(
        manifest["server"]["mcp_config"]["command"],
        "/opt/whatsapp-use/whatsapp-use"
    );
    assert_eq!(manifest["server"]["mcp_config"]["args"], json!(["mcp"]));
    assert_eq!(
        manifest["server"]["mcp_config"]["env"]["WUSE_API_KEY"],
        "${user_config.api_key}"
    );
    assert_eq!(manifest["server"]["mcp_config"]["env"]["WUSE_DATA_DIR"], "/srv/wuse");
    assert_eq!(manifest["user_config"]["api_key"]["sensitive"], true);
    assert_eq!(manifest["user_config"]["api_key"]["default"], KEY);
    assert!(zip.by_name("icon.png").unwrap().size() > 100);
}

#[test]
fn status_reports_detection_installation_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let e = env(dir.path(), Os::Linux).with("PATH", dir.path().join("bin"));
    let all = clients::statuses(&e);
    assert_eq!(all.len(), CLIENTS.len());
    assert!(all.iter().all(|s| !s.detected && !s.installed));
    // A client's command on PATH says it is here, before it made any config.
    let bin = dir.path().join("bin");
    write(&bin.join("codex"), "#!/bin/sh\necho codex-cli 0.99.1\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("codex"), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(clients::version(&e, spec(ClientId::Codex)).as_deref(), Some("0.99.1"));
    }
    let codex = clients::status(&e, spec(ClientId::Codex));
    assert!(codex.detected && !codex.installed && codex.format == Format::Toml);
    std::fs::create_dir_all(dir.path().join("home/.cursor")).unwrap();
    let cursor = clients::status(&e, spec(ClientId::Cursor));
    assert!(cursor.detected && !cursor.installed && cursor.tool_limit == Some(80));
    apply(&plan(&e, ClientId::Cursor, &server()).unwrap()).unwrap();
    assert!(clients::status(&e, spec(ClientId::Cursor)).installed);
    std::fs::write(dir.path().join("home/.cursor/mcp.json"), "{oops").unwrap();
    let broken = clients::status(&e, spec(ClientId::Cursor));
    assert!(broken.unreadable.is_some() && !broken.installed);
}

#[test]
fn every_client_has_a_command_line_name() {
    for (name, id) in [
        ("claude-desktop", ClientId::ClaudeDesktop),
        ("claude-desktop-extension", ClientId::ClaudeDesktopExtension),
        ("claude-code", ClientId::ClaudeCode),
        ("vs-code", ClientId::Vscode),
        ("Claude Desktop", ClientId::ClaudeDesktop),
        ("codex", ClientId::Codex),
        ("gemini", ClientId::Gemini),
        ("copilot", ClientId::Copilot),
        ("goose", ClientId::Goose),
        ("lmstudio", ClientId::Lmstudio),
        ("antigravity", ClientId::Antigravity),
        ("jetbrains", ClientId::Jetbrains),
    ] {
        assert_eq!(ClientId::parse(name), Some(id), "{name}");
    }
    assert_eq!(ClientId::parse("nope"), None);
    for c in CLIENTS {
        assert_eq!(ClientId::parse(&c.id.cli_name()), Some(c.id));
        assert!(c.docs.starts_with("https://"), "{:?} cites its documentation", c.id);
    }
}
