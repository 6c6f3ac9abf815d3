"""Hostile and random input through the whole server: every tool gets random
arguments shaped like its schema, and junk. Every answer must be a result or a
structured error; the server must not panic, and the store must stay usable."""
import json
import random

import httpx2
import pytest

from client import streamable
from sandbox import synced

pytestmark = pytest.mark.anyio

ODD_STRINGS = ["", " ", "\u0000", "💥" * 50, "x" * 70_000, "+14155550199", "+1", "chat_0123456789abcdef",
               "grp_0123456789abcdef", "msg_0123456789abcdef", "acc_0123456789abcdef", "med_0123456789abcdef",
               "ct_0123456789abcdef", "evt_1", "evt_-1", "2026-11-25T10:00:00Z", "NaN", "../../../etc/passwd",
               "\"; DROP TABLE messages; --", "NEAR(", "\ud7ff", "%s%s%s", "{{7*7}}"]


def value(rng, depth=0):
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, -2**63, 2**64, 200, 201, 60001])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, -1e308, 91.0])
    if kind in (4, 5):
        return rng.choice(ODD_STRINGS)
    if kind == 6:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["a", "latitude", "name", "phone", "text"]): value(rng, depth + 1) for _ in range(rng.randrange(4))}


async def test_random_arguments_for_every_tool(server):
    rng = random.Random(20261125)
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        tools = (await agent.session.list_tools()).tools
        # Destructive account tools would only end the test early; they get junk only.
        for tool in tools:
            props = list(tool.input_schema.get("properties", {}))
            for attempt in range(12):
                if tool.name in ("logout_account", "delete_account", "leave_group") and attempt < 12:
                    args = {"account_id": "acc_0000000000000000"} if tool.name != "leave_group" else {"group": "grp_0000000000000000"}
                elif attempt % 4 == 0:
                    args = {rng.choice(["zzz", "", "__proto__"]): value(rng)}
                else:
                    args = {p: value(rng) for p in rng.sample(props, k=rng.randint(0, len(props)))} if props else {}
                r = await agent.call_raw(tool.name, args)
                if r.is_error:
                    body = r.structured_content
                    assert body and body["code"] in {"invalid_request", "not_found", "forbidden", "account_not_paired",
                                                     "edit_window_expired", "media_too_large", "rate_limited"}, (tool.name, args, body)
                    assert body["status"] in {400, 403, 404, 409, 413, 429}
                else:
                    assert r.structured_content is not None
        # Still healthy and consistent.
        assert (await agent.call("list_accounts"))["accounts"]
        assert (await agent.call("list_chats", {"limit": 5}))["chats"]
    assert "panicked" not in server.output() and "server_error" not in server.cli("activity", "--limit", "2000").stdout


async def test_malformed_json_rpc_and_oversized_bodies(server):
    url = server.url
    h = {"Authorization": f"Bearer {server.key}", "Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with httpx2.AsyncClient(timeout=30) as http:
        for body in [b"{", b"[]", b"null", b"\xff\xfe\x00garbage", b'{"jsonrpc":"2.0"}', b'{"jsonrpc":"2.0","id":1,"method":42}',
                     json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "nope"}).encode(),
                     b"[" * 10_000 + b"]" * 10_000]:
            r = await http.post(url, content=body, headers=h)
            assert 400 <= r.status_code < 500, (body[:40], r.status_code)
        r = await http.post(url, content=b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"a" * (9 * 1024 * 1024) + b'"}}', headers=h)
        assert r.status_code == 413
    # (The server closes a connection whose oversized body it did not read: ask anew.)
    async with httpx2.AsyncClient(timeout=30) as http:
        assert (await http.get(f"http://127.0.0.1:{server.port}/health")).status_code == 200


METHODS = ["initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
           "resources/templates/list", "resources/subscribe", "prompts/list", "prompts/get", "logging/setLevel",
           "completion/complete", "notifications/initialized", "notifications/cancelled", "sampling/createMessage",
           "", "tools/", "x" * 300]


def envelope(rng, tools):
    """A JSON-RPC message with every part possibly wrong."""
    msg = {}
    if rng.random() < 0.9:
        msg["jsonrpc"] = "2.0" if rng.random() < 0.85 else value(rng)
    if rng.random() < 0.8:
        msg["id"] = rng.choice([1, 0, -1, 2**63, 2**70, "a", "", None, 1.5, [], {}])
    if rng.random() < 0.95:
        msg["method"] = rng.choice(METHODS) if rng.random() < 0.9 else value(rng)
    if rng.random() < 0.8:
        if msg.get("method") == "tools/call" and rng.random() < 0.7:
            msg["params"] = {"name": rng.choice(tools), "arguments": value(rng) if rng.random() < 0.3 else
                             {rng.choice(["chat", "limit", "text", "query", "message_id"]): value(rng)}}
        elif msg.get("method") == "resources/read" and rng.random() < 0.7:
            msg["params"] = {"uri": rng.choice(["whatsapp://chats", "whatsapp://../../etc/passwd", "file:///etc/passwd",
                                                "whatsapp://messages/msg_0123456789abcdef", "", "x" * 5000])}
        else:
            msg["params"] = value(rng)
    if rng.random() < 0.1:
        msg[rng.choice(["result", "error", "extra"])] = value(rng)
    return msg


async def test_generated_json_rpc_envelopes_get_structured_answers(server):
    """A seeded fuzz of the JSON-RPC layer itself: 1,500 generated messages, single
    and batched, with and without a session. 2xx or 4xx only, JSON where JSON is
    promised, never a 5xx, and the server answers normally afterwards."""
    rng = random.Random(20261125)
    async with streamable(server.url, server.key) as agent:
        tools = sorted(await agent.tool_names())
    base = {"Authorization": f"Bearer {server.key}", "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json"}
    async with httpx2.AsyncClient(timeout=30) as http:
        init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}}
        r = await http.post(server.url, json=init, headers=base)
        session = r.headers.get("mcp-session-id")
        assert session
        await http.post(server.url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                        headers=dict(base, **{"mcp-session-id": session}))
        for i in range(1500):
            body = envelope(rng, tools) if rng.random() < 0.85 else [envelope(rng, tools) for _ in range(rng.randrange(4))]
            headers = dict(base)
            roll = rng.random()
            if roll < 0.7:
                headers["mcp-session-id"] = session
            elif roll < 0.8:
                headers["mcp-session-id"] = rng.choice(["", "nope", "x" * 500, session + "0"])
            r = await http.post(server.url, content=json.dumps(body), headers=headers)
            assert r.status_code < 500, (i, body, r.status_code, r.text[:300])
            if r.headers.get("content-type", "").startswith("application/json") and r.content:
                json.loads(r.content)
            elif r.headers.get("content-type", "").startswith("text/event-stream"):
                for line in r.text.splitlines():
                    if line.startswith("data:") and line[5:].strip():
                        json.loads(line[5:])
        assert (await http.get(f"http://127.0.0.1:{server.port}/health")).status_code == 200
    async with streamable(server.url, server.key) as agent:
        assert (await agent.call("list_chats", {"limit": 3}))["chats"]
    assert "panicked" not in server.output()
