"""The 13 chat tools: listing, filters, pagination both ways, state round trips."""
import pytest

from client import streamable
from sandbox import ECHO, SILENT, synced

pytestmark = pytest.mark.anyio


async def test_list_chats_pages_and_filters(server):
    async with streamable(server.url, server.key) as agent:
        everything = await synced(agent)
        seen, cursor = [], None
        while True:
            args = {"limit": 7} | ({"cursor": cursor} if cursor else {})
            page = await agent.call("list_chats", args)
            seen += [c["id"] for c in page["chats"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert seen == [c["id"] for c in everything] and len(set(seen)) == len(seen)
        times = [c.get("last_message_at", "") for c in everything]
        assert times == sorted(times, reverse=True)
        groups = (await agent.call("list_chats", {"kind": "group"}))["chats"]
        assert groups and all(c["kind"] == "group" and c["group_id"].startswith("grp_") for c in groups)
        pinned = (await agent.call("list_chats", {"filter": "pinned"}))["chats"]
        assert [c["name"] for c in pinned] == ["Family 👨‍👩‍👧"]
        assert all(c["archived"] for c in (await agent.call("list_chats", {"filter": "archived"}))["chats"])
        assert all(c.get("unread_count") or c.get("marked_unread") for c in (await agent.call("list_chats", {"filter": "unread"}))["chats"])
        work = (await agent.call("list_chats", {"label": "WORK"}))["chats"]
        assert work and all("work" in c["labels"] for c in work)
        slim = (await agent.call("list_chats", {"limit": 3, "fields": ["name"]}))["chats"]
        assert all(set(c) <= {"id", "name"} for c in slim)
        found = (await agent.call("list_chats", {"query": "Orçamento"}))["chats"]
        assert [c["name"] for c in found] == ["Orçamento Casa 2026"]


async def test_list_messages_walks_back_and_forward(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        chat = (await agent.call("list_chats", {"kind": "group", "query": "Product"}))["chats"][0]
        back, cursor = [], None
        while True:
            page = await agent.call("list_messages", {"chat": chat["id"], "limit": 40} | ({"cursor": cursor} if cursor else {}))
            assert len(page["messages"]) <= 40
            back = page["messages"] + back
            cursor = page.get("next_cursor")
            if not cursor:
                break
        ids = [m["id"] for m in back]
        assert len(ids) > 80 and len(set(ids)) == len(ids)
        stamps = [m["timestamp"] for m in back]
        assert stamps == sorted(stamps)
        forward, after = [], back[0]["id"]
        forward.append(back[0])
        while True:
            page = await agent.call("list_messages", {"chat": chat["id"], "after": after, "limit": 33})
            forward += page["messages"]
            if not page.get("next_cursor"):
                break
            after = page["messages"][-1]["id"]
        assert [m["id"] for m in forward] == ids
        middle = back[len(back) // 2]
        before = (await agent.call("list_messages", {"chat": chat["id"], "before": middle["id"], "limit": 5}))["messages"]
        assert [m["id"] for m in before] == ids[len(back) // 2 - 5:len(back) // 2]
        by_time = (await agent.call("list_messages", {"chat": chat["id"], "before": middle["timestamp"], "limit": 200}))["messages"]
        assert all(m["timestamp"] < middle["timestamp"] for m in by_time)
        slim = (await agent.call("list_messages", {"chat": chat["id"], "limit": 5, "fields": ["text", "sender.name"]}))["messages"]
        assert all(set(m) <= {"id", "text", "sender"} for m in slim)
        assert all(set(m.get("sender", {})) <= {"name"} for m in slim)
        wrong = await agent.error("list_messages", {"chat": ECHO, "before": middle["id"]})
        assert wrong["code"] in ("invalid_request", "not_found")


async def test_chat_state_round_trips(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        chat = (await agent.call("open_chat", {"chat": SILENT}))["chat"]
        cid = chat["id"]
        async def state():
            return (await agent.call("get_chat", {"chat": cid}))["chat"]
        assert (await agent.call("archive_chat", {"chat": cid}))["chat"]["archived"]
        assert "archived" not in (await agent.call("unarchive_chat", {"chat": SILENT}))["chat"]
        muted = (await agent.call("mute_chat", {"chat": cid, "until": "2099-01-01T00:00:00Z"}))["chat"]
        assert muted["muted"] and muted["muted_until"] == "2099-01-01T00:00:00.000Z"
        forever = (await agent.call("mute_chat", {"chat": cid}))["chat"]
        assert forever["muted"] and "muted_until" not in forever
        assert "muted" not in (await agent.call("unmute_chat", {"chat": cid}))["chat"]
        past = await agent.error("mute_chat", {"chat": cid, "until": "2001-01-01T00:00:00Z"})
        assert past["fields"].keys() == {"until"}
        assert (await agent.call("mark_chat_unread", {"chat": cid}))["chat"]["marked_unread"]
        read = await agent.call("mark_chat_read", {"chat": cid})
        assert "marked_unread" not in read["chat"] and "unread_count" not in read["chat"]
        # Pinning: the Family group is pinned; WhatsApp allows 3.
        assert (await agent.call("pin_chat", {"chat": cid}))["chat"]["pinned"]
        others = [c["id"] for c in (await agent.call("list_chats", {"kind": "direct", "limit": 5}))["chats"] if c["id"] != cid]
        await agent.call("pin_chat", {"chat": others[0]})
        full = await agent.error("pin_chat", {"chat": others[1]})
        assert full["code"] == "invalid_request" and "3" in full["message"]
        assert "pinned" not in (await agent.call("unpin_chat", {"chat": others[0]}))["chat"]
        assert (await state())["pinned"]
        # Archiving unpins, as on the phone.
        assert "pinned" not in (await agent.call("archive_chat", {"chat": cid}))["chat"]


async def test_mark_read_clears_unread(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        unread = (await agent.call("list_chats", {"filter": "unread"}))["chats"]
        assert unread
        r = await agent.call("mark_chat_read", {"chat": unread[0]["id"]})
        assert r["receipts_sent"] >= 1 and "unread_count" not in r["chat"]
        assert unread[0]["id"] not in [c["id"] for c in (await agent.call("list_chats", {"filter": "unread"}))["chats"]]


async def test_open_and_delete_chat(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        opened = await agent.call("open_chat", {"chat": "+14155550188", "limit": 5})
        assert opened["created"] and opened["messages"] == []
        again = await agent.call("open_chat", {"chat": opened["chat"]["id"]})
        assert not again["created"]
        echo = await agent.call("open_chat", {"chat": ECHO, "limit": 3})
        assert len(echo["messages"]) <= 3
        held = await _all_messages(agent, echo["chat"]["id"])
        before = await _message_count(agent)
        gone = await agent.call("delete_chat", {"chat": echo["chat"]["id"]})
        assert gone["deleted"] == echo["chat"]["id"]
        # The account's message count (kept with the writes) lost exactly that chat's.
        assert await _message_count(agent) == before - len(held) and held
        assert (await agent.error("get_chat", {"chat": echo["chat"]["id"]}))["code"] == "not_found"
        for m in echo["messages"]:
            assert (await agent.error("get_message", {"message_id": m["id"]}))["code"] == "not_found"


async def _message_count(agent):
    return (await agent.call("get_account", {}))["account"]["stats"]["messages"]



async def _all_messages(agent, chat_id):
    page = (await agent.call("list_messages", {"chat": chat_id, "limit": 200}))["messages"]
    assert len(page) < 200, "the whole chat fits one page"
    return page
