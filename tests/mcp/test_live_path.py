"""The live path end to end, as processes: the loopback WhatsApp network
(`wuse-loopback`) and `whatsapp-use serve` built with `--features loopback`,
pointed at it by WUSE_WA_URL. A live key pairs an account by QR, a simulated
person's phone scans it, and messages go both ways through real whatsapp-rust
clients and Signal sessions, over WebSockets on 127.0.0.1."""
import json
import os
import re
import subprocess
import time
from pathlib import Path

import httpx2
import pytest

from client import ToolError, streamable
from conftest import BIN, Server, server_env
from events import Inbox

# The loopback build lives in its own target dir (its features differ from the app's).
LOOPBACK_DIR = Path(os.environ.get("WUSE_LOOPBACK_DIR") or Path(BIN).parent.parent / "loopback" / "debug")
LOOPBACK_APP = str(LOOPBACK_DIR / "whatsapp-use")
NETWORK_BIN = str(LOOPBACK_DIR / "wuse-loopback")

ANA, BOB = "+15550001", "+15550002"

pytestmark = pytest.mark.anyio


class LoopbackNetwork:
    def __init__(self, log: Path):
        self.log = open(log, "w+")
        self.proc = subprocess.Popen([NETWORK_BIN, "--port", "0", "--refs", "6"], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"http://(127\.0\.0\.1:\d+)", line)
        assert m, f"wuse-loopback said: {line!r}"
        self.base = f"http://{m.group(1)}"
        self.chat_url = f"ws://{m.group(1)}/ws/chat"
        self.http = httpx2.Client(base_url=self.base, timeout=60)

    def control(self, path, body=None):
        r = self.http.post(path, json=body) if body is not None else self.http.get(path)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text}"
        return r.json()

    def stop(self):
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


@pytest.fixture
def network(tmp_path):
    net = LoopbackNetwork(tmp_path / "loopback.log")
    yield net
    net.stop()


def wait_until(check, timeout=30, what="it"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_live_account_on_the_loopback_network_receives_and_sends(tmp_path, network):
    network.control("/control/people", {"phone": ANA, "name": "Ana"})
    network.control("/control/people", {"phone": BOB, "name": "Bob"})
    server = Server(tmp_path / "data", server_env(WUSE_WA_URL=network.chat_url), bin_path=LOOPBACK_APP)
    try:
        live = server.cli("keys", "create", "--live", "--name", "loopback").stdout.strip()
        assert live.startswith("wuse_live_"), live
        inbox = Inbox()
        async with streamable(server.url, live, bindings=inbox.bindings()) as agent:
            paired = await agent.call("pair_account", {"label": "Ana's phone"})
            account = paired["account"]["id"]
            network.control("/control/scan", {"phone": ANA, "qr": paired["account"]["pairing"]["qr"]})

            async def connected():
                for _ in range(300):
                    accounts = (await agent.call("list_accounts"))["accounts"]
                    if any(a["id"] == account and a["status"] == "connected" for a in accounts):
                        return
                    time.sleep(0.2)
                raise AssertionError(f"not connected: {accounts}")
            await connected()
            await agent.call("subscribe_events", {"types": ["message.received", "message.undecryptable"],
                                                  "account_ids": [account]})

            sent = network.control("/control/send", {"from": BOB, "to": ANA, "text": "Hello from Bob's phone"})
            event = await inbox.wait_for(
                lambda i: [e for e in i.of_type("message.received")
                           if e["data"]["message"].get("text") == "Hello from Bob's phone"], timeout=30)
            assert event[0]["account_id"] == account
            listed = await agent.call("list_messages", {"account_id": account, "chat": BOB})
            assert [m["text"] for m in listed["messages"]] == ["Hello from Bob's phone"], listed
            assert sent["id"]

            await agent.call("send_message", {"account_id": account, "chat": BOB, "text": "Hi Bob, from an agent"})
            got = wait_until(lambda: [m for m in network.control(f"/control/inbox?phone={BOB}")["messages"]
                                      if m["text"] == "Hi Bob, from an agent"], what="Bob's phone to decrypt it")
            assert got[0]["from"].startswith(ANA[1:]) or got[0]["from"].startswith("9" + ANA[1:]), got

            # Ana mutes Bob on her phone: the app-state patch reaches the linked device.
            network.control("/control/app-state", {"phone": ANA, "action": "mute", "chat": BOB})
            for _ in range(100):
                chats = (await agent.call("list_chats", {"account_id": account}))["chats"]
                if chats and chats[0].get("muted"):
                    break
                time.sleep(0.2)
            assert chats[0].get("muted") is True, chats

            # WhatsApp refuses the next send: the agent hears send_failed with the server's
            # code, and the message stays in the chat marked failed.
            network.control("/control/faults", {"phone": ANA, "nack": 479})
            refused = await agent.error("send_message", {"account_id": account, "chat": BOB, "text": "Refused"})
            assert (refused["code"], refused["status"], refused["server_code"]) == ("send_failed", 502, "479"), refused
            listed = await agent.call("list_messages", {"account_id": account, "chat": BOB})
            assert [m["status"] for m in listed["messages"] if m["text"] == "Refused"] == ["failed"], listed

            # A message that never decrypts on this device reaches the agent as a notification.
            network.control("/control/faults", {"phone": ANA, "corrupt": 100})
            lost = network.control("/control/send", {"from": BOB, "to": ANA, "text": "You will not read this"})
            event = await inbox.wait_for(lambda i: i.of_type("message.undecryptable"), timeout=60)
            assert event[0]["data"]["whatsapp_id"] == lost["id"], event
            assert event[0]["data"]["sender"]["phone"] == BOB, event
    finally:
        server.stop()


def test_a_normal_build_refuses_a_test_network(tmp_path):
    """WUSE_WA_URL cannot point a shipped build anywhere: it refuses to start."""
    env = server_env(WUSE_WA_URL="ws://127.0.0.1:9/ws/chat")
    r = subprocess.run([BIN, "serve", "--data-dir", str(tmp_path / "data"), "--port", "0"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "connects to WhatsApp only" in r.stderr + r.stdout, r.stderr


async def test_an_agent_pages_a_chat_back_to_its_start_through_the_phone(tmp_path, network):
    """A link brings the newest 50 messages of a chat; the rest stay on the phone. The
    agent sees `older_on_phone`, fetches them page by page, and then finds a word from
    the very first message."""
    network.control("/control/people", {"phone": ANA, "name": "Ana"})
    network.control("/control/people", {"phone": BOB, "name": "Bob"})
    start = int(time.time()) - 400 * 86400
    notes = [{"from_me": i % 3 == 0, "text": f"Note {i}" + (" about the aardvark" if i == 0 else ""),
              "ts": start + i * 3600} for i in range(180)]
    network.control("/control/history", {"phone": ANA, "chats": [{"with": BOB, "messages": notes}]})
    server = Server(tmp_path / "data", server_env(WUSE_WA_URL=network.chat_url), bin_path=LOOPBACK_APP)
    try:
        live = server.cli("keys", "create", "--live", "--name", "history").stdout.strip()
        async with streamable(server.url, live) as agent:
            paired = await agent.call("pair_account", {"label": "Ana's phone"})
            account = paired["account"]["id"]
            network.control("/control/scan", {"phone": ANA, "qr": paired["account"]["pairing"]["qr"]})
            page = {"messages": []}
            for _ in range(300):
                try:
                    page = await agent.call("list_messages", {"account_id": account, "chat": BOB, "limit": 200})
                except ToolError:  # the chat arrives with the history
                    pass
                if len(page["messages"]) == 50:
                    break
                time.sleep(0.2)
            assert len(page["messages"]) == 50, page
            assert page["older_on_phone"] is True, page

            # A slow phone: the call reports progress while it waits.
            network.control("/control/faults", {"phone": ANA, "answer_delay_ms": 2500})
            progress = []

            async def on_progress(done, total, message):
                progress.append((done, total, message))

            calls = 0
            while page["older_on_phone"] is True:
                calls += 1
                assert calls <= 4, page
                r = await agent.session.call_tool(
                    "fetch_older_messages", {"account_id": account, "chat": BOB, "count": 100},
                    progress_callback=on_progress)
                assert not r.is_error, r
                older = r.structured_content
                assert all(m["timestamp"] < page["messages"][0]["timestamp"] for m in older["messages"]), older
                page = await agent.call("list_messages", {"account_id": account, "chat": BOB, "limit": 200})
            assert older["complete"] is True, older
            assert progress and progress[0][2] == "waiting for the phone", progress

            texts, cursor = [], None
            while True:
                args = {"account_id": account, "chat": BOB, "limit": 200} | ({"cursor": cursor} if cursor else {})
                got = await agent.call("list_messages", args)
                texts = [m["text"] for m in got["messages"]] + texts
                cursor = got["next_cursor"]
                if not cursor:
                    break
            assert texts == [n["text"] for n in notes], texts[:3]

            found = await agent.call("search_messages", {"account_id": account, "query": "aardvark"})
            assert [r["message"]["text"] for r in found["results"]] == ["Note 0 about the aardvark"], found
    finally:
        server.stop()
