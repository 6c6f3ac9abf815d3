"""Fixtures for the real-client tests: one running `whatsapp-use serve` (the Server
of tests/mcp/conftest.py) for the whole module, a fresh HOME per test, and the
pinned clients of package.json (installed by `scripts/setup`: npm ci here)."""
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NODE_BIN = HERE / "node_modules" / ".bin"

# tests/mcp/conftest.py is not a package module: load it under a name of its own.
_spec = importlib.util.spec_from_file_location("wuse_mcp_conftest", HERE.parent / "mcp" / "conftest.py")
_mcp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mcp)
Server = _mcp.Server
server_env = _mcp.server_env
BIN = _mcp.BIN

# The clients' own homes and switches, which would point them away from HOME.
CLIENT_HOME_VARS = (
    "CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "GEMINI_CLI_TRUSTED_FOLDERS_PATH",
    "GEMINI_CLI_SYSTEM_SETTINGS_PATH", "GEMINI_CLI_SYSTEM_DEFAULTS_PATH", "GEMINI_CLI_TRUST_WORKSPACE",
    "GEMINI_RESTRICTED_MODE", "MCP_CATALOG_PATH", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
    # `clients install` would take these instead of making a key / using --data-dir.
    "WUSE_API_KEY", "WUSE_DATA_DIR",
)
CLIENTS = ("claude", "gemini", "codex", "inspector", "node")


@pytest.fixture(scope="session")
def client_bins() -> Path:
    """The pinned clients; a clear failure (never a skip) when setup has not run."""
    missing = [name for name in CLIENTS if not (NODE_BIN / name).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from {NODE_BIN}: run scripts/setup "
                    "(it runs `npm ci --prefix tests/clients`)", pytrace=False)
    return NODE_BIN


@pytest.fixture(scope="module")
def wuse_server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("clients") / "data", server_env())
    yield s
    s.stop()


class Home:
    """A fresh HOME with a project folder in it, and the environment that points the
    clients and `whatsapp-use clients` at it."""

    def __init__(self, root: Path, with_clients_on_path: bool = True):
        self.path = root / "home"
        self.project = self.path / "project"
        self.project.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if k not in CLIENT_HOME_VARS}
        path = env.get("PATH", "/usr/bin:/bin")
        env.update({
            "HOME": str(self.path),
            "XDG_CONFIG_HOME": str(self.path / ".config"),
            # The pinned node (22) first: the Inspector wants >= 22.19, the machine may have 20.
            "PATH": f"{NODE_BIN}:{path}" if with_clients_on_path else path,
            "NO_COLOR": "1",
            # No traffic but to our server: Claude Code's telemetry and update checks,
            # the Inspector's keychain probe.
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "MCP_INSPECTOR_SECRET_STORE": "memory",
        })
        self.env = env

    def without_clients_on_path(self) -> dict:
        env = dict(self.env)
        env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p) != NODE_BIN)
        assert not shutil.which("claude", path=env["PATH"]), "a claude outside tests/clients is on PATH"
        return env


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path)
