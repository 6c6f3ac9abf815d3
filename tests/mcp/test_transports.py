"""Every transport reaches the same server: streamable HTTP, legacy SSE, stdio."""
import os
import signal
import subprocess

import pytest

from client import sse, stdio, streamable
from conftest import BIN

pytestmark = pytest.mark.anyio


async def test_streamable_http(server):
    async with streamable(server.url, server.key) as agent:
        assert len(await agent.tool_names()) >= 29
        assert (await agent.call("list_accounts"))["accounts"][0]["phone"] == "+14155550100"


async def test_ending_a_session_answers_204_and_the_sdk_is_content(server, caplog):
    # The official SDK ends its session with DELETE on close and warns on anything but
    # 200/204 ("Session termination failed: 202").
    with caplog.at_level("WARNING"):
        async with streamable(server.url, server.key) as agent:
            await agent.call("list_accounts")
    assert not [r for r in caplog.records if "termination" in r.getMessage().lower()], caplog.text

    import httpx2 as httpx
    headers = {"Authorization": f"Bearer {server.key}", "Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}
    async with httpx.AsyncClient(headers=headers) as http:
        init = await http.post(server.url, json={
            "jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "raw", "version": "1"}}})
        sid = init.headers["mcp-session-id"]
        ended = await http.delete(server.url, headers={"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"})
        assert ended.status_code == 204 and ended.content == b""
        gone = await http.post(server.url, headers={"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"},
                               json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        assert gone.status_code == 404, "the session is over"


async def test_legacy_sse(server):
    async with sse(server.sse_url, server.key) as agent:
        assert "send_message" in await agent.tool_names()
        assert (await agent.call("list_accounts"))["accounts"][0]["kind"] == "sandbox"


async def test_stdio_bridges_to_the_running_owner(server):
    async with stdio(BIN, server.data_dir, server.key) as agent:
        accounts = (await agent.call("list_accounts"))["accounts"]
        assert len(accounts) == 1
        status = await agent.call("get_account_status", {})
        assert status["status"] in ("connected", "pairing")


async def test_stdio_starts_an_owner_and_survives_its_restart(tmp_path):
    data = tmp_path / "data"
    env = dict(os.environ, WUSE_SANDBOX_TIME_SCALE="0.05", WUSE_SANDBOX_AMBIENT="0")
    created = subprocess.run([BIN, "keys", "create", "--test", "--data-dir", str(data)], capture_output=True, text=True, env=env, check=True)
    key = created.stdout.strip()
    assert key.startswith("wuse_test_") and "only time" in created.stderr
    # Port 0: the owner the bridge starts picks a free port and publishes it.
    async with stdio(BIN, data, key, env={"WUSE_PORT": "0", "WUSE_SANDBOX_TIME_SCALE": "0.05", "WUSE_SANDBOX_AMBIENT": "0"}) as agent:
        first = (await agent.call("list_accounts"))["accounts"]
        assert len(first) == 1, "the owner it started made the first-run sandbox account"
        owner = (data / "owner.json").read_text()
        pid = int(__import__("json").loads(owner)["pid"])
        os.kill(pid, signal.SIGKILL)
        # The next call finds no owner, starts a new one, replays the handshake.
        again = (await agent.call("list_accounts"))["accounts"]
        assert [a["id"] for a in again] == [a["id"] for a in first]
    new_pid = int(__import__("json").loads((data / "owner.json").read_text())["pid"])
    assert new_pid != pid
    os.kill(new_pid, signal.SIGTERM)
