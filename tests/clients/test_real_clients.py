"""The configs `whatsapp-use clients install <client> --test` writes, proved by the
real clients (pinned in package.json): Claude Code, Gemini CLI and Codex list our
server as connected / enabled beside the entry that was there before, and no longer
after `clients remove`; the MCP Inspector calls a tool through Claude Desktop's file.

Each runs in a fresh HOME against one running server; nothing leaves 127.0.0.1."""
import json
import queue
import re
import subprocess
import threading
import time

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*m")
OTHER_STDIO = {"command": "/bin/true", "args": ["other-server"]}


def run(cmd, env, cwd=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def output(p: subprocess.CompletedProcess) -> str:
    return ANSI.sub("", p.stdout + p.stderr)


def wuse_clients(server, env, *args) -> subprocess.CompletedProcess:
    p = run([server.bin, "clients", *args, "--data-dir", server.data_dir], env)
    assert p.returncode == 0, f"whatsapp-use clients {' '.join(args)} exited {p.returncode}:\n{output(p)}"
    return p


def install(server, env, name):
    return wuse_clients(server, env, "install", name, "--test")


def remove(server, env, name):
    return wuse_clients(server, env, "remove", name)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


# ---- Claude Code: ~/.claude.json, `claude mcp list` --------------------------------

def claude_list(bins, home) -> str:
    p = run([bins / "claude", "mcp", "list"], home.env, cwd=home.project)
    assert p.returncode == 0, output(p)
    return output(p)


def claude_home(home):
    # A user who has used Claude Code in this project (trusted: stdio servers get
    # checked) and has another server.
    config = {"numStartups": 3,
              "projects": {str(home.project): {"hasTrustDialogAccepted": True, "allowedTools": []}},
              "mcpServers": {"other": OTHER_STDIO}}
    (home.path / ".claude.json").write_text(json.dumps(config, indent=2))


@pytest.mark.parametrize("via", ["claude mcp add", "file"])
def test_claude_code(client_bins, wuse_server, home, via):
    """With `claude` on PATH the writer goes through `claude mcp add`; without, it edits
    the file. Either way twice in a row is fine (a second install replaces the entry)."""
    claude_home(home)
    env = home.env if via == "claude mcp add" else home.without_clients_on_path()
    install(wuse_server, env, "claude-code")
    install(wuse_server, env, "claude-code")

    config = json.loads((home.path / ".claude.json").read_text())
    assert config["mcpServers"]["other"] == OTHER_STDIO
    assert config["projects"][str(home.project)]["hasTrustDialogAccepted"] is True
    listed = claude_list(client_bins, home)
    assert f"whatsapp: {wuse_server.url} (HTTP) - ✔ Connected" in lines(listed), listed
    assert any(line.startswith("other: /bin/true other-server") for line in lines(listed)), listed

    remove(wuse_server, env, "claude-code")
    config = json.loads((home.path / ".claude.json").read_text())
    assert "whatsapp" not in config["mcpServers"] and config["mcpServers"]["other"] == OTHER_STDIO
    listed = claude_list(client_bins, home)
    assert not any(line.startswith("whatsapp:") for line in lines(listed)), listed
    assert any(line.startswith("other: /bin/true other-server") for line in lines(listed)), listed


# ---- Gemini CLI: ~/.gemini/settings.json, `gemini mcp list` ------------------------

def gemini_list(bins, home) -> str:
    p = run([bins / "gemini", "mcp", "list"], home.env, cwd=home.project)
    assert p.returncode == 0, output(p)
    return output(p)  # it prints on stderr


def test_gemini(client_bins, wuse_server, home):
    gemini = home.path / ".gemini"
    gemini.mkdir()
    (gemini / "settings.json").write_text(json.dumps(
        {"general": {"vimMode": True}, "mcpServers": {"other": OTHER_STDIO}}, indent=2))
    # Gemini CLI keeps every MCP server off in a folder the person has not trusted.
    (gemini / "trustedFolders.json").write_text(json.dumps({str(home.project): "TRUST_FOLDER"}))

    install(wuse_server, home.env, "gemini")
    listed = gemini_list(client_bins, home)
    assert f"✓ whatsapp: {wuse_server.url} (http) - Connected" in lines(listed), listed
    assert "deprecated" not in listed, listed  # e.g. httpUrl beside url
    assert any(line.startswith("✗ other: /bin/true other-server") for line in lines(listed)), listed

    remove(wuse_server, home.env, "gemini")
    settings = json.loads((gemini / "settings.json").read_text())
    assert settings["mcpServers"] == {"other": OTHER_STDIO} and settings["general"] == {"vimMode": True}
    listed = gemini_list(client_bins, home)
    assert "whatsapp" not in listed, listed
    assert any(line.startswith("✗ other: /bin/true other-server") for line in lines(listed)), listed


# ---- Codex: ~/.codex/config.toml, `codex mcp list`, its app server ------------------

CODEX_CONFIG = """# My Codex settings.
approval_policy = "on-request"

[mcp_servers.other]
command = "/bin/true"
args = ["other-server"]
"""


def codex_list(bins, home) -> dict:
    p = run([bins / "codex", "mcp", "list", "--json"], home.env, cwd=home.project)
    assert p.returncode == 0, output(p)
    return {s["name"]: s for s in json.loads(p.stdout)}


def codex_connect(bins, home, name: str) -> dict:
    """Codex's own MCP client connects to one server: the app server's
    `mcpServerStatus/list` (JSON-RPC on stdio; needs no OpenAI account)."""
    # Plugins off: their marketplace sync would look up hosts outside this machine.
    proc = subprocess.Popen([bins / "codex", "app-server", "--disable", "plugins"], env=home.env, cwd=home.project,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    replies = queue.Queue()
    threading.Thread(target=lambda: [replies.put(line) for line in proc.stdout], daemon=True).start()

    def call(id, method, params):
        proc.stdin.write(json.dumps({"id": id, "method": method, "params": params}) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = json.loads(replies.get(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == id:
                assert "error" not in message, message
                return message["result"]
        raise TimeoutError(method)

    try:
        call(1, "initialize", {"clientInfo": {"name": "whatsapp-use-tests", "version": "0"}})
        proc.stdin.write(json.dumps({"method": "initialized"}) + "\n")
        result = call(2, "mcpServerStatus/list", {"serverName": name, "detail": "toolsAndAuthOnly"})
    finally:
        proc.kill()
        proc.wait()
    (server,) = [s for s in result["data"] if s["name"] == name]
    return server


def test_codex(client_bins, wuse_server, home):
    (home.path / ".codex").mkdir()
    config = home.path / ".codex" / "config.toml"
    config.write_text(CODEX_CONFIG)

    install(wuse_server, home.env, "codex")
    servers = codex_list(client_bins, home)
    ours = servers["whatsapp"]
    assert ours["enabled"] is True, ours
    assert ours["transport"]["type"] == "streamable_http" and ours["transport"]["url"] == wuse_server.url, ours
    assert servers["other"]["transport"]["command"] == "/bin/true", servers
    table = run([client_bins / "codex", "mcp", "list"], home.env, cwd=home.project)
    assert re.search(rf"^whatsapp\s+{re.escape(wuse_server.url)}\s.*\benabled\b", table.stdout, re.M), table.stdout
    connected = codex_connect(client_bins, home, "whatsapp")
    assert connected.get("toolsError") is None, connected.get("toolsError")
    assert connected["serverInfo"]["name"] == "whatsapp-use", connected
    assert "search_messages" in connected["tools"], sorted(connected["tools"])
    assert config.read_text().startswith("# My Codex settings.\napproval_policy = \"on-request\"\n")

    remove(wuse_server, home.env, "codex")
    assert list(codex_list(client_bins, home)) == ["other"]
    assert "# My Codex settings." in config.read_text()


# ---- The MCP Inspector through Claude Desktop's file --------------------------------

def test_inspector_calls_a_tool_through_claude_desktop_config(client_bins, wuse_server, home):
    """Claude Desktop's entry runs the stdio bridge (`whatsapp-use mcp`); the Inspector
    starts it with only the entry's env and a few safe variables, so the entry must
    carry all the bridge needs (the key, and the data dir when it is not the default)."""
    install(wuse_server, home.env, "claude-desktop")
    config = home.path / ".config" / "Claude" / "claude_desktop_config.json"
    assert config.exists(), output(run(["find", home.path], home.env))

    deadline = time.monotonic() + 30
    while True:
        p = run([client_bins / "inspector", "--cli", "--config", config, "--server", "whatsapp",
                 "--method", "tools/call", "--tool-name", "search_messages",
                 "--tool-arg", "query=orcamento", "limit=5", "--format", "json"], home.env, cwd=home.project)
        assert p.returncode == 0, f"inspector exited {p.returncode}:\n{output(p)}\n{config.read_text()}"
        result = json.loads(p.stdout)["result"]
        assert not result.get("isError"), result
        hits = result["structuredContent"]["results"]
        # The sandbox's history may still be arriving right after the first start.
        if hits or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert hits and all("orçamento" in h["message"]["text"].lower() for h in hits), result
