"""Faults of the machine, not of the agent: the owner killed in the middle of a
history ingest, a full disk, a data dir it may not write, a damaged database file.
Each ends in a clear error or a consistent store, never in a store overwritten or
half-changed. (Sends killed mid-way are in test_load.py.)"""
import hashlib
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from client import streamable
from conftest import BENCH, BIN, Server, server_env
from sandbox import ECHO, connected

pytestmark = pytest.mark.anyio

BATCH = 10_000  # messages per history transaction (wa::sandbox::synth::BATCH)


def explicit_key_env(**extra) -> dict:
    """A store key in the environment instead of the keychain (another user has none)."""
    env = server_env(**extra)
    env["WUSE_DB_KEY"] = secrets.token_hex(32)
    return env


def check(data_dir: Path, env: dict) -> tuple[int, dict | None, str]:
    r = subprocess.run([BIN, "check", "--data-dir", str(data_dir)], capture_output=True, text=True, env=env,
                       timeout=120)
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        report = None
    return r.returncode, report, r.stderr


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate(data_dir: Path, env: dict, messages: int) -> subprocess.Popen:
    return subprocess.Popen([BENCH, "generate", "--data-dir", str(data_dir), "--messages", str(messages)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def test_sigkill_during_history_ingest_keeps_whole_batches_and_a_rerun_completes(tmp_path):
    env = explicit_key_env()
    data = tmp_path / "data"
    assert generate(data, env, 0).wait(120) == 0
    code, before, err = check(data, env)
    assert code == 0 and before["ok"], err
    base = before["counts"]["messages"]

    total = 6 * BATCH
    p = generate(data, env, total)
    for line in p.stderr:
        if line.strip() == f"{2 * BATCH} messages":
            break  # two batches committed; the third is being written
    p.send_signal(signal.SIGKILL)
    p.wait(30)

    code, after, err = check(data, env)
    assert code == 0 and after["ok"], (err, after)
    landed = after["counts"]["messages"] - base
    assert landed % BATCH == 0 and 2 * BATCH <= landed < total, landed

    # The same history again (same IDs): what landed is not duplicated, the rest lands.
    assert generate(data, env, total).wait(300) == 0
    code, done, err = check(data, env)
    assert code == 0 and done["ok"], err
    assert done["counts"]["messages"] == base + total


async def test_a_full_disk_is_a_clear_error_and_nothing_half_written(tmp_path):
    env = explicit_key_env()
    data = tmp_path / "data"
    first = Server(data, env)
    key = first.key
    first.stop()
    code, before, err = check(data, env)
    assert code == 0, err
    # A file-size limit stands in for a full disk: writes past it fail (EFBIG), as
    # they would with ENOSPC. SIGXFSZ is ignored so the write fails, not the process.
    limit = max(f.stat().st_size for f in data.iterdir() if f.is_file()) + 2 * 1024 * 1024 + 1234

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(6 * 1024 * 1024))
    s = Server(data, env, key=key, preexec_fn=small_disk)
    try:
        async with streamable(s.url, key) as agent:
            await connected(agent)
            full = await agent.error("upload_media", {"path": str(big)})
            assert full["code"] == "server_error" and full["status"] == 500
            assert "disk" in full["message"] and "rolled back" in full["message"], full
            # The failed upload is nowhere to be seen.
            code, during, err = check(data, env)
            assert code == 0 and during["counts"]["media"] == before["counts"]["media"], (err, during, before)
            # The disk has room again: the same call works.
            resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            media = (await agent.call("upload_media", {"path": str(big)}))["media"]
            assert media["size"] == big.stat().st_size
            # ...and what the failed one began is gone now, not at the next start.
            code, now, err = check(data, env)
            assert code == 0 and now["counts"]["unfinished_uploads"] == 0, (err, now)
            sent = (await agent.call("send_message", {"chat": ECHO, "media_id": media["id"]}))["message"]
            assert sent["media"]["id"] == media["id"]
        assert "panicked" not in s.output()
    finally:
        s.stop()
    code, after, err = check(data, env)
    assert code == 0 and after["ok"], err


def as_nobody():
    """Runs the child as an unprivileged user (root writes anywhere, whatever the mode)."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)


def test_a_read_only_data_dir_is_a_clear_error_and_the_store_is_untouched(tmp_path):
    env = explicit_key_env()
    # The data dir belongs to root and is only readable by others.
    base = Path(tempfile.mkdtemp(prefix="wuse-ro-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        data = base / "data"
        Server(data, env).stop()
        os.chmod(data, 0o755)
        for f in data.iterdir():
            os.chmod(f, 0o644)
        db = data / "whatsapp-use.db"
        digest = sha256(db)

        # The build's own directory may not be open to the other user.
        bin_copy = base / "whatsapp-use"
        shutil.copy(BIN, bin_copy)

        def serve():
            return subprocess.run([str(bin_copy), "serve", "--data-dir", str(data), "--port", "0"], capture_output=True,
                                  text=True, env=env, timeout=60, preexec_fn=as_nobody)

        r = serve()
        assert r.returncode != 0 and "read-only or belongs to another user" in r.stderr, r.stderr
        # Past the lock file, the store itself refuses to open for writing.
        os.chmod(data / "owner.lock", 0o666)
        r = serve()
        assert r.returncode != 0 and "read-only" in r.stderr, r.stderr
        assert sha256(db) == digest
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_damaged_store_is_reported_and_never_overwritten(tmp_path):
    env = explicit_key_env()
    data = tmp_path / "data"
    Server(data, env).stop()
    db = data / "whatsapp-use.db"
    page = 4096
    pristine = db.read_bytes()
    assert len(pristine) >= 8 * page

    # A damaged page in the middle: `check` finds it; nothing rewrites the file.
    raw = bytearray(pristine)
    at = page * (len(raw) // page // 2) + 200
    raw[at:at + 64] = os.urandom(64)
    db.write_bytes(raw)
    code, report, err = check(data, env)
    assert code != 0 and report and not report["ok"], (err, report)
    assert any("encryption" in p or "damaged" in p for p in report["problems"]), report
    assert db.read_bytes() == raw

    # A damaged first page: the app refuses to start, says why, and leaves the file be.
    raw = bytearray(pristine)
    raw[100:164] = os.urandom(64)
    db.write_bytes(raw)
    for f in data.glob("whatsapp-use.db-*"):
        f.unlink()
    r = subprocess.run([BIN, "serve", "--data-dir", str(data), "--port", "0"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode != 0 and "does not decrypt" in r.stderr and "left untouched" in r.stderr, r.stderr
    code, _, err = check(data, env)
    assert code != 0 and "does not decrypt" in err
    assert db.read_bytes() == raw
