"""End-to-end fixtures: the real `whatsapp-use` binary, a real encrypted store in a
temp data dir (key in the session's real Secret Service), and real MCP clients
(the official Python SDK) over streamable HTTP, legacy SSE and stdio."""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

BIN = os.environ.get("WUSE_BIN") or str(
    Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parents[2] / "target")) / "debug" / "whatsapp-use")
BENCH = str(Path(BIN).with_name("wuse-bench"))


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Server:
    """A running `whatsapp-use serve` on a random port."""

    def __init__(self, data_dir: Path, env: dict, key: str | None = None, preexec_fn=None, bin_path: str = BIN):
        """Starts on `data_dir`; `key` for a restart (the first start prints a new one);
        `preexec_fn` runs in the child before exec (resource limits, another user);
        `bin_path` for another build (the loopback one)."""
        self.bin = bin_path
        self.data_dir = data_dir
        self.env = env
        self.log_path = data_dir.parent / ("serve.out" if key is None else f"serve-{time.monotonic_ns()}.out")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen([bin_path, "serve", "--data-dir", str(data_dir), "--port", "0"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec_fn)
        deadline = time.time() + 30
        self.port = None
        self.key = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("serve exited: " + self.output())
            out = self.output()
            m = re.search(r"Test API key \(shown once\): (wuse_test_\w+)", out) if key is None else re.match("", "")
            # Ready once the first-run sandbox account is paired and connected.
            paired = env.get("WUSE_SANDBOX_AUTO_SCAN") == "0" or re.search(r"Account acc_\w+ \+\d+: connected", out)
            owner = data_dir / "owner.json"
            # After a crash a stale owner.json may linger: wait for this process's own.
            if owner.exists() and m and paired and json.loads(owner.read_text()).get("pid") == self.proc.pid:
                self.port = json.loads(owner.read_text())["port"]
                self.key = m.group(1) if key is None else key
                break
            time.sleep(0.05)
        if not self.port:
            self.proc.kill()
            raise RuntimeError("serve did not start: " + self.output())
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.sse_url = f"http://127.0.0.1:{self.port}/sse"

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.bin, *args, "--data-dir", str(self.data_dir)], capture_output=True, text=True,
                              env=self.env, timeout=60)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def server_env(**extra) -> dict:
    env = dict(os.environ)
    # A fast, quiet sandbox: replies within ~0.2 s, no ambient traffic unless a test asks.
    env.update({"WUSE_SANDBOX_TIME_SCALE": "0.05", "WUSE_SANDBOX_AMBIENT": "0", "WUSE_LOG": "info,rmcp=warn"})
    env.update(extra)
    env.pop("WUSE_DB_KEY", None)
    return env


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data", server_env())
    yield s
    s.stop()


@pytest.fixture
def start_server(tmp_path):
    """Starts servers with custom environment; all stopped at the end."""
    started = []

    def start(name="data", **env):
        s = Server(tmp_path / name, server_env(**env))
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
