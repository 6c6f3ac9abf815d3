"""The 7 account tools, on the sandbox: pairing by QR and by phone code, status,
reconnect, logout, pairing again, delete."""
import base64

import pytest

from client import eventually, streamable

pytestmark = pytest.mark.anyio


async def status_of(agent, account_id):
    return (await agent.call("get_account_status", {"account_id": account_id}))["status"]


async def test_pair_by_qr_then_connected(server):
    async with streamable(server.url, server.key) as agent:
        raw = await agent.call_raw("pair_account", {"label": "Second"})
        assert not raw.is_error
        result = raw.structured_content
        account = result["account"]
        assert account["status"] == "pairing" and account["label"] == "Second"
        assert account["pairing"]["qr"].startswith("2@")
        images = [c for c in raw.content if c.type == "image"]
        assert images and images[0].mime_type == "image/png"
        assert base64.b64decode(images[0].data)[:8] == b"\x89PNG\r\n\x1a\n"
        # The sandbox phone scans after a (scaled) moment.
        await eventually(lambda: _connected(agent, account["id"]))
        got = (await agent.call("get_account", {"account_id": account["id"]}))["account"]
        assert got["phone"] == "+14155550101"
        assert got["paired_at"] and got["connected_at"]
        # Now the key reaches two accounts: unnamed-account calls must say which.
        err = await agent.error("get_account", {})
        assert err["code"] == "invalid_request" and "account_id" in err["fields"]


async def _connected(agent, account_id):
    return await status_of(agent, account_id) == "connected"


async def test_pair_by_phone_code_and_wait(server):
    async with streamable(server.url, server.key) as agent:
        r = await agent.call("pair_account", {"method": "phone_code", "phone": "+14155550105", "wait_seconds": 20})
        assert r["account"]["status"] == "connected"
        assert r["account"]["phone"] == "+14155550105"
        bad = await agent.error("pair_account", {"method": "phone_code"})
        assert bad["code"] == "invalid_request" and "phone" in bad["fields"]
        taken = await agent.error("pair_account", {"method": "phone_code", "phone": "+14155550105"})
        assert taken["code"] == "invalid_request"


async def test_expired_when_nobody_scans(start_server):
    server = start_server(WUSE_SANDBOX_AUTO_SCAN="0", WUSE_SANDBOX_TIME_SCALE="0.002")
    async with streamable(server.url, server.key) as agent:
        # The first-run account could not pair either: it expired.
        first = (await agent.call("list_accounts"))["accounts"][0]
        await eventually(lambda: _has_status(agent, first["id"], "expired"))
        send = await agent.error("send_message", {"chat": "+14155550199", "text": "hi"})
        assert send["code"] == "account_not_paired" and send["status"] == 409
        assert "expired" in send["message"]


async def _has_status(agent, account_id, status):
    return await status_of(agent, account_id) == status


async def test_reconnect_logout_pair_again_delete(server):
    async with streamable(server.url, server.key) as agent:
        account = (await agent.call("list_accounts"))["accounts"][0]
        aid = account["id"]
        r = await agent.call("reconnect_account", {})
        assert r["status"] == "connected"
        out = await agent.call("logout_account", {})
        assert out["status"] == "logged_out" and out["history_kept"]
        assert await status_of(agent, aid) == "logged_out"
        err = await agent.error("send_message", {"chat": "+14155550199", "text": "hello"})
        assert err["code"] == "account_not_paired" and err["status"] == 409
        # History stays readable while logged out.
        assert (await agent.call("list_chats", {"limit": 1}))["chats"]
        # Pair the same account again.
        again = await agent.call("pair_account", {"account_id": aid, "wait_seconds": 20})
        assert again["account"]["id"] == aid and again["account"]["status"] == "connected"
        chat_id = (await agent.call("list_chats", {"limit": 1}))["chats"][0]["id"]
        # Delete purges it all.
        gone = await agent.call("delete_account", {"account_id": aid})
        assert gone["deleted"] == aid
        assert (await agent.call("list_accounts"))["accounts"] == []
        assert (await agent.error("get_chat", {"chat": chat_id}))["code"] == "not_found"
        assert (await agent.error("get_account", {"account_id": aid}))["code"] == "not_found"
        # Delete needs an explicit account.
        assert (await agent.error("delete_account", {}))["fields"].keys() == {"account_id"}


async def test_test_keys_see_no_live_accounts(server):
    live = server.cli("keys", "create", "--live", "--name", "live one").stdout.strip()
    assert live.startswith("wuse_live_")
    async with streamable(server.url, live) as agent:
        assert (await agent.call("list_accounts"))["accounts"] == []
        test_account = None
        async with streamable(server.url, server.key) as tester:
            test_account = (await tester.call("list_accounts"))["accounts"][0]["id"]
        err = await agent.error("get_account", {"account_id": test_account})
        assert err["code"] == "forbidden" and err["status"] == 403
        # A live key pairs live accounts for real. Without internet (as in CI) the
        # answer says WhatsApp cannot be reached yet; with it, a QR code comes back.
        account = (await agent.call("pair_account", {"label": "phone"}))["account"]
        assert account["kind"] == "live" and account["status"] == "pairing"
        assert account.get("pairing", {}).get("qr") or account["status_detail"].startswith(
            "cannot reach WhatsApp"
        ), account
        async with streamable(server.url, server.key) as tester:
            err = await tester.error("get_account", {"account_id": account["id"]})
            assert err["code"] == "forbidden"
        await agent.call("delete_account", {"account_id": account["id"]})
        assert (await agent.call("list_accounts"))["accounts"] == []
