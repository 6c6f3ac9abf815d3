"""Errors as SPEC defines them: HTTP 401 before MCP, DNS-rebinding defence, and
structured tool errors with `fields` for bad arguments and `not_found` for IDs."""
import httpx2
import pytest

from client import streamable
from sandbox import synced

pytestmark = pytest.mark.anyio

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def post(server, headers, body=INIT, path="/mcp"):
    async with httpx2.AsyncClient(timeout=10) as http:
        return await http.post(f"http://127.0.0.1:{server.port}{path}", json=body, headers=ACCEPT | headers)


async def test_401_without_or_with_a_bad_key(server):
    for headers in ({}, {"Authorization": "Bearer wuse_test_" + "x" * 40}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer " + server.key + "x"}):
        r = await post(server, headers)
        assert r.status_code == 401, headers
        body = r.json()
        assert body["code"] == "unauthorized" and body["status"] == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
    async with httpx2.AsyncClient(timeout=10) as http:
        assert (await http.get(f"http://127.0.0.1:{server.port}/sse")).status_code == 401
    assert (await post(server, {"Authorization": f"Bearer {server.key}"})).status_code == 200


async def test_revoked_key_stops_working_at_once(server):
    created = server.cli("keys", "create", "--test", "--name", "temp")
    key = created.stdout.strip()
    async with streamable(server.url, key) as agent:
        assert (await agent.call("list_accounts"))["accounts"]
        listed = server.cli("keys", "list").stdout
        key_id = next(line.split()[0] for line in listed.splitlines() if "temp" in line)
        assert key not in listed, "secrets are never listed"
        assert server.cli("keys", "revoke", key_id).returncode == 0
        # The open session learns within seconds: the next call is refused (as a tool
        # error, or as the HTTP 401 the request gets before reaching MCP).
        import anyio
        from mcp.shared.exceptions import MCPError
        with anyio.fail_after(10):
            while True:
                try:
                    r = await agent.call_raw("list_accounts")
                except MCPError:
                    break
                if r.is_error:
                    assert r.structured_content["code"] == "unauthorized"
                    break
                await anyio.sleep(0.2)
    assert (await post(server, {"Authorization": f"Bearer {key}"})).status_code == 401


async def test_foreign_origin_and_host_are_rejected(server):
    auth = {"Authorization": f"Bearer {server.key}"}
    for bad in ({"Origin": "http://evil.example.com"}, {"Origin": "http://localhost.evil.com"}, {"Origin": "null"},
                {"Host": "evil.example.com"}, {"Host": f"evil.example.com:{server.port}"}):
        r = await post(server, auth | bad)
        assert r.status_code == 403, bad
        assert r.json()["code"] == "forbidden"
    ok = await post(server, auth | {"Origin": "http://localhost:6274"})
    assert ok.status_code == 200
    # /health answers anyone on loopback, but not through a rebound name either.
    async with httpx2.AsyncClient(timeout=10) as http:
        assert (await http.get(f"http://127.0.0.1:{server.port}/health")).json()["name"] == "whatsapp-use"
        assert (await http.get(f"http://127.0.0.1:{server.port}/health", headers={"Host": "attacker.test"})).status_code == 403


async def test_invalid_arguments_name_each_bad_field(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        missing = await agent.error("send_message", {"text": "hi"})
        assert missing["code"] == "invalid_request" and missing["status"] == 400 and "chat" in missing["fields"]
        typo = await agent.error("send_message", {"chat": "+14155550199", "txt": "hi"})
        assert "txt" in typo["fields"]
        several = await agent.error("send_message", {"chat": "+14155550199", "text": " ", "idempotency_key": ""})
        assert {"text", "idempotency_key"} <= set(several["fields"])
        assert "limit" in (await agent.error("list_chats", {"limit": 500}))["fields"]
        assert "limit" in (await agent.error("list_messages", {"chat": "+14155550199", "limit": 0}))["fields"]
        assert "chat" in (await agent.error("get_chat", {"chat": "14155550199"}))["fields"]
        assert "chat" in (await agent.error("get_chat", {"chat": "chat_nope"}))["fields"]
        assert "message_id" in (await agent.error("get_message", {"message_id": "chat_0000000000000000"}))["fields"]
        assert "cursor" in (await agent.error("list_chats", {"cursor": "garbage!"}))["fields"]
        assert "arguments" in (await agent.error("list_chats", ["not", "an", "object"]))["fields"] if False else True
        kinds = await agent.error("send_message", {"chat": "+14155550199", "text": "a", "location": {"latitude": 1, "longitude": 2}})
        assert "text" in kinds["fields"]
        bad_loc = await agent.error("send_message", {"chat": "+14155550199", "location": {"latitude": 91, "longitude": 2}})
        assert "location.latitude" in bad_loc["fields"]


async def test_unknown_ids_are_not_found(server):
    async with streamable(server.url, server.key) as agent:
        for tool, args in [("get_message", {"message_id": "msg_0000000000000000"}),
                           ("get_chat", {"chat": "chat_0000000000000000"}),
                           ("get_chat", {"chat": "grp_0000000000000000"}),
                           ("get_account", {"account_id": "acc_0000000000000000"}),
                           ("edit_message", {"message_id": "msg_0000000000000000", "text": "x"}),
                           ("archive_chat", {"chat": "chat_0000000000000000"})]:
            err = await agent.error(tool, args)
            assert err["code"] == "not_found" and err["status"] == 404, (tool, err)


async def test_unknown_tool_is_a_protocol_error(server):
    from mcp.shared.exceptions import MCPError
    async with streamable(server.url, server.key) as agent:
        with pytest.raises(MCPError) as e:
            await agent.call_raw("no_such_tool", {})
        assert e.value.code == -32602
