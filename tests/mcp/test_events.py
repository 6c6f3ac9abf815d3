"""Live notifications on every transport, the durable event log, resources, and
Claude Code channels."""
import json
import os
import time

import anyio
import httpx2
import pytest

from client import eventually, sse, stdio, streamable
from conftest import BIN
from events import Inbox
from sandbox import ECHO, SILENT, synced

pytestmark = pytest.mark.anyio

EVENT_FIELDS = {"id", "type", "account_id", "occurred_at", "received_at", "data"}


def connect(kind, server, inbox):
    if kind == "http":
        return streamable(server.url, server.key, message_handler=inbox.on_message, bindings=inbox.bindings())
    if kind == "sse":
        return sse(server.sse_url, server.key, message_handler=inbox.on_message, bindings=inbox.bindings())
    return stdio(BIN, server.data_dir, server.key, message_handler=inbox.on_message, bindings=inbox.bindings())


@pytest.mark.parametrize("transport", ["http", "sse", "stdio"])
async def test_subscribe_filter_and_unsubscribe(server, transport):
    inbox = Inbox()
    async with connect(transport, server, inbox) as agent:
        await synced(agent)
        echo_chat = (await agent.call("open_chat", {"chat": ECHO, "limit": 0}))["chat"]["id"]
        received = (await agent.call("subscribe_events", {"types": ["message.received"], "chats": [ECHO]}))["subscription"]
        typing = (await agent.call("subscribe_events", {"types": ["typing.started", "typing.stopped"]}))["subscription"]
        sent = (await agent.call("send_message", {"chat": ECHO, "text": f"over {transport}"}))["message"]

        got = await inbox.wait_for(lambda i: i.of_type("message.received"))
        e = got[0]
        assert EVENT_FIELDS <= set(e) and e["id"].startswith("evt_")
        assert e["_subscription"] == received["id"] and e["chat_id"] == echo_chat
        assert e["data"]["message"]["text"] == f"over {transport}" and e["data"]["message"]["sender"]["phone"] == ECHO
        assert e["occurred_at"] <= e["received_at"]
        await inbox.wait_for(lambda i: i.of_type("typing.stopped"))
        assert all(x["_subscription"] == typing["id"] for x in inbox.of_type("typing.started"))
        # Filters: the Silent chat's read receipt is no message.received, and nothing else leaked.
        await agent.call("send_message", {"chat": SILENT, "text": "are you there?"})
        await anyio.sleep(1.0)
        assert {e["type"] for e in inbox.events} <= {"message.received", "typing.started", "typing.stopped"}
        assert all(e["chat_id"] == echo_chat for e in inbox.of_type("message.received"))
        subs = (await agent.call("list_subscriptions"))["subscriptions"]
        assert {s["id"] for s in subs} == {received["id"], typing["id"]}
        assert next(s for s in subs if s["id"] == received["id"])["delivered"] >= 1
        # Unsubscribed: no more.
        await agent.call("unsubscribe_events", {"subscription_id": received["id"]})
        count = len(inbox.of_type("message.received"))
        await agent.call("send_message", {"chat": ECHO, "text": "after unsubscribe"})
        await inbox.wait_for(lambda i: len(i.of_type("typing.stopped")) >= 2)
        await anyio.sleep(0.5)
        assert len(inbox.of_type("message.received")) == count
        assert (await agent.error("unsubscribe_events", {"subscription_id": received["id"]}))["code"] == "not_found"
        assert sent["id"]


async def test_get_events_resumes_exactly_once(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        cursor = (await agent.call("get_events", {"limit": 1}))["next_cursor"]
        for i in range(3):
            await agent.call("send_message", {"chat": ECHO, "text": f"while away {i}"})
    # The agent is gone; the world goes on.
    async with streamable(server.url, server.key) as other:
        await other.call("send_message", {"chat": SILENT, "text": "someone else"})
        await eventually(lambda: _received(other, 3))
    async with streamable(server.url, server.key) as agent:
        seen, after = [], cursor
        while True:
            page = await agent.call("get_events", {"after": after, "limit": 4})
            seen += page["events"]
            if not page["events"]:
                assert page["next_cursor"] == after
                break
            after = page["next_cursor"]
        ids = [int(e["id"][4:]) for e in seen]
        assert ids == sorted(ids) and len(ids) == len(set(ids)), "in order, no repeats"
        assert ids[0] == int(cursor[4:]) + 1 or ids[0] > int(cursor[4:])
        everything = (await agent.call("get_events", {"after": cursor, "limit": 500}))["events"]
        assert [e["id"] for e in everything] == [e["id"] for e in seen], "paging equals one read: no gaps"
        texts = [e["data"]["message"]["text"] for e in seen if e["type"] == "message.received"]
        assert texts == ["while away 0", "while away 1", "while away 2"]
        assert any(e["type"] == "message.read" for e in seen)
        only = (await agent.call("get_events", {"after": cursor, "types": ["message.sent"], "limit": 500}))["events"]
        assert len(only) == 4 and all(e["type"] == "message.sent" for e in only)


async def _received(agent, n):
    events = (await agent.call("get_events", {"types": ["message.received"], "limit": 500}))["events"]
    return len([e for e in events if e["data"]["message"]["text"].startswith("while away")]) >= n


async def test_get_events_long_polls_for_the_reply(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        cursor = (await agent.call("get_events", {"limit": 1}))["next_cursor"]
        started = time.monotonic()
        empty = await agent.call("get_events", {"after": cursor, "types": ["message.received"], "wait_ms": 300})
        assert empty["events"] == [] and empty["next_cursor"] == cursor
        assert time.monotonic() - started >= 0.25
        await agent.call("send_message", {"chat": ECHO, "text": "wait for me"})
        got = await agent.call("get_events", {"after": cursor, "types": ["message.received"], "chats": [ECHO], "wait_ms": 15000})
        assert [e["data"]["message"]["text"] for e in got["events"]] == ["wait for me"]
        bad = await agent.error("get_events", {"after": "nope", "wait_ms": 999999, "types": ["message.bogus"]})
        assert {"after", "wait_ms", "types"} <= set(bad["fields"])


async def test_claude_code_channel(server):
    inbox = Inbox()
    async with streamable(server.url, server.key, message_handler=inbox.on_message, bindings=inbox.bindings()) as agent:
        init_caps = agent.session.initialize_result.capabilities if hasattr(agent.session, "initialize_result") else None
        await synced(agent)
        await agent.call("subscribe_events", {"types": ["message.received"], "claude_channel": True})
        sent = (await agent.call("send_message", {"chat": ECHO, "text": "channel me"}))["message"]
        msg = (await inbox.wait_for(lambda i: i.channel))[0]
        assert msg.content == "channel me"
        assert msg.meta["chat_id"] == sent["chat_id"] and msg.meta["message_id"].startswith("msg_")
        assert msg.meta["sender_phone"] == ECHO and msg.meta["source"] == "whatsapp"
        assert all(isinstance(v, str) for v in msg.meta.values())
        del init_caps


async def test_capabilities_and_resources(server):
    inbox = Inbox()
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {server.key}"}, timeout=30)
    async with http:
        r = await http.post(server.url, headers={"Accept": "application/json, text/event-stream"}, json={
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        body = r.text
        assert '"claude/channel"' in body and '"subscribe":true' in body.replace(" ", "")
    async with streamable(server.url, server.key, message_handler=inbox.on_message) as agent:
        await synced(agent)
        listed = (await agent.session.list_resources()).resources
        uris = [str(r.uri) for r in listed]
        assert "whatsapp://events" in uris and "whatsapp://accounts" in uris
        assert any(u.startswith("whatsapp://chats/chat_") for u in uris)
        echo_chat = (await agent.call("open_chat", {"chat": ECHO, "limit": 0}))["chat"]["id"]
        uri = f"whatsapp://chats/{echo_chat}"
        await agent.session.subscribe_resource(uri)
        await agent.call("send_message", {"chat": ECHO, "text": "resource change"})
        await inbox.wait_for(lambda i: [m for m in i.other if getattr(getattr(m, "params", None), "uri", None) and str(m.params.uri) == uri])
        read = await agent.session.read_resource(uri)
        import json
        content = json.loads(read.contents[0].text)
        assert content["chat"]["id"] == echo_chat and content["messages"][-1]["text"] in ("resource change",)
        from mcp.shared.exceptions import MCPError
        with pytest.raises(MCPError):
            await agent.session.read_resource("whatsapp://chats/chat_0000000000000000")


async def test_listen_2026_07_28(server):
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {server.key}"}, timeout=httpx2.Timeout(30, read=300))
    async with http:
        async with Client(streamable_http_client(server.url, http_client=http), mode="2026-07-28") as c:
            chats = (await c.call_tool("open_chat", {"chat": ECHO, "limit": 0})).structured_content
            uri = f"whatsapp://chats/{chats['chat']['id']}"
            # No session in stateless mode: subscribe_events says where to go instead.
            r = await c.call_tool("subscribe_events", {})
            assert r.is_error and "get_events" in r.structured_content["message"]
            async with c.listen(resource_subscriptions=[uri, "whatsapp://nope"]) as sub:
                assert list(sub.honored.resource_subscriptions or []) == [uri]
                await c.call_tool("send_message", {"chat": ECHO, "text": "listen to this"})
                with anyio.fail_after(10):
                    async for ev in sub:
                        if getattr(ev, "uri", None) and str(ev.uri) == uri:
                            break
    # What listen pushed is in the audit log, as every push is.
    pushed = [json.loads(l) for l in server.cli("activity", "--tool", "notifications/resources/updated").stdout.splitlines()]
    assert any(p["args"] == {"uri": uri} and p["outcome"] == "ok" for p in pushed), pushed


async def test_a_stuck_client_does_not_slow_others(start_server):
    server = start_server(WUSE_EVENT_BUFFER="64", WUSE_SANDBOX_TIME_SCALE="0.01")
    pid = server.proc.pid
    rss = lambda: int(next(l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")).split()[1])
    # The stuck client: a raw session that subscribes, opens its GET stream, and never reads it.
    stuck = httpx2.AsyncClient(headers={"Authorization": f"Bearer {server.key}", "Accept": "application/json, text/event-stream"}, timeout=30)
    init = await stuck.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "stuck", "version": "1"}}})
    sid = init.headers["mcp-session-id"]
    h = {"mcp-session-id": sid, "mcp-protocol-version": "2025-11-25"}
    await stuck.post(server.url, headers=h, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
    await stuck.post(server.url, headers=h, json={"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                                  "params": {"name": "subscribe_events", "arguments": {}}})
    get = stuck.stream("GET", server.url, headers=h | {"Accept": "text/event-stream"})
    await get.__aenter__()  # open, then never read
    inbox = Inbox()
    try:
        async with streamable(server.url, server.key, message_handler=inbox.on_message, bindings=inbox.bindings()) as agent:
            await synced(agent)
            await agent.call("subscribe_events", {"types": ["message.received"], "chats": [ECHO]})
            before = rss()
            latencies = []
            for i in range(60):
                t0 = time.monotonic()
                await agent.call("send_message", {"chat": ECHO, "text": f"burst {i} " + "x" * 2000})
                await inbox.wait_for(lambda box: len(box.of_type("message.received")) > i, timeout=10)
                latencies.append(time.monotonic() - t0)
            grown_kb = rss() - before
        latencies.sort()
        assert latencies[len(latencies) // 2] < 1.0, latencies
        assert grown_kb < 64 * 1024, f"RSS grew {grown_kb} kB"
    finally:
        await get.__aexit__(None, None, None)
        await stuck.aclose()
