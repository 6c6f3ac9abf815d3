"""What the sandbox network holds (see the engine's `wa::sandbox`)."""
from client import eventually

ECHO = "+14155550199"      # repeats every message back at once
SILENT = "+14155550197"    # reads, never answers
BUSINESS = "+14155550190"  # answers with a canned message
FIRST_ACCOUNT_PHONE = "+14155550100"


async def synced(agent, account_id=None):
    """Waits until the phone's history push is complete; returns the chats."""
    async def done():
        args = {"account_id": account_id} if account_id else {}
        account = (await agent.call("get_account", args))["account"]
        return account.get("sync", {}).get("history", {}).get("done")
    await eventually(done, timeout=30)
    return (await agent.call("list_chats", {"limit": 200} | ({"account_id": account_id} if account_id else {})))["chats"]


async def connected(agent):
    """Waits until the (first) account is connected again, e.g. after a restart."""
    async def done():
        return (await agent.call("list_accounts"))["accounts"][0]["status"] == "connected"
    await eventually(done, timeout=30, interval=0.2)
