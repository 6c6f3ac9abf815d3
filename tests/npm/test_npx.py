"""The reference MCP quickstart, verbatim: a client config of
`"command": "npx", "args": ["-y", "@whatsapp-use/mcp"]` with WUSE_API_KEY in `env`.

For real: a private npm registry (verdaccio, from tests/npm/package.json) on 127.0.0.1,
the packages staged by npm/pack.mjs with the built binary and published to it by npm,
a running `whatsapp-use serve`, and the official MCP Python SDK starting `npx` over
stdio. npm's config and cache are temp ones throughout (the person's ~/.npmrc and
~/.npm are not read or written); the registry and the data dir reach npx and the
bridge through the environment only, so the command and arguments stay verbatim."""
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from client import Agent
from sandbox import synced
from wuse_mcp_conftest import BIN

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VERDACCIO = HERE / "node_modules" / ".bin" / "verdaccio"
PACKAGE = "@whatsapp-use/mcp"
PLATFORM = {"x86_64": "linux-x64", "aarch64": "linux-arm64"}.get(platform.machine()) if sys.platform == "linux" else None
PLATFORM_PACKAGE = f"@whatsapp-use/mcp-{PLATFORM}"

pytestmark = pytest.mark.skipif(PLATFORM is None, reason="the end-to-end npm test runs on Linux x64/arm64")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """A verdaccio on 127.0.0.1 with its own storage, holding what the test publishes."""

    def __init__(self, root: Path):
        assert VERDACCIO.exists(), "run `npm ci --prefix tests/npm` (scripts/setup does)"
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # YAML is a superset of JSON. No uplinks: nothing is fetched from anywhere else.
        config = {
            "storage": str(root / "storage"),
            "auth": {"htpasswd": {"file": str(root / "htpasswd"), "max_users": 1}},
            "uplinks": {},
            "packages": {
                "@whatsapp-use/*": {"access": "$all", "publish": "$authenticated", "unpublish": "$authenticated"},
                "**": {"access": "$all", "publish": "$authenticated"},
            },
            "max_body_size": "500mb",
            "web": {"enable": False},
            "log": {"type": "stdout", "format": "pretty", "level": "warn"},
        }
        (root / "config.yaml").write_text(json.dumps(config, indent=2))
        self.log_path = root / "verdaccio.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([str(VERDACCIO), "--config", str(root / "config.yaml"),
                                      "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root)
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("verdaccio exited: " + self.log_path.read_text())
            try:
                with urllib.request.urlopen(self.url + "-/ping", timeout=2):
                    break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError("verdaccio did not start: " + self.log_path.read_text())
                time.sleep(0.1)
        # A publisher: npm publishes only with a token, so make a user and keep its token
        # in a temp userconfig.
        req = urllib.request.Request(self.url + "-/user/org.couchdb.user:publisher", method="PUT",
                                     data=json.dumps({"name": "publisher", "password": "publisher-pass"}).encode(),
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            token = json.load(r)["token"]
        self.publish_npmrc = root / "publish.npmrc"
        self.publish_npmrc.write_text(f"//127.0.0.1:{self.port}/:_authToken={token}\n")

    def npm_env(self, cache: Path, userconfig: Path, **extra) -> dict:
        """npm settings for a run against this registry, and nothing of the person's."""
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
        env.update(npm_config_registry=self.url, npm_config_cache=str(cache), npm_config_userconfig=str(userconfig))
        env.update(extra)
        return env

    def publish(self, package_dir: Path):
        env = self.npm_env(self.root / "publish-cache", self.publish_npmrc)
        r = subprocess.run(["npm", "publish", str(package_dir), "--access", "public"], capture_output=True, text=True,
                           env=env, timeout=120)
        assert r.returncode == 0, f"npm publish {package_dir}:\n{r.stdout}\n{r.stderr}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """The registry with @whatsapp-use/mcp and this platform's package published, staged
    by npm/pack.mjs at the workspace version."""
    root = tmp_path_factory.mktemp("npm-registry")
    reg = Registry(root)
    try:
        # The built binary less its debug info (316 MB -> ~70 MB for a debug build): npm
        # gzips the package in one thread, and the whole binary would take ~40 s.
        binary = root / "whatsapp-use"
        if shutil.which("strip"):
            subprocess.run(["strip", "-o", str(binary), BIN], check=True, timeout=60)
        else:
            shutil.copy2(BIN, binary)
        staged = subprocess.run(["node", str(ROOT / "npm" / "pack.mjs"), "--binary", str(binary), "--platform", PLATFORM,
                                 "--out", str(root / "stage")], capture_output=True, text=True, timeout=60)
        assert staged.returncode == 0, staged.stderr
        dirs = [Path(d) for d in staged.stdout.split()]
        assert [d.name for d in dirs] == [f"mcp-{PLATFORM}", "mcp"]
        for d in dirs:  # the platform package first, then the launcher that needs it
            reg.publish(d)
        reg.version = json.loads((dirs[-1] / "package.json").read_text())["version"]
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="module")
def npx_home(tmp_path_factory):
    """npx's cache and an empty userconfig, as a person who never used npm has them."""
    home = tmp_path_factory.mktemp("npx")
    (home / "npmrc").write_text("")
    return home


def bridges(cache: Path) -> list[int]:
    """Processes running the binary that npx installed from the platform package."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.readlink(entry / "exe")
        except OSError:
            continue
        if exe.startswith(str(cache / "_npx")) and exe.endswith(f"/node_modules/{PLATFORM_PACKAGE}/bin/whatsapp-use"):
            found.append(int(entry.name))
    return found


@pytest.mark.anyio
async def test_npx_quickstart_verbatim(registry, server, npx_home):
    cache = npx_home / "cache"
    env = {
        "WUSE_API_KEY": server.key,
        # Which data dir the running app uses (a desktop client's user has the default one).
        "WUSE_DATA_DIR": str(server.data_dir),
        "npm_config_registry": registry.url,
        "npm_config_cache": str(cache),
        "npm_config_userconfig": str(npx_home / "npmrc"),
    }
    # The SDK passes only a few variables on; a desktop client passes the user's session.
    if "DBUS_SESSION_BUS_ADDRESS" in os.environ:
        env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    params = StdioServerParameters(command="npx", args=["-y", "@whatsapp-use/mcp"], env=env)
    with anyio.fail_after(90):
        async with stdio_client(params) as (r, w), ClientSession(r, w) as session:
            init = await session.initialize()
            assert init.server_info.name
            agent = Agent(session)

            tools, cursor = [], None
            while True:
                page = await session.list_tools(params={"cursor": cursor} if cursor else None)
                tools += page.tools
                cursor = page.next_cursor
                if not cursor:
                    break
            names = {t.name for t in tools}
            assert len(names) >= 50, sorted(names)
            assert {"search_messages", "send_message", "list_chats"} <= names

            # The bridge is the binary npx installed from the platform package (an
            # optional dependency, picked by os/cpu), not one from anywhere else.
            assert bridges(cache), "no process runs the platform package's binary"

            await synced(agent)
            result = await agent.call("search_messages", {"query": "orcamento", "limit": 5})
            assert result["results"], result
            assert all("orçamento" in h["message"]["text"].lower() for h in result["results"])

    installed = json.loads(next(cache.glob(f"_npx/*/node_modules/{PACKAGE}/package.json")).read_text())
    assert installed["version"] == registry.version
    assert installed["optionalDependencies"][PLATFORM_PACKAGE] == registry.version
    # Closing the client ends npx, the launcher and the bridge.
    deadline = time.time() + 10
    while bridges(cache) and time.time() < deadline:
        time.sleep(0.1)
    assert not bridges(cache), "the bridge outlived its client"


def run_npx(registry, cache: Path, userconfig: Path, *args, **env):
    e = registry.npm_env(cache, userconfig)
    e.pop("WUSE_BIN", None)
    e.update(env)
    return subprocess.run(["npx", "-y", PACKAGE, *args], capture_output=True, text=True, env=e,
                          stdin=subprocess.DEVNULL, timeout=120)


def test_npx_runs_wuse_bin_when_set(registry, npx_home, tmp_path):
    """WUSE_BIN overrides the binary npm installed."""
    fake = tmp_path / "whatsapp-use"
    fake.write_text('#!/bin/sh\necho "fake whatsapp-use: $*"\nexit 3\n')
    fake.chmod(0o755)
    r = run_npx(registry, npx_home / "cache", npx_home / "npmrc", "--port", "0", WUSE_BIN=str(fake))
    assert (r.returncode, r.stdout) == (3, "fake whatsapp-use: mcp --port 0\n"), r.stderr


@pytest.mark.skipif(Path("/usr/bin/whatsapp-use").exists(), reason="an installed app is used before the package")
def test_npx_without_the_platform_package_says_so(registry, npx_home, tmp_path):
    """With optional dependencies omitted there is no binary: a clear message, no stack."""
    r = run_npx(registry, tmp_path / "cache", npx_home / "npmrc", npm_config_omit="optional")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert f"whatsapp-use-mcp: could not find the WhatsApp-Use binary for {PLATFORM}" in r.stderr
    assert f"the package {PLATFORM_PACKAGE} is not installed" in r.stderr
    assert "WUSE_BIN" in r.stderr
    assert "    at " not in r.stderr, r.stderr


def test_launcher_unit_tests():
    """Which binary the launcher picks (WUSE_BIN, an installed app, the platform package),
    its messages, arguments, exit codes and signals: node's own test runner."""
    r = subprocess.run(["node", "--test", str(HERE / "resolve.test.mjs")], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
