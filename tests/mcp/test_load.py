"""Load and crashes, bounded to fit CI, on loopback only: many agents at once, and the
owner process killed with SIGKILL in the middle of work."""
import os
import signal

import anyio
import pytest

from client import streamable
from conftest import Server, server_env
from sandbox import ECHO, SILENT, synced

pytestmark = pytest.mark.anyio

# CI runs 100; a longer run sets WUSE_LOAD_SESSIONS (README, "Tests").
SESSIONS = int(os.environ.get("WUSE_LOAD_SESSIONS", "100"))


async def test_a_hundred_sessions_mixed_reads_and_writes(server):
    server.cli("settings", "set", "rate_limit_per_minute", "100000")
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        chat = (await agent.call("get_chat", {"chat": SILENT}))["chat"]["id"]
    errors, sent = [], {}

    async def one(n):
        try:
            async with streamable(server.url, server.key) as a:
                await a.call("list_chats", {"limit": 20})
                await a.call("list_messages", {"chat": chat, "limit": 50})
                m = (await a.call("send_message", {"chat": SILENT, "text": f"load {n}",
                                                   "idempotency_key": f"load-{n}"}))["message"]
                sent[n] = m["id"]
                assert (await a.call("get_message", {"message_id": m["id"]}))["message"]["text"] == f"load {n}"
                await a.call("search_messages", {"query": f"load {n}", "limit": 5})
        except Exception as e:  # noqa: BLE001 - every failure is collected and reported
            errors.append(f"session {n}: {e!r}")

    async with anyio.create_task_group() as tg:
        for n in range(SESSIONS):
            tg.start_soon(one, n)
    assert errors == []
    assert len(sent) == SESSIONS and len(set(sent.values())) == SESSIONS
    # Nothing lost, nothing doubled: each text exactly once in the chat.
    async with streamable(server.url, server.key) as agent:
        texts = []
        cursor = None
        while True:
            args = {"chat": chat, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = await agent.call("list_messages", args)
            texts += [m.get("text") for m in page["messages"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        for n in range(SESSIONS):
            assert texts.count(f"load {n}") == 1, n


async def test_sigkill_during_sends_loses_no_acknowledged_message_and_retries_send_once(tmp_path):
    env = server_env()
    s = Server(tmp_path / "data", env)
    acked = {}
    try:
        async with streamable(s.url, s.key) as agent:
            await synced(agent)

            async def send(n):
                try:
                    m = (await agent.call("send_message", {"chat": ECHO, "text": f"crash {n}",
                                                           "idempotency_key": f"crash-{n}"}))["message"]
                    acked[n] = m["id"]
                except Exception:  # noqa: BLE001 - the owner dies under some of these
                    pass

            async with anyio.create_task_group() as tg:
                for n in range(40):
                    tg.start_soon(send, n)
                    if n == 25:
                        await anyio.sleep(0.05)
                        os.kill(s.proc.pid, signal.SIGKILL)
    except Exception:  # noqa: BLE001 - the session itself breaks when the owner dies
        pass
    finally:
        s.proc.wait(10)
        s.log.close()
    assert acked, "some sends were acknowledged before the kill"

    # Restart on the same data dir (same key in the same keychain).
    s2 = Server(s.data_dir, env, key=s.key)
    try:
        url = s2.url
        async with streamable(url, s.key) as agent:
            for n, mid in acked.items():
                m = (await agent.call("get_message", {"message_id": mid}))["message"]
                assert m["text"] == f"crash {n}"
            # The agent retries everything with the same keys: acknowledged sends come
            # back as they were, the rest are sent now, nothing twice.
            for _ in range(100):
                if (await agent.call("list_accounts"))["accounts"][0]["status"] == "connected":
                    break
                await anyio.sleep(0.1)
            for n in range(40):
                m = (await agent.call("send_message", {"chat": ECHO, "text": f"crash {n}",
                                                       "idempotency_key": f"crash-{n}"}))["message"]
                if n in acked:
                    assert m["id"] == acked[n]
            for n in range(40):
                hits = (await agent.call("search_messages", {"query": f'"crash {n}"', "limit": 50}))["results"]
                mine = [h for h in hits if h["message"].get("from_me") and h["message"].get("text") == f"crash {n}"]
                assert len(mine) == 1, (n, mine)
    finally:
        s2.stop()

