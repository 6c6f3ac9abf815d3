import pytest

from client import eventually, streamable

pytestmark = pytest.mark.anyio


async def test_lists_tools_and_reads_the_sandbox(server):
    async with streamable(server.url, server.key) as agent:
        names = await agent.tool_names()
        assert {"pair_account", "send_message", "list_chats"} <= names
        accounts = (await agent.call("list_accounts"))["accounts"]
        assert len(accounts) == 1
        async def synced():
            chats = (await agent.call("list_chats", {"limit": 5}))["chats"]
            return chats if len(chats) == 5 else None
        chats = await eventually(synced)
        assert all(c["id"].startswith("chat_") for c in chats)
