"""search_messages: accent- and case-insensitive full-text search with filters,
ranking, snippets and pages; any query string is safe."""
import pytest

from client import streamable
from sandbox import ECHO, synced

pytestmark = pytest.mark.anyio


async def test_accents_case_phrases_filters_pages(server):
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        hits = (await agent.call("search_messages", {"query": "orcamento", "limit": 200}))["results"]
        assert hits, "orcamento finds orçamento"
        assert all("orçamento" in h["message"]["text"].lower() for h in hits)
        assert all("«" in h["snippet"] and "»" in h["snippet"] for h in hits)
        scores = [h["score"] for h in hits]
        assert scores == sorted(scores, reverse=True)
        upper = (await agent.call("search_messages", {"query": "ORÇAMENTO", "limit": 200}))["results"]
        assert [h["message"]["id"] for h in upper] == [h["message"]["id"] for h in hits]
        phrase = (await agent.call("search_messages", {"query": "\"running a bit late\""}))["results"]
        assert phrase and all("running a bit late" in h["message"]["text"] for h in phrase)
        prefix = (await agent.call("search_messages", {"query": "orçam*", "limit": 200}))["results"]
        assert len(prefix) >= len(hits)

        # Filters.
        chat = hits[0]["message"]["chat_id"]
        in_chat = (await agent.call("search_messages", {"query": "orcamento", "chats": [chat], "limit": 200}))["results"]
        assert in_chat and all(h["message"]["chat_id"] == chat for h in in_chat)
        mine = (await agent.call("search_messages", {"query": "orcamento", "from_me": True, "limit": 200}))["results"]
        assert all(h["message"].get("from_me") for h in mine)
        theirs = (await agent.call("search_messages", {"query": "orcamento", "from_me": False, "limit": 200}))["results"]
        assert len(mine) + len(theirs) == len(hits)
        sender = next(h["message"]["sender"] for h in theirs if h["message"].get("sender", {}).get("phone"))
        by = (await agent.call("search_messages", {"query": "orcamento", "sender": sender["phone"], "limit": 200}))["results"]
        assert by and all(h["message"]["sender"]["phone"] == sender["phone"] for h in by)
        stamps = sorted(h["message"]["timestamp"] for h in hits)
        middle = stamps[len(stamps) // 2]
        later = (await agent.call("search_messages", {"query": "orcamento", "from": middle, "limit": 200}))["results"]
        assert later and all(h["message"]["timestamp"] >= middle for h in later)
        earlier = (await agent.call("search_messages", {"query": "orcamento", "to": middle, "limit": 200}))["results"]
        assert len(earlier) + len(later) == len(hits)
        docs = (await agent.call("search_messages", {"query": "sent", "types": ["text"], "limit": 200}))["results"]
        assert all(h["message"]["type"] == "text" for h in docs)

        # Pages.
        seen, cursor = [], None
        while True:
            page = await agent.call("search_messages", {"query": "orcamento", "limit": 3} | ({"cursor": cursor} if cursor else {}))
            seen += [h["message"]["id"] for h in page["results"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert seen == [h["message"]["id"] for h in hits]
        slim = (await agent.call("search_messages", {"query": "orcamento", "limit": 2, "fields": ["text"]}))["results"]
        assert all(set(h["message"]) <= {"id", "text"} for h in slim)

        # New messages are searchable at once; revoked ones drop out.
        sent = (await agent.call("send_message", {"chat": ECHO, "text": "Zyxwvut quartzo único"}))["message"]
        found = (await agent.call("search_messages", {"query": "unico zyxwvut"}))["results"]
        assert sent["id"] in [h["message"]["id"] for h in found]
        await agent.call("delete_message", {"message_id": sent["id"], "scope": "everyone"})
        found = (await agent.call("search_messages", {"query": "zyxwvut", "from_me": True}))["results"]
        assert sent["id"] not in [h["message"]["id"] for h in found]


@pytest.mark.parametrize("query", ['NEAR(a b)', '"', '"unbalanced', 'a AND', 'OR', '*', 'col:value', '{x}', '^start',
                                   'a -b', "'; DROP TABLE messages; --", 'text: "x"', '(((', 'ç̃' * 20, 'emoji 🎉 test'])
async def test_any_query_is_safe(server, query):
    async with streamable(server.url, server.key) as agent:
        r = await agent.call_raw("search_messages", {"query": query})
        if r.is_error:
            assert r.structured_content["code"] == "invalid_request" and "query" in r.structured_content["fields"]
        else:
            assert isinstance(r.structured_content["results"], list)
        assert (await agent.call("list_accounts"))["accounts"]
