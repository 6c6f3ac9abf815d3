"""Every tool is well described: a non-empty description, a JSON Schema 2020-12 input
schema (valid against the meta-schema) for an object that rejects unknown arguments,
and annotations that say whether it only reads."""
import jsonschema
import pytest

from client import streamable

pytestmark = pytest.mark.anyio

READ_ONLY = {"list_accounts", "get_account", "get_account_status", "get_message", "list_chats", "get_chat",
             "list_messages", "open_chat"}


async def test_tool_schemas_are_2020_12(server):
    async with streamable(server.url, server.key) as agent:
        tools = (await agent.session.list_tools()).tools
    assert len({t.name for t in tools}) == len(tools)
    for t in tools:
        assert t.description and len(t.description) > 20, t.name
        schema = t.input_schema
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and schema.get("additionalProperties") is False, t.name
        validator = jsonschema.Draft202012Validator(schema)
        assert list(validator.iter_errors({"definitely_not_an_argument": 1})), f"{t.name} accepts unknown arguments"
        assert t.annotations is not None and t.annotations.title
        if t.name in READ_ONLY:
            assert t.annotations.read_only_hint is True, t.name
        if t.name in {"delete_account", "delete_chat", "delete_message", "logout_account"}:
            assert t.annotations.destructive_hint is True, t.name
