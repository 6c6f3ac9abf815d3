"""Ask me first, end to end: a tool set to `ask` (on the command line) holds a real
MCP client's call over streamable HTTP and stdio until a person answers, from
another process (`approvals approve|deny`) or in the agent's own client (an MCP
elicitation, through the stdio bridge too; on protocol 2026-07-28 through the call's
input-required result). Only a yes sends; the sandbox chat says what went out."""
import contextlib
import json

import anyio
import httpx2
import mcp.types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from client import eventually, stdio, streamable
from conftest import Server
from sandbox import ECHO, SILENT

pytestmark = pytest.mark.anyio


def waiting(server):
    """The approvals the command line lists (one JSON object per line)."""
    out = server.cli("approvals", "list")
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


async def one_waiting(server):
    async def listed():
        await anyio.sleep(0)
        found = waiting(server)
        return found if len(found) == 1 else None
    return (await eventually(listed, timeout=20, interval=0.2))[0]


@contextlib.asynccontextmanager
async def waiting_on(server, call):
    """Starts `call()`, a tool call that waits for a person; yields the approval it waits
    on and a dict whose "r" holds the call's result once the block has ended."""
    result = {}

    async def run():
        result["r"] = await call()

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        yield await one_waiting(server), result


async def texts_in(agent, chat, limit=20):
    messages = (await agent.call("list_messages", {"chat": chat, "limit": limit}))["messages"]
    return [m.get("text") for m in messages]


def ask(server, *tools):
    out = server.cli("tools", "ask", *tools)
    assert out.returncode == 0, out.stderr


async def test_a_call_waits_for_a_yes_from_the_command_line(server):
    ask(server, "send_message")
    async with streamable(server.url, server.key) as agent:
        progress = []

        async def on_progress(done, total, message):
            progress.append(message)

        def send():
            return agent.session.call_tool("send_message", {"chat": SILENT, "text": "Dinner at 8?\n  — sent by my agent"},
                                           progress_callback=on_progress)

        async with waiting_on(server, send) as (approval, result):
            # Everything the person needs to decide, and nothing sent yet.
            assert approval["tool"] == "send_message" and approval["id"].startswith("apr_")
            assert approval["details"]["text"] == "Dinner at 8?\n  — sent by my agent"
            assert approval["details"]["recipients"][0]["phone"] == SILENT
            assert approval["details"]["key_name"] and "Dinner at 8?" in approval["summary"]
            assert "Dinner at 8?\n  — sent by my agent" not in await texts_in(agent, SILENT)
            assert "r" not in result
            # A client that asked for progress learns why it waits.
            async def reported():
                return progress
            await eventually(reported, timeout=3)
            assert progress[0] == "waiting for a person to approve"

            approved = server.cli("approvals", "approve", approval["id"])
            assert approved.returncode == 0, approved.stderr
        assert result["r"].structured_content["message"]["text"] == "Dinner at 8?\n  — sent by my agent"
        assert "Dinner at 8?\n  — sent by my agent" in await texts_in(agent, SILENT)
        assert waiting(server) == []
        # A second answer finds nothing waiting.
        again = server.cli("approvals", "deny", approval["id"])
        assert again.returncode != 0 and "approval" in again.stderr

        # What agents may read of it: the request and its answer, in order.
        events = (await agent.call("get_events", {"types": ["approval.requested", "approval.resolved"]}))["events"]
        assert [e["type"] for e in events][-2:] == ["approval.requested", "approval.resolved"]
        assert events[-1]["data"]["status"] == "approved" and events[-1]["data"]["channel"] == "cli"


async def test_a_no_or_no_answer_sends_nothing(server):
    ask(server, "send_message", "add_reaction")
    async with streamable(server.url, server.key) as agent:
        send = lambda: agent.error("send_message", {"chat": SILENT, "text": "Not this one"})  # noqa: E731
        async with waiting_on(server, send) as (approval, result):
            denied = server.cli("approvals", "deny", approval["id"], "--reason", "wrong person")
            assert denied.returncode == 0, denied.stderr
        err = result["r"]
        assert (err["code"], err["status"]) == ("approval_denied", 403)
        assert "wrong person" in err["message"]
        assert "Not this one" not in await texts_in(agent, SILENT)

        # Nobody answers: the call ends on its own, and nothing waits any more.
        assert server.cli("settings", "set", "approval_timeout_s", "1").returncode == 0
        with anyio.fail_after(20):
            err = await agent.error("send_message", {"chat": SILENT, "text": "Too late"})
        assert (err["code"], err["status"]) == ("approval_timeout", 408)
        assert "Too late" not in await texts_in(agent, SILENT)
        assert waiting(server) == []
        # Reading never asks.
        assert (await agent.call("list_chats", {"limit": 1}))["chats"]


def answering(decision, seen, reason=None):
    """An elicitation callback: shows nothing, answers `decision` (or declines)."""
    async def callback(context, params: types.ElicitRequestParams):
        seen.append(params.message)
        if decision in ("decline", "cancel"):
            return types.ElicitResult(action=decision)
        content = {"decision": decision} | ({"reason": reason} if reason else {})
        return types.ElicitResult(action="accept", content=content)
    return callback


@pytest.mark.parametrize("transport", ["http", "stdio"])
async def test_the_agents_own_client_can_answer(server, transport):
    """A client that can show a form (MCP elicitation) is asked in place; over stdio
    the bridge relays the question and the answer."""
    ask(server, "send_message")
    seen = []

    def connect(callback):
        if transport == "http":
            return streamable(server.url, server.key, elicitation_callback=callback)
        return stdio(server.bin, server.data_dir, server.key, elicitation_callback=callback)

    async with connect(answering("approve", seen)) as agent:
        with anyio.fail_after(30):
            sent = await agent.call("send_message", {"chat": ECHO, "text": f"yes via {transport}"})
        assert sent["message"]["text"] == f"yes via {transport}"
        assert len(seen) == 1 and f"yes via {transport}" in seen[0] and "apr_" in seen[0]
    async with connect(answering("deny", seen, reason="not today")) as agent:
        err = await agent.error("send_message", {"chat": ECHO, "text": f"no via {transport}"})
        assert (err["code"], "not today" in err["message"]) == ("approval_denied", True)
    async with connect(answering("decline", seen)) as agent:
        err = await agent.error("send_message", {"chat": ECHO, "text": f"declined via {transport}"})
        assert err["code"] == "approval_denied"
        texts = await texts_in(agent, ECHO, limit=50)
        assert f"yes via {transport}" in texts
        assert not {f"no via {transport}", f"declined via {transport}"} & set(texts)
    assert waiting(server) == []


async def test_what_waited_when_the_server_stopped_is_closed_at_the_next_start(start_server):
    server = start_server()
    ask(server, "send_message")

    async def send():
        async with streamable(server.url, server.key) as agent:
            with pytest.raises(Exception):
                await agent.call("send_message", {"chat": SILENT, "text": "Left waiting"})

    async with anyio.create_task_group() as tg:
        tg.start_soon(send)
        await one_waiting(server)
        server.stop()
    # Killed or stopped mid-wait, it sent nothing; the question does not linger.
    again = Server(server.data_dir, server.env, key=server.key)
    try:
        assert waiting(again) == []
        async with streamable(again.url, again.key) as agent:
            assert "Left waiting" not in await texts_in(agent, SILENT)
            resolved = (await agent.call("get_events", {"types": ["approval.resolved"]}))["events"]
            assert [e["data"]["status"] for e in resolved] == ["timed_out"]
    finally:
        again.stop()


@contextlib.asynccontextmanager
async def modern(server, elicitation_callback):
    """A client on protocol 2026-07-28: no session, so it is asked through the call's
    result (input required) and calls again with the answer."""
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {server.key}"}, timeout=httpx2.Timeout(30, read=300))
    async with http, Client(streamable_http_client(server.url, http_client=http), mode="2026-07-28",
                            elicitation_callback=elicitation_callback) as c:
        yield c


def body(result):
    return result.structured_content or json.loads(result.content[0].text)


async def test_a_2026_client_is_asked_through_the_calls_result(server):
    ask(server, "send_message")
    seen = []
    async with modern(server, answering("approve", seen)) as c:
        with anyio.fail_after(30):
            sent = await c.call_tool("send_message", {"chat": ECHO, "text": "yes, on 2026-07-28"})
        assert not sent.is_error, sent
        assert body(sent)["message"]["text"] == "yes, on 2026-07-28"
        assert len(seen) == 1 and "yes, on 2026-07-28" in seen[0]
    async with modern(server, answering("deny", seen, reason="no thanks")) as c:
        denied = await c.call_tool("send_message", {"chat": ECHO, "text": "no, on 2026-07-28"})
        assert denied.is_error and body(denied)["code"] == "approval_denied" and "no thanks" in body(denied)["message"]
    assert waiting(server) == []

    # The form dismissed: the second call waits, and the command line may answer it.
    asked_before = len(seen)
    async with modern(server, answering("cancel", seen)) as c:
        send = lambda: c.call_tool("send_message", {"chat": ECHO, "text": "answered elsewhere"})  # noqa: E731
        async with waiting_on(server, send) as (approval, result):
            assert server.cli("approvals", "approve", approval["id"]).returncode == 0
        assert body(result["r"])["message"]["text"] == "answered elsewhere"
        assert len(seen) == asked_before + 1, "the client was asked, and dismissed it"


async def test_a_2026_client_cannot_borrow_another_calls_approval(server):
    """The approval named on the second call must be this call's: what the person
    approved is what is sent."""
    ask(server, "send_message")
    async with modern(server, answering("approve", [])) as c:
        first = await c.session.call_tool("send_message", {"chat": ECHO, "text": "harmless"}, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult), first
        form = first.input_requests["approval"]
        assert "harmless" in form.params.message
        state = first.request_state
        approve = {"approval": {"action": "accept", "content": {"decision": "approve"}}}
        swapped = await c.session.call_tool("send_message", {"chat": ECHO, "text": "something else"},
                                            input_responses=approve, request_state=state)
        assert swapped.is_error and body(swapped)["code"] == "invalid_request", swapped
        forged = await c.session.call_tool("send_message", {"chat": ECHO, "text": "harmless"},
                                           input_responses=approve, request_state="apr_0000000000000000")
        assert forged.is_error and body(forged)["code"] == "invalid_request"
        # The real answer still goes through, once.
        sent = await c.session.call_tool("send_message", {"chat": ECHO, "text": "harmless"},
                                         input_responses=approve, request_state=state)
        assert body(sent)["message"]["text"] == "harmless"
        texts = [m.get("text") for m in body(await c.call_tool("list_messages", {"chat": ECHO, "limit": 20}))["messages"]]
        assert texts.count("harmless") >= 1 and "something else" not in texts


async def test_a_retry_with_the_same_idempotency_key_joins_the_waiting_approval(server):
    ask(server, "send_message")
    args = {"chat": SILENT, "text": "Only once, please", "idempotency_key": "dinner-1"}
    results = []

    async def send():
        # Each try on its own connection, as a client that reconnected would.
        async with streamable(server.url, server.key) as agent:
            results.append(await agent.call("send_message", args))

    async with anyio.create_task_group() as tg:
        tg.start_soon(send)
        first = await one_waiting(server)
        tg.start_soon(send)
        await anyio.sleep(1)
        assert [a["id"] for a in waiting(server)] == [first["id"]], "the retry asks nothing new"
        assert server.cli("approvals", "approve", first["id"]).returncode == 0
    assert len(results) == 2 and results[0]["message"]["id"] == results[1]["message"]["id"]
    async with streamable(server.url, server.key) as agent:
        assert (await texts_in(agent, SILENT, limit=50)).count("Only once, please") == 1
