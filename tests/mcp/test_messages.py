"""The 9 message tools against the sandbox: what the store says afterwards."""
import pytest

from client import eventually, streamable
from sandbox import ECHO, SILENT, synced

pytestmark = pytest.mark.anyio


async def newer(agent, chat_id, after_id):
    return (await agent.call("list_messages", {"chat": chat_id, "after": after_id}))["messages"]


async def test_send_text_gets_delivered_read_and_answered(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        sent = (await agent.call("send_message", {"chat": ECHO, "text": "hello, echo"}))["message"]
        assert sent["id"].startswith("msg_") and sent["from_me"] and sent["type"] == "text"
        assert sent["text"] == "hello, echo" and sent["status"] == "sent"
        reply = await eventually(lambda: newer(agent, sent["chat_id"], sent["id"]))
        assert reply[0]["text"] == "hello, echo" and "from_me" not in reply[0]
        assert reply[0]["sender"]["phone"] == ECHO and reply[0]["sender"]["name"] == "Echo Bot"
        async def read():
            m = (await agent.call("get_message", {"message_id": sent["id"]}))["message"]
            return m["status"] == "read"
        await eventually(read)
        # The chat moved to the top of the list with this conversation.
        top = (await agent.call("list_chats", {"limit": 1}))["chats"][0]
        assert top["id"] == sent["chat_id"]


async def test_send_to_a_new_number_opens_a_chat(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        sent = (await agent.call("send_message", {"chat": "+14155550177", "text": "first contact"}))["message"]
        chat = (await agent.call("get_chat", {"chat": "+14155550177"}))["chat"]
        assert chat["id"] == sent["chat_id"] and chat["kind"] == "direct" and chat["phone"] == "+14155550177"
        # A number that is not on WhatsApp: not_found, and nothing is stored.
        for n in range(1000, 1100):
            phone = f"+4420791{n:05d}"
            r = await agent.call_raw("send_message", {"chat": phone, "text": "x", "dry_run": True})
            if r.is_error and r.structured_content["code"] == "not_found":
                break
        else:
            pytest.fail("the sandbox should have unregistered numbers")
        assert (await agent.error("get_chat", {"chat": phone}))["code"] == "not_found"


async def test_dry_run_sends_nothing(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        before = (await agent.call("open_chat", {"chat": SILENT, "limit": 200}))
        r = await agent.call("send_message", {"chat": SILENT, "text": "would I?", "dry_run": True})
        assert r["dry_run"] and r["would_send"]["type"] == "text"
        assert r["would_send"]["chat"]["id"] == before["chat"]["id"]
        after = (await agent.call("open_chat", {"chat": SILENT, "limit": 200}))
        assert [m["id"] for m in after["messages"]] == [m["id"] for m in before["messages"]]


async def test_location_contact_and_reply(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        loc = (await agent.call("send_message", {"chat": SILENT, "location": {"latitude": 38.72, "longitude": -9.14, "name": "Lisbon"}}))["message"]
        assert loc["type"] == "location" and loc["location"]["name"] == "Lisbon"
        card = (await agent.call("send_message", {"chat": SILENT, "contact": {"name": "Plumber Joe", "phone": "+14155550123"}}))["message"]
        assert card["type"] == "contact" and card["contact"]["display_name"] == "Plumber Joe"
        assert "BEGIN:VCARD" in card["contact"]["vcard"]
        reply = (await agent.call("send_message", {"chat": SILENT, "text": "see above", "reply_to": loc["id"]}))["message"]
        assert reply["reply_to"] == loc["id"]
        other_chat = (await agent.call("open_chat", {"chat": ECHO}))["chat"]["id"]
        err = await agent.error("send_message", {"chat": other_chat, "text": "x", "reply_to": loc["id"]})
        assert err["code"] == "invalid_request" and "reply_to" in err["fields"]


async def test_edit_inside_and_outside_the_window(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        sent = (await agent.call("send_message", {"chat": SILENT, "text": "typo hre"}))["message"]
        edited = (await agent.call("edit_message", {"message_id": sent["id"], "text": "typo here"}))["message"]
        assert edited["text"] == "typo here" and edited["edited_at"]
        stored = (await agent.call("get_message", {"message_id": sent["id"]}))["message"]
        assert stored["text"] == "typo here"
        # An own text message from history, hours or days old.
        old = None
        for chat in (await agent.call("list_chats", {"kind": "direct", "limit": 50}))["chats"]:
            msgs = (await agent.call("list_messages", {"chat": chat["id"], "limit": 50}))["messages"]
            old = next((m for m in msgs if m.get("from_me") and m["type"] == "text" and m["id"] != sent["id"]), None)
            if old:
                break
        assert old, "history has own messages"
        err = await agent.error("edit_message", {"message_id": old["id"], "text": "too late"})
        assert err["code"] == "edit_window_expired" and err["status"] == 409
        assert (await agent.call("get_message", {"message_id": old["id"]}))["message"]["text"] == old["text"]
        # Someone else's message cannot be edited.
        theirs = next((m for m in msgs if not m.get("from_me")), None)
        if theirs:
            assert (await agent.error("edit_message", {"message_id": theirs["id"], "text": "x"}))["code"] == "forbidden"


async def test_delete_for_me_and_for_everyone(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        a = (await agent.call("send_message", {"chat": SILENT, "text": "delete me for everyone"}))["message"]
        b = (await agent.call("send_message", {"chat": SILENT, "text": "delete me for me"}))["message"]
        r = await agent.call("delete_message", {"message_id": a["id"], "scope": "everyone"})
        assert r == {"deleted": a["id"], "scope": "everyone"}
        gone = (await agent.call("get_message", {"message_id": a["id"]}))["message"]
        assert gone["type"] == "revoked" and "text" not in gone and gone["revoked_at"]
        await agent.call("delete_message", {"message_id": b["id"]})
        assert (await agent.error("get_message", {"message_id": b["id"]}))["code"] == "not_found"
        listed = (await agent.call("list_messages", {"chat": a["chat_id"], "limit": 20}))["messages"]
        assert b["id"] not in [m["id"] for m in listed] and a["id"] in [m["id"] for m in listed]


async def test_reactions_and_stars(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        m = (await agent.call("send_message", {"chat": SILENT, "text": "react to me"}))["message"]
        r = (await agent.call("add_reaction", {"message_id": m["id"], "emoji": "🎉"}))["message"]
        assert r["reactions"] == [{"emoji": "🎉", "from_me": True, "timestamp": r["reactions"][0]["timestamp"]}]
        r = (await agent.call("add_reaction", {"message_id": m["id"], "emoji": "👍"}))["message"]
        assert [x["emoji"] for x in r["reactions"]] == ["👍"], "one reaction per person, replaced"
        r = (await agent.call("remove_reaction", {"message_id": m["id"]}))["message"]
        assert "reactions" not in r
        bad = await agent.error("add_reaction", {"message_id": m["id"], "emoji": "hello"})
        assert bad["fields"].keys() == {"emoji"}
        await agent.call("star_message", {"message_id": m["id"]})
        assert (await agent.call("get_message", {"message_id": m["id"]}))["message"]["starred"]
        await agent.call("unstar_message", {"message_id": m["id"]})
        assert "starred" not in (await agent.call("get_message", {"message_id": m["id"]}))["message"]


async def test_forward_checks_every_target_first(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        m = (await agent.call("send_message", {"chat": SILENT, "text": "pass it on"}))["message"]
        targets = [c["id"] for c in (await agent.call("list_chats", {"kind": "group", "limit": 2}))["chats"]]
        out = (await agent.call("forward_message", {"message_id": m["id"], "to": targets}))["messages"]
        assert [x["chat_id"] for x in out] == targets
        assert all(x["forwarded"] and x["text"] == "pass it on" for x in out)
        # A bad target anywhere: nothing is sent anywhere.
        before = (await agent.call("list_messages", {"chat": targets[0], "limit": 5}))["messages"]
        err = await agent.error("forward_message", {"message_id": m["id"], "to": [targets[0], "chat_0000000000000000"]})
        assert err["code"] == "not_found"
        after = (await agent.call("list_messages", {"chat": targets[0], "limit": 5}))["messages"]
        assert [x["id"] for x in after] == [x["id"] for x in before]
        too_many = await agent.error("forward_message", {"message_id": m["id"], "to": targets * 3})
        assert "to" in too_many["fields"]
