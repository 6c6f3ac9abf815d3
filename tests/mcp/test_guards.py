"""Permissions (per tool, per key, presets, pause), idempotency, rate limits, chat
allowlists and the audit log: the pipeline every tool call goes through."""
import json

import anyio
import pytest

from client import eventually, streamable
from events import Inbox
from sandbox import ECHO, SILENT, synced

pytestmark = pytest.mark.anyio

SPEC_TOOLS = {
    # accounts
    "pair_account", "list_accounts", "get_account", "get_account_status", "reconnect_account", "logout_account",
    "delete_account",
    # messages
    "send_message", "get_message", "edit_message", "delete_message", "add_reaction", "remove_reaction",
    "star_message", "unstar_message", "forward_message",
    # chats
    "list_chats", "get_chat", "list_messages", "open_chat", "mark_chat_read", "mark_chat_unread", "archive_chat",
    "unarchive_chat", "mute_chat", "unmute_chat", "pin_chat", "unpin_chat", "delete_chat",
    # groups
    "create_group", "get_group", "update_group", "list_group_participants", "add_group_participants",
    "remove_group_participant", "promote_group_participant", "demote_group_participant", "group_invite_link",
    "leave_group",
    # contacts
    "list_contacts", "get_contact", "check_whatsapp", "get_contact_picture", "get_contact_status",
    # media
    "upload_media", "download_media", "get_media_metadata",
    # presence
    "set_presence", "get_contact_presence",
    # profile
    "get_profile", "update_profile", "set_profile_picture",
}
OURS = {"search_messages", "subscribe_events", "unsubscribe_events", "list_subscriptions", "get_events",
        # SPEC Additions
        "fetch_older_messages"}


async def test_tool_list_presets_and_switches(server):
    assert len(SPEC_TOOLS) == 52
    inbox = Inbox()
    async with streamable(server.url, server.key, message_handler=inbox.on_message) as agent:
        assert await agent.tool_names() == SPEC_TOOLS | OURS
        assert server.cli("tools", "preset", "read_only").returncode == 0
        names = await agent.tool_names()
        assert "send_message" not in names and "list_chats" in names and "search_messages" in names
        # The open session is told the list changed.
        await inbox.wait_for(lambda i: [m for m in i.other if "ToolListChanged" in type(m).__name__ or getattr(m, "method", "") == "notifications/tools/list_changed"])
        err = await agent.error("send_message", {"chat": ECHO, "text": "hi"})
        assert err["code"] == "forbidden" and err["status"] == 403
        server.cli("tools", "preset", "core")
        core = await agent.tool_names()
        assert 18 <= len(core) <= 24 and {"send_message", "list_chats", "get_events"} <= core
        server.cli("tools", "preset", "no_send")
        no_send = await agent.tool_names()
        assert not {"send_message", "forward_message", "add_reaction", "create_group", "update_profile"} & no_send
        assert {"list_chats", "mark_chat_read", "archive_chat", "search_messages"} <= no_send
        server.cli("tools", "preset", "all")
        server.cli("tools", "disable", "delete_chat")
        assert "delete_chat" not in await agent.tool_names()
        assert (await agent.error("delete_chat", {"chat": ECHO}))["code"] == "forbidden"
        # Per key: this key gets it back, another key does not.
        key_id = next(l.split()[0] for l in server.cli("keys", "list").stdout.splitlines() if "Sandbox test key" in l)
        server.cli("tools", "enable", "delete_chat", "--key", key_id)
        assert "delete_chat" in await agent.tool_names()
        other = server.cli("keys", "create", "--test").stdout.strip()
        async with streamable(server.url, other) as stranger:
            assert "delete_chat" not in await stranger.tool_names()
        # The kill switch.
        server.cli("tools", "pause")
        assert await agent.tool_names() == set()
        paused = await agent.error("list_accounts")
        assert paused["code"] == "forbidden" and "paused" in paused["message"]
        server.cli("tools", "resume")
        assert (await agent.call("list_accounts"))["accounts"]


async def count_messages(agent, chat):
    return len((await agent.call("list_messages", {"chat": chat, "limit": 200}))["messages"])


async def test_idempotency_sequential_concurrent_and_mismatch(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        chat = (await agent.call("open_chat", {"chat": SILENT, "limit": 0}))["chat"]["id"]
        before = await count_messages(agent, chat)
        args = {"chat": SILENT, "text": "exactly once", "idempotency_key": "order-42"}
        first = (await agent.call("send_message", args))["message"]
        again = (await agent.call("send_message", args))["message"]
        assert again == first
        assert await count_messages(agent, chat) == before + 1
        other = await agent.error("send_message", args | {"text": "something else"})
        assert other["code"] == "invalid_request" and "idempotency_key" in other["fields"]

        # Twenty at once with one key: one send.
        burst = {"chat": SILENT, "text": "burst", "idempotency_key": "burst-1"}
        results = []
        async def one():
            results.append((await agent.call("send_message", burst))["message"]["id"])
        async with anyio.create_task_group() as tg:
            for _ in range(20):
                tg.start_soon(one)
        assert len(results) == 20 and len(set(results)) == 1
        assert await count_messages(agent, chat) == before + 2
        # A failed call does not burn its key.
        bad = await agent.error("edit_message", {"message_id": "msg_0000000000000000", "text": "x", "idempotency_key": "k9"})
        assert bad["code"] == "not_found"
        mine = (await agent.call("send_message", {"chat": SILENT, "text": "typo"}))["message"]
        ok = await agent.call("edit_message", {"message_id": mine["id"], "text": "fixed", "idempotency_key": "k9-ok"})
        assert ok["message"]["text"] == "fixed"
    # Another key's idempotency keys are its own.
    other_key = server.cli("keys", "create", "--test").stdout.strip()
    async with streamable(server.url, other_key) as agent2:
        r = (await agent2.call("send_message", {"chat": SILENT, "text": "exactly once", "idempotency_key": "order-42"}))["message"]
        assert r["id"] != first["id"]


async def test_rate_limits(server):
    assert server.cli("settings", "set", "rate_limit_per_minute", "6").returncode == 0
    async with streamable(server.url, server.key) as agent:
        codes = []
        for _ in range(12):
            r = await agent.call_raw("list_accounts")
            codes.append(r.structured_content.get("code") if r.is_error else "ok")
            if r.is_error:
                limited = r.structured_content
        assert "ok" in codes and "rate_limited" in codes
        assert limited["status"] == 429 and 0 < limited["retry_after_ms"] <= 10_000
    server.cli("settings", "set", "rate_limit_per_minute", "0")
    server.cli("settings", "set", "new_chat_sends_per_minute", "2")
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        outcomes = []
        for n in range(160, 164):
            r = await agent.call_raw("send_message", {"chat": f"+1415555{n:04d}", "text": "hello stranger"})
            outcomes.append(r.structured_content.get("code") if r.is_error else "sent")
        assert outcomes[:2] == ["sent", "sent"] and "rate_limited" in outcomes[2:]
        # Chats with history are not limited.
        assert (await agent.call("send_message", {"chat": ECHO, "text": "old friend"}))["message"]


async def test_chat_allowlist_hides_everything_else(server):
    async with streamable(server.url, server.key) as owner:
        await synced(owner)
        echo = (await owner.call("open_chat", {"chat": ECHO, "limit": 0}))["chat"]["id"]
        secret_chat = (await owner.call("list_chats", {"query": "Orçamento"}))["chats"][0]
        secret_msg = (await owner.call("list_messages", {"chat": secret_chat["id"], "limit": 1}))["messages"][0]
    key = server.cli("keys", "create", "--test", "--name", "narrow").stdout.strip()
    key_id = next(l.split()[0] for l in server.cli("keys", "list").stdout.splitlines() if "narrow" in l)
    assert server.cli("keys", "restrict", key_id, echo).returncode == 0
    async with streamable(server.url, key) as narrow:
        chats = (await narrow.call("list_chats"))["chats"]
        assert [c["id"] for c in chats] == [echo]
        assert (await narrow.error("get_chat", {"chat": secret_chat["id"]}))["code"] == "not_found"
        assert (await narrow.error("get_message", {"message_id": secret_msg["id"]}))["code"] == "not_found"
        assert (await narrow.error("list_messages", {"chat": secret_chat["id"]}))["code"] == "not_found"
        assert (await narrow.call("search_messages", {"query": "orcamento"}))["results"] == []
        sent = (await narrow.call("send_message", {"chat": ECHO, "text": "allowed here"}))["message"]
        assert (await narrow.error("send_message", {"chat": "+14155550123", "text": "not here"}))["code"] in ("forbidden", "not_found")
        events = (await narrow.call("get_events", {"limit": 500}))["events"]
        assert events and all(e.get("chat_id") in (echo, None) for e in events)
        assert all(e.get("chat_id") == echo for e in events if e["type"].startswith("message."))
        contacts = (await narrow.call("list_contacts"))["contacts"]
        assert [c["phone"] for c in contacts] == [ECHO]
        assert (await narrow.error("get_contact", {"contact": "+14155550110"}))["code"] == "not_found"
        assert sent["chat_id"] == echo
        listed = [str(r.uri) for r in (await narrow.session.list_resources()).resources]
        assert f"whatsapp://chats/{echo}" in listed and f"whatsapp://chats/{secret_chat['id']}" not in listed
    server.cli("keys", "restrict", key_id)
    async with streamable(server.url, key) as wide:
        # Key changes made by another process reach the server within seconds.
        async def widened():
            return len((await wide.call("list_chats"))["chats"]) > 1
        await eventually(widened, timeout=10)


async def test_every_call_is_audited_without_bodies(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        await agent.call("send_message", {"chat": ECHO, "text": "the audit must not keep this"})
        await agent.error("get_message", {"message_id": "msg_0000000000000000"})
    await anyio.sleep(0.3)  # the audit log is written in batches
    lines = [json.loads(l) for l in server.cli("activity", "--limit", "200").stdout.splitlines()]
    sends = [e for e in lines if e["tool"] == "send_message"]
    assert sends and sends[-1]["outcome"] == "ok" and sends[-1]["key_name"] == "Sandbox test key"
    assert sends[-1]["args"]["chat"] == ECHO and sends[-1]["args"]["text"] == "[redacted: 28 characters]"
    assert sends[-1]["duration_ms"] >= 0 and sends[-1]["at"].endswith("Z")
    assert any(e["tool"] == "get_message" and e["outcome"] == "not_found" for e in lines)
    assert "must not keep this" not in server.cli("activity", "--limit", "500").stdout
