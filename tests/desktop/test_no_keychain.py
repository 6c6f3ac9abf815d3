"""Started from a menu on a machine with no keychain, the app says why in a native
message box with the two ways out, and exits cleanly when it is closed: no panic, no
backtrace, nothing left running."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import BIN

TITLE = "WhatsApp-Use cannot start"


def xdotool(*args) -> str:
    return subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=10).stdout.strip()


def test_no_keychain_shows_a_message_box_and_exits_cleanly(tmp_path):
    if not os.environ.get("DISPLAY"):
        pytest.fail("needs an X display: run under `xvfb-run -a` (scripts/test does)")
    assert shutil.which("xdotool"), "xdotool comes with scripts/setup"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DBUS_SESSION_BUS_ADDRESS", "WUSE_DB_KEY", "WUSE_DATA_DIR")}
    # No session bus: no Secret Service to hold the database key.
    env.update(HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path), RUST_BACKTRACE="1")
    proc = subprocess.Popen([BIN, "--data-dir", str(tmp_path / "data")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        window = ""
        deadline = time.time() + 30
        while not window and time.time() < deadline:
            assert proc.poll() is None, "exited before showing why: " + proc.stdout.read()
            window = xdotool("search", "--name", TITLE).split("\n")[0]
            time.sleep(0.2)
        assert window, "no message box"
        assert proc.poll() is None, "it waits for the person"
        # The person reads it and presses OK.
        xdotool("windowfocus", "--sync", window)
        xdotool("key", "Return")
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    out = proc.stdout.read()
    assert code == 1, out
    assert "no OS keychain is reachable" in out and "WUSE_DB_KEY" in out and "Secret Service" in out, out
    assert "panicked" not in out and "backtrace" not in out.lower(), out
    assert not (tmp_path / "data" / "whatsapp-use.db").exists(), "nothing made without a key"
