"""Small helpers over the official MCP Python SDK, for tests."""
import contextlib
import json
import os

import anyio
import httpx2
import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


class ToolError(Exception):
    def __init__(self, body):
        super().__init__(f"{body.get('code')}: {body.get('message')}")
        self.body = body
        self.code = body.get("code")


class Agent:
    """An MCP client session plus convenience calls returning structured results."""

    def __init__(self, session: ClientSession):
        self.session = session

    async def call_raw(self, name, args=None):
        return await self.session.send_request(
            types.CallToolRequest(params=types.CallToolRequestParams(name=name, arguments=args or {})),
            types.CallToolResult)

    async def call(self, name, args=None):
        """The structured result; raises ToolError with the SPEC error body on isError."""
        r = await self.call_raw(name, args)
        body = r.structured_content
        if body is None and r.content and r.content[0].type == "text":
            body = json.loads(r.content[0].text)
        if r.is_error:
            raise ToolError(body)
        return body

    async def error(self, name, args=None):
        """The SPEC error body of a call that must fail."""
        r = await self.call_raw(name, args)
        assert r.is_error, f"{name} should have failed: {r}"
        body = r.structured_content or json.loads(r.content[0].text)
        assert set(body) >= {"code", "message", "status"}, body
        return body

    async def tool_names(self):
        return {t.name for t in (await self.session.list_tools()).tools}


def http_client(key, headers=None):
    h = {"Authorization": f"Bearer {key}"} if key else {}
    h.update(headers or {})
    return httpx2.AsyncClient(headers=h, timeout=httpx2.Timeout(30, read=300))


def _session_kwargs(message_handler, bindings, elicitation_callback):
    """What a ClientSession is given; an elicitation callback declares the capability."""
    kwargs = {"message_handler": message_handler} if message_handler else {}
    if bindings:
        kwargs["notification_bindings"] = bindings
    if elicitation_callback:
        kwargs["elicitation_callback"] = elicitation_callback
    return kwargs


@contextlib.asynccontextmanager
async def streamable(url, key, message_handler=None, bindings=None, elicitation_callback=None):
    http = http_client(key)
    async with http, streamable_http_client(url, http_client=http) as (r, w):
        async with ClientSession(r, w, **_session_kwargs(message_handler, bindings, elicitation_callback)) as s:
            await s.initialize()
            yield Agent(s)


@contextlib.asynccontextmanager
async def sse(url, key, message_handler=None, bindings=None, elicitation_callback=None):
    async with sse_client(url, headers={"Authorization": f"Bearer {key}"}) as (r, w):
        async with ClientSession(r, w, **_session_kwargs(message_handler, bindings, elicitation_callback)) as s:
            await s.initialize()
            yield Agent(s)


@contextlib.asynccontextmanager
async def stdio(bin_path, data_dir, key, env=None, message_handler=None, bindings=None, elicitation_callback=None):
    e = {"WUSE_API_KEY": key, "WUSE_DATA_DIR": str(data_dir)}
    # The SDK passes only a few variables to the child; a desktop client passes the
    # user's session, including the D-Bus address the keychain lives on.
    if "DBUS_SESSION_BUS_ADDRESS" in os.environ:
        e["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    e.update(env or {})
    params = StdioServerParameters(command=bin_path, args=["mcp"], env=e)
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w, **_session_kwargs(message_handler, bindings, elicitation_callback)) as s:
            await s.initialize()
            yield Agent(s)


async def eventually(fn, timeout=10.0, interval=0.05):
    """Polls an async predicate until it returns a truthy value."""
    with anyio.fail_after(timeout):
        while True:
            v = await fn()
            if v:
                return v
            await anyio.sleep(interval)
