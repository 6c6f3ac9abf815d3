"""The desktop app for real: the built binary opened by `tauri-driver` +
WebKitWebDriver in the X display `xvfb-run` gives, its engine on a real encrypted
store (key in the session's Secret Service), driven through its window.

Needs DISPLAY (scripts/test runs pytest under xvfb-run). Screenshots of every page go
to WUSE_SCREENSHOTS (default tests/desktop/screenshots)."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "mcp"))

from webdriver import Session  # noqa: E402

BIN = os.environ.get("WUSE_BIN") or str(
    Path(os.environ.get("CARGO_TARGET_DIR", HERE.parents[1] / "target")) / "debug" / "whatsapp-use")
SHOTS = Path(os.environ.get("WUSE_SCREENSHOTS", HERE / "screenshots"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Desktop:
    """The app window (`ui`, a WebDriver session) plus where its files live."""

    def __init__(self, root: Path):
        if not os.environ.get("DISPLAY"):
            pytest.fail("the desktop tests need an X display: run them under `xvfb-run -a` (scripts/test does)")
        self.home = root / "home"
        self.data_dir = root / "data"
        self.home.mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        env = dict(os.environ)
        env.update({
            "HOME": str(self.home),  # client config files land here
            "WUSE_DATA_DIR": str(self.data_dir),
            "WUSE_PORT": str(self.port),
            "NO_AT_BRIDGE": "1",
            # A quicker sandbox, still slow enough that the QR is on screen (the phone
            # scans it after ~1.5 s).
            "WUSE_SANDBOX_TIME_SCALE": "0.5",
            "WUSE_SANDBOX_AMBIENT": "0",
        })
        for var in ("XDG_CONFIG_HOME", "APPDATA", "WUSE_DB_KEY", "WUSE_API_KEY"):
            env.pop(var, None)
        self.driver_log = open(root / "tauri-driver.log", "w+")
        driver_port = free_port()
        # Its own process group, so WebKitWebDriver and the app go down with it.
        self.driver = subprocess.Popen(
            ["tauri-driver", "--port", str(driver_port), "--native-port", str(free_port())],
            env=env, stdout=self.driver_log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ui = self._connect(f"http://127.0.0.1:{driver_port}")

    def _connect(self, url) -> Session:
        deadline = time.monotonic() + 20
        while True:
            try:
                return Session(url, BIN)
            except OSError:
                if time.monotonic() > deadline or self.driver.poll() is not None:
                    raise RuntimeError("tauri-driver did not start: " + self.log())
                time.sleep(0.2)

    def log(self) -> str:
        self.driver_log.flush()
        self.driver_log.seek(0)
        return self.driver_log.read()[-4000:]

    def shot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        # What the DOM says, painted: WebKit may not have drawn the last change yet.
        self.ui.js_async("requestAnimationFrame(() => requestAnimationFrame(() => done()))")
        self.ui.screenshot(SHOTS / f"{name}.png")

    def close(self):
        self.ui.close()
        try:
            os.killpg(self.driver.pid, signal.SIGTERM)
            self.driver.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.driver.pid, signal.SIGKILL)
        self.driver_log.close()


@pytest.fixture(scope="module")
def desktop(tmp_path_factory):
    d = Desktop(tmp_path_factory.mktemp("desktop"))
    yield d
    d.close()


@pytest.fixture
def anyio_backend():
    return "asyncio"
