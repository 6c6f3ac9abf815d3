"""The 10 group tools on the sandbox, checked against the store and the event stream."""
import pytest

from client import streamable
from events import Inbox
from sandbox import synced

pytestmark = pytest.mark.anyio

PEOPLE = ["+14155550110", "+14155550111", "+14155550112"]


async def group_named(agent, name):
    return (await agent.call("list_chats", {"kind": "group", "query": name}))["chats"][0]


async def test_create_update_participants_invite_leave(server):
    inbox = Inbox()
    async with streamable(server.url, server.key, bindings=inbox.bindings()) as agent:
        await synced(agent)
        await agent.call("subscribe_events", {"types": ["group.created", "group.updated", "group.participant_added", "group.participant_removed"]})
        created = await agent.call("create_group", {"subject": "Trip planning 🏔️", "participants": PEOPLE[:2]})
        g = created["group"]
        assert g["id"].startswith("grp_") and g["subject"] == "Trip planning 🏔️" and g["is_admin"]
        assert g["participant_count"] == 3
        roles = {p.get("phone"): p["role"] for p in created["participants"]}
        assert roles[PEOPLE[0]] == "member" and any(p.get("is_me") and p["role"] == "superadmin" for p in created["participants"])
        ev = await inbox.wait_for(lambda i: i.of_type("group.created"))
        assert ev[0]["data"]["group"]["id"] == g["id"] and ev[0]["chat_id"] == g["chat_id"]
        # The group is a chat: it lists and takes messages by group ID.
        chat = (await agent.call("get_chat", {"chat": g["id"]}))["chat"]
        assert chat["kind"] == "group" and chat["group"]["subject"] == "Trip planning 🏔️"
        sent = (await agent.call("send_message", {"chat": g["id"], "text": "Welcome!"}))["message"]
        assert sent["chat_id"] == g["chat_id"]

        upd = (await agent.call("update_group", {"group": g["id"], "subject": "Trip 2027", "description": "Alps, July"}))["group"]
        assert upd["subject"] == "Trip 2027" and upd["description"] == "Alps, July"
        await inbox.wait_for(lambda i: len(i.of_type("group.updated")) >= 2)
        changes = inbox.of_type("group.updated")
        assert {"subject", "description"} <= {k for e in changes for k in e["data"]["change"]}
        assert (await agent.call("get_group", {"group": g["chat_id"]}))["group"]["subject"] == "Trip 2027"

        added = (await agent.call("add_group_participants", {"group": g["id"], "participants": [PEOPLE[2], PEOPLE[0]]}))["results"]
        by_phone = {r["participant"]["phone"]: r for r in added}
        assert by_phone[PEOPLE[2]]["ok"] and not by_phone[PEOPLE[0]]["ok"] and "already" in by_phone[PEOPLE[0]]["error"]
        await inbox.wait_for(lambda i: i.of_type("group.participant_added"))
        listed = (await agent.call("list_group_participants", {"group": g["id"]}))["participants"]
        assert len(listed) == 4
        slim = (await agent.call("list_group_participants", {"group": g["id"], "fields": ["role"]}))["participants"]
        assert all(set(p) <= {"role", "id"} for p in slim)

        assert (await agent.call("promote_group_participant", {"group": g["id"], "participant": PEOPLE[2]}))["ok"]
        roles = {p.get("phone"): p["role"] for p in (await agent.call("list_group_participants", {"group": g["id"]}))["participants"]}
        assert roles[PEOPLE[2]] == "admin"
        await agent.call("demote_group_participant", {"group": g["id"], "participant": PEOPLE[2]})
        await agent.call("remove_group_participant", {"group": g["id"], "participant": PEOPLE[2]})
        await inbox.wait_for(lambda i: i.of_type("group.participant_removed"))
        assert len((await agent.call("list_group_participants", {"group": g["id"]}))["participants"]) == 3
        gone = await agent.error("remove_group_participant", {"group": g["id"], "participant": PEOPLE[2]})
        assert gone["code"] == "invalid_request" and "participant" in gone["fields"]

        link = await agent.call("group_invite_link", {"group": g["id"]})
        assert link["link"].startswith("https://chat.whatsapp.com/")
        again = await agent.call("group_invite_link", {"group": g["id"]})
        assert again["link"] == link["link"]
        reset = await agent.call("group_invite_link", {"group": g["id"], "reset": True})
        assert reset["link"] != link["link"]

        left = await agent.call("leave_group", {"group": g["id"]})
        assert left["left"] == g["id"]
        after = (await agent.call("get_group", {"group": g["id"]}))["group"]
        assert after["left"] and not after["is_admin"]
        err = await agent.error("send_message", {"chat": g["id"], "text": "still here?"})
        assert err["code"] == "forbidden"
        # History stays.
        assert (await agent.call("get_message", {"message_id": sent["id"]}))["message"]["text"] == "Welcome!"


async def test_admin_rules_and_bad_input(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        family = await group_named(agent, "Family")
        g = (await agent.call("get_group", {"group": family["group_id"]}))["group"]
        assert not g["is_admin"]
        err = await agent.error("add_group_participants", {"group": family["group_id"], "participants": ["+14155550140"]})
        assert err["code"] == "forbidden" and "admin" in err["message"]
        err = await agent.error("group_invite_link", {"group": family["group_id"]})
        assert err["code"] == "forbidden"
        team = await group_named(agent, "Product Team")
        assert (await agent.call("get_group", {"group": team["group_id"]}))["group"]["is_admin"]
        direct = (await agent.call("open_chat", {"chat": "+14155550199", "limit": 0}))["chat"]
        assert "group" in (await agent.error("get_group", {"group": direct["id"]}))["fields"]
        bad = await agent.error("create_group", {"subject": "", "participants": []})
        assert {"subject", "participants"} <= set(bad["fields"])
        assert "subject" in (await agent.error("update_group", {"group": team["group_id"]}))["fields"]
        assert "subject" in (await agent.error("update_group", {"group": team["group_id"], "subject": "x" * 101}))["fields"]
