"""Secrets stay secret: the store is encrypted with a key that lives only in the OS
keychain, API keys only as hashes, nothing secret in files or logs."""
import sqlite3
import subprocess

import pytest

from client import streamable
from sandbox import ECHO, synced

pytestmark = pytest.mark.anyio


def db_key_from_keychain():
    """The database key, as the real Secret Service holds it."""
    out = subprocess.run(["secret-tool", "search", "--all", "service", "whatsapp-use"], capture_output=True, text=True)
    secrets = [line.split("=", 1)[1].strip() for line in out.stdout.splitlines() + out.stderr.splitlines() if line.startswith("secret = ")]
    return secrets


async def test_store_is_encrypted_and_secrets_are_nowhere_on_disk(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        await agent.call("send_message", {"chat": ECHO, "text": "a secret plan: orçamento 2026"})
    server.stop()  # a clean shutdown folds the WAL into the database file
    db = server.data_dir / "whatsapp-use.db"
    assert db.stat().st_size > 100_000
    # Plain SQLite cannot read it.
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(db).execute("SELECT count(*) FROM sqlite_master").fetchone()
    keys = db_key_from_keychain()
    assert keys and all(len(k) == 64 for k in keys), "the key is in the keychain"
    # No file in the data dir, no log line, holds the API key, the DB key, or a message in clear.
    needles = [server.key.encode(), b"a secret plan", "orçamento 2026".encode()]
    needles += [k.encode() for k in keys] + [bytes.fromhex(k) for k in keys]
    files = [p for p in server.data_dir.rglob("*") if p.is_file()] + [server.data_dir.parent / "serve.out"]
    for path in files:
        data = path.read_bytes()
        if path.name == "serve.out":
            # The first-run banner shows the test key once, on the terminal; nothing else may.
            data = data.replace(server.key.encode(), b"", 1)
        for needle in needles:
            assert needle not in data, f"{needle[:12]!r}… found in {path.name}"


async def test_a_wrong_key_never_opens_or_overwrites_the_store(server, tmp_path):
    server.stop()
    db = server.data_dir / "whatsapp-use.db"
    before = db.read_bytes()
    env = dict(server.env, WUSE_DB_KEY="00" * 32)
    r = subprocess.run([server.proc.args[0], "keys", "list", "--data-dir", str(server.data_dir)], capture_output=True, text=True, env=env)
    assert r.returncode != 0 and "key does not match" in r.stderr
    assert db.read_bytes() == before
    bad = subprocess.run([server.proc.args[0], "keys", "list", "--data-dir", str(server.data_dir)], capture_output=True, text=True,
                         env=dict(server.env, WUSE_DB_KEY="not-hex"))
    assert bad.returncode != 0 and "64 hex characters" in bad.stderr


def test_no_keychain_means_a_clear_error_not_a_key_file(tmp_path):
    from conftest import BIN
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    r = subprocess.run([BIN, "keys", "list", "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode != 0
    assert "no OS keychain" in r.stderr and "WUSE_DB_KEY" in r.stderr and "Secret Service" in r.stderr
    assert not (tmp_path / "d" / "whatsapp-use.db").exists()
    assert not any(p.is_file() and p.stat().st_size >= 32 for p in (tmp_path / "d").rglob("*"))
