"""One gate for every way in (`policy::admit`), driven over real HTTP with the official
MCP SDK: every tool, every resource URI, resources/list, subscriptions and pushed
notifications, under every key setting (tool on/off for everyone or for this key,
chat allowlist in/out, live vs test key, paused, rate limit spent, key revoked).
Each cell names what must happen: let in, or the exact denial (SPEC code + rule).

"Let in" for a tool is shown without side effects: the probe argument below is one no
tool takes, so a call the gate lets through fails validation (`invalid_request`, no
rule), which runs after the gate and before anything counts or happens."""
import base64
import json

import anyio
import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from client import eventually, streamable
from events import Inbox
from sandbox import ECHO, SILENT, synced

pytestmark = pytest.mark.anyio

PROBE = {"__gate_probe": 1}
IN = None  # let in by the gate
OFF = ("forbidden", "tool_off")
PAUSED = ("forbidden", "paused")
SPENT = ("rate_limited", "rate_limit")
REVOKED = ("unauthorized", "revoked")
KIND = ("forbidden", "account_kind")
# A chat outside a key's allowlist answers as one that does not exist: no rule is
# named, which would tell the agent that the chat is there.
HIDDEN = ("not_found", None)

# Tools whose target is a chat (or a message, group or person in one): a key limited
# to some chats finds only those.
CHAT_SCOPED = {"send_message", "get_message", "edit_message", "delete_message", "add_reaction", "remove_reaction",
               "star_message", "unstar_message", "forward_message", "get_chat", "list_messages", "open_chat",
               "mark_chat_read", "mark_chat_unread", "archive_chat", "unarchive_chat", "mute_chat", "unmute_chat",
               "pin_chat", "unpin_chat", "delete_chat", "get_group", "update_group", "list_group_participants",
               "add_group_participants", "remove_group_participant", "promote_group_participant",
               "demote_group_participant", "group_invite_link", "leave_group", "set_presence",
               "fetch_older_messages"}


class World:
    """IDs of real things in the sandbox, for arguments that pass validation."""

    async def load(self, agent):
        chats = await synced(agent)
        self.account = (await agent.call("list_accounts"))["accounts"][0]["id"]
        self.echo = (await agent.call("open_chat", {"chat": ECHO, "limit": 0}))["chat"]["id"]
        self.secret = next(c for c in chats if c["kind"] == "direct" and c["id"] != self.echo)
        self.group = next(c for c in chats if c["kind"] == "group")
        secret_msgs = (await agent.call("list_messages", {"chat": self.secret["id"], "limit": 1}))["messages"]
        self.secret_message = secret_msgs[0]["id"]
        sent = (await agent.call("send_message", {"chat": ECHO, "text": "gate fixture"}))["message"]
        self.echo_message = sent["id"]
        png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode()
        self.media = (await agent.call("upload_media", {"base64": png, "file_name": "x.png"}))["media"]["id"]
        self.subscription = (await agent.call("subscribe_events", {"types": ["message.received"]}))["subscription"]["id"]
        return self

    def valid(self, tool, chat=None, message=None, group=None):
        """Arguments that pass validation (used only where the gate must stop the call)."""
        chat = chat or ECHO
        message = message or self.echo_message
        group = group or self.group["id"]
        return {
            "pair_account": {"account_id": self.account},
            "delete_account": {"account_id": self.account},
            "send_message": {"chat": chat, "text": "gate"},
            "get_message": {"message_id": message},
            "edit_message": {"message_id": message, "text": "gate"},
            "delete_message": {"message_id": message},
            "add_reaction": {"message_id": message, "emoji": "👍"},
            "remove_reaction": {"message_id": message},
            "star_message": {"message_id": message},
            "unstar_message": {"message_id": message},
            "forward_message": {"message_id": message, "to": [ECHO]},
            "create_group": {"subject": "gate", "participants": [SILENT]},
            "get_group": {"group": group},
            "update_group": {"group": group, "subject": "gate"},
            "list_group_participants": {"group": group},
            "add_group_participants": {"group": group, "participants": [SILENT]},
            "remove_group_participant": {"group": group, "participant": SILENT},
            "promote_group_participant": {"group": group, "participant": SILENT},
            "demote_group_participant": {"group": group, "participant": SILENT},
            "group_invite_link": {"group": group},
            "leave_group": {"group": group},
            "get_contact": {"contact": ECHO},
            "check_whatsapp": {"phones": [ECHO]},
            "get_contact_picture": {"contact": ECHO},
            "get_contact_status": {"contact": ECHO},
            "upload_media": {"base64": "aGk=", "file_name": "x.txt"},
            "download_media": {"media_id": self.media},
            "get_media_metadata": {"media_id": self.media},
            "set_presence": {"state": "typing", "chat": chat},
            "get_contact_presence": {"contact": ECHO},
            "update_profile": {"about": "gate"},
            "set_profile_picture": {"media_id": self.media},
            "search_messages": {"query": "gate"},
            "unsubscribe_events": {"subscription_id": self.subscription},
        }.get(tool, {"chat": chat} if tool in CHAT_SCOPED else {})


def denial(body):
    """(code, rule) of a refusal, or None for a call the gate let in (it then failed
    validation on the probe, or ran)."""
    if body is None or body.get("code") == "invalid_request" and "rule" not in body:
        return None
    return body.get("code"), body.get("rule")


async def outcome(agent, tool, args):
    r = await agent.call_raw(tool, args)
    if not r.is_error:
        return None
    return denial(r.structured_content or json.loads(r.content[0].text))


async def resource_outcome(agent, uri, subscribe=False):
    try:
        if subscribe:
            await agent.session.subscribe_resource(uri)
        else:
            await agent.session.read_resource(uri)
        return None
    except MCPError as e:
        data = e.error.data or {}
        return data.get("code"), data.get("rule")


def key_id(server, name):
    return next(l.split()[0] for l in server.cli("keys", "list").stdout.splitlines() if name in l)


def cli_ok(server, *args):
    r = server.cli(*args)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


async def table(agent, tools, cell):
    """Runs every tool in `tools`; returns the cells that differ from `cell(tool)`."""
    wrong = []
    for tool, args in tools:
        want = cell(tool)
        got = await outcome(agent, tool, args)
        if got != want:
            wrong.append(f"{tool}: want {want}, got {got}")
    return wrong


async def test_every_tool_under_every_key_setting(server):
    world, narrow, live = await keys_and_world(server)
    async with streamable(server.url, server.key) as owner:
        schemas = {t.name: set(t.input_schema.get("properties", {})) for t in (await owner.session.list_tools()).tools}
    names = sorted(schemas)
    assert len(names) == 58
    probes = [(t, PROBE) for t in names]
    test_key = key_id(server, "Sandbox test key")
    other = cli_ok(server, "keys", "create", "--test", "--name", "other")
    wrong = {}
    async with streamable(server.url, server.key) as agent, streamable(server.url, other) as stranger, \
            streamable(server.url, live) as live_agent, streamable(server.url, narrow) as narrow_agent:
        # All on, not paused: every key is let in to every tool.
        for name, a in [("test", agent), ("other", stranger), ("live", live_agent), ("narrow", narrow_agent)]:
            wrong[f"on/{name}"] = await table(a, probes, lambda t: IN)

        # Off for everyone.
        cli_ok(server, "tools", "disable", *names)
        wrong["off/global"] = await table(agent, probes, lambda t: OFF)
        cli_ok(server, "tools", "preset", "all")
        # Off for this key only: the other key is still let in.
        cli_ok(server, "tools", "disable", *names, "--key", test_key)
        wrong["off/key"] = await table(agent, probes, lambda t: OFF)
        wrong["off/key, other key"] = await table(stranger, probes, lambda t: IN)
        # The key's own switch wins over the global one.
        cli_ok(server, "tools", "disable", *names)
        cli_ok(server, "tools", "enable", *names, "--key", test_key)
        wrong["off/global, on/key"] = await table(agent, probes, lambda t: IN)
        wrong["off/global, other key"] = await table(stranger, probes, lambda t: OFF)
        cli_ok(server, "tools", "preset", "all")
        server.cli("tools", "enable", *names, "--key", test_key)

        # Paused: every key, every tool.
        cli_ok(server, "tools", "pause")
        for name, a in [("test", agent), ("live", live_agent), ("narrow", narrow_agent)]:
            wrong[f"paused/{name}"] = await table(a, probes, lambda t: PAUSED)
        cli_ok(server, "tools", "resume")

        # A live key reaches no test account: every tool naming one is refused.
        with_account = [(t, world.valid(t) | {"account_id": world.account}) for t in names
                        if "account_id" in schemas[t]]
        wrong["live key, test account"] = await table(live_agent, with_account, lambda t: KIND)

        # A key limited to the echo chat: other chats, their messages and groups do not exist.
        outside = [(t, world.valid(t, chat=world.secret["id"], message=world.secret_message)) for t in names
                   if t in CHAT_SCOPED and t not in ("get_group", "update_group") and "group" not in t]
        outside += [(t, world.valid(t)) for t in names if "group" in t and t not in ("create_group",)]
        wrong["chat allowlist, outside"] = await table(narrow_agent, outside, lambda t: HIDDEN)
        inside = [(t, world.valid(t, chat=world.echo)) for t in ("get_chat", "list_messages", "open_chat", "get_message")]
        wrong["chat allowlist, inside"] = await table(narrow_agent, inside, lambda t: IN)

        # Rate limit spent: the next call of any tool with valid arguments is refused
        # (and did not run: nothing was sent, deleted or changed).
        before = await owner_messages(server)
        cli_ok(server, "settings", "set", "rate_limit_per_minute", "1")
        await agent.call("list_accounts")
        valid = [(t, world.valid(t)) for t in names]
        wrong["rate limit spent"] = await table(agent, valid, lambda t: SPENT)
        # Invalid calls are not counted (validation comes first): still invalid_request.
        wrong["rate limit spent, invalid"] = await table(agent, probes, lambda t: IN)
        cli_ok(server, "settings", "set", "rate_limit_per_minute", "0")
        assert await owner_messages(server) == before

    # Revoked (by another process): every call is refused at the door (HTTP 401), on
    # open sessions too, within the key cache's few seconds.
    cli_ok(server, "keys", "revoke", key_id(server, "other"))
    if True:
        async def call(tool):
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": PROBE}}
            # A connection each: the server closes one after refusing it unread.
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {other}"}) as http:
                r = await http.post(server.url, json=body, headers={"Accept": "application/json, text/event-stream"})
            if r.status_code != 401:
                return r.status_code, None, False
            return r.status_code, r.json().get("code"), "revoked" in r.json().get("message", "")

        async def revoked():
            return await call("list_accounts") == (401, "unauthorized", True)
        await eventually(revoked, timeout=10)
        wrong["revoked"] = [t for t in names if await call(t) != (401, "unauthorized", True)]
    bad = {k: v for k, v in wrong.items() if v}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)


async def owner_messages(server):
    async with streamable(server.url, server.key) as a:
        return [m["id"] for m in (await a.call("list_messages", {"chat": ECHO, "limit": 200}))["messages"]]


async def keys_and_world(server):
    """The sandbox's IDs, a test key limited to the echo chat, and a live key."""
    async with streamable(server.url, server.key) as owner:
        world = await World().load(owner)
    narrow = cli_ok(server, "keys", "create", "--test", "--name", "narrow")
    cli_ok(server, "keys", "restrict", key_id(server, "narrow"), world.echo)
    live = cli_ok(server, "keys", "create", "--live", "--name", "live")
    return world, narrow, live


async def test_every_resource_under_every_key_setting(server):
    world, narrow, live = await keys_and_world(server)
    echo_uri, secret_uri = f"whatsapp://chats/{world.echo}", f"whatsapp://chats/{world.secret['id']}"
    uris = ["whatsapp://accounts", "whatsapp://events", echo_uri, secret_uri]
    needs = {"whatsapp://accounts": ["list_accounts"], "whatsapp://events": ["get_events"],
             echo_uri: ["get_chat", "list_messages"], secret_uri: ["get_chat", "list_messages"]}
    wrong = []

    async def check(label, agent, cell):
        for uri in uris:
            for sub in (False, True):
                got = await resource_outcome(agent, uri, subscribe=sub)
                want = cell(uri)
                if got != want:
                    wrong.append(f"{label} {'subscribe' if sub else 'read'} {uri}: want {want}, got {got}")

    async def listed(agent):
        return {str(r.uri) for r in (await agent.session.list_resources()).resources}

    async with streamable(server.url, server.key) as agent, streamable(server.url, narrow) as narrow_agent, \
            streamable(server.url, live) as live_agent:
        await check("on", agent, lambda u: IN)
        assert set(uris) <= await listed(agent)
        # Each mirrored tool off hides and refuses exactly the resources that need it.
        for tool in ("list_accounts", "get_events", "get_chat", "list_messages"):
            cli_ok(server, "tools", "disable", tool)
            await check(f"{tool} off", agent, lambda u: OFF if tool in needs[u] else IN)
            shown = await listed(agent)
            for u in uris:
                if (u in shown) == (tool in needs[u]):
                    wrong.append(f"{tool} off: resources/list {'shows' if u in shown else 'hides'} {u}")
            cli_ok(server, "tools", "enable", tool)
        # Chat allowlist: the echo chat only.
        await check("narrow", narrow_agent, lambda u: HIDDEN if u == secret_uri else IN)
        shown = await listed(narrow_agent)
        assert echo_uri in shown and secret_uri not in shown
        # A live key: no test chats exist for it (accounts and events read empty).
        await check("live", live_agent, lambda u: KIND if u.startswith("whatsapp://chats/") else IN)
        live_accounts = json.loads((await live_agent.session.read_resource("whatsapp://accounts")).contents[0].text)
        assert live_accounts["accounts"] == []
        # Paused: nothing is read, subscribed or listed.
        cli_ok(server, "tools", "pause")
        await check("paused", agent, lambda u: PAUSED)
        assert await listed(agent) == set()
        cli_ok(server, "tools", "resume")
        # Rate limit spent: reads count like calls.
        cli_ok(server, "settings", "set", "rate_limit_per_minute", "1")
        await agent.call("list_accounts")
        await check("rate limit spent", agent, lambda u: SPENT)
        cli_ok(server, "settings", "set", "rate_limit_per_minute", "0")
    # Reads are audited like calls.
    activity = [json.loads(l) for l in server.cli("activity", "--limit", "500").stdout.splitlines()]
    reads = [a for a in activity if a["tool"] == "resources/read"]
    assert {"ok", "forbidden", "not_found", "rate_limited"} <= {a["outcome"] for a in reads}
    assert all(set(a["args"]) == {"uri"} for a in reads)
    assert not wrong, "\n".join(wrong)


async def test_every_notification_type_under_every_key_setting(server):
    """Pushed events reach a session only when its key may read what they carry."""
    world, narrow, live = await keys_and_world(server)
    types = {"message.received": "list_messages", "message.sent": "list_messages",
             "typing.started": "get_contact_presence", "account.disconnected": "list_accounts",
             "account.connected": "list_accounts", "group.updated": "get_group"}

    async def provoke(agent, seen):
        """Makes one event of every type above happen (the echo answers before the
        account reconnects)."""
        await agent.call("send_message", {"chat": ECHO, "text": "provoked"})
        await seen.wait_for(lambda i: i.of_type("message.received") and i.of_type("typing.started"), timeout=20)
        await agent.call("update_group", {"group": world.group["id"], "subject": "Gate test"})
        await agent.call("reconnect_account")

    reference = cli_ok(server, "keys", "create", "--test", "--name", "reference")
    test_key = key_id(server, "Sandbox test key")

    async def pushed(key, setup=None, undo=None):
        """What a session of `key` subscribed to every type above is pushed while a
        session of another key, with every tool on, makes those events happen (after
        `setup`, before `undo`) and sees all of them pushed."""
        inbox, seen = Inbox(), Inbox()
        async with streamable(server.url, key, bindings=inbox.bindings()) as listener, \
                streamable(server.url, reference, bindings=seen.bindings()) as ref:
            await listener.call("subscribe_events", {"types": list(types)})
            await ref.call("subscribe_events", {"types": list(types)})
            if setup:
                setup()
            await provoke(ref, seen)
            try:
                await seen.wait_for(lambda i: {e["type"] for e in i.events} >= set(types), timeout=20)
            except TimeoutError:
                got = [(e["type"], e.get("chat_id")) for e in seen.events]
                raise AssertionError(f"the reference session saw only {got}")
            await anyio.sleep(0.5)
            if undo:
                undo()
            return {e["type"] for e in inbox.events}, inbox

    wrong = []
    got, _ = await pushed(server.key)
    if got != set(types):
        wrong.append(f"all on: got {sorted(got)}")
    for tool in sorted(set(types.values())):
        got, _ = await pushed(server.key, lambda: cli_ok(server, "tools", "disable", tool, "--key", test_key),
                              lambda: cli_ok(server, "tools", "enable", tool, "--key", test_key))
        want = {t for t, needs in types.items() if needs != tool}
        if got != want:
            wrong.append(f"{tool} off: want {sorted(want)}, got {sorted(got)}")
    got, inbox = await pushed(narrow)
    # Only the echo chat's events; account events carry no chat, so a limited key does not see them.
    if got != {"message.received", "message.sent", "typing.started"} or \
            any(e.get("chat_id") != world.echo for e in inbox.events):
        wrong.append(f"narrow: got {sorted(got)}")
    got, _ = await pushed(live)
    if got:
        wrong.append(f"live key got test account events: {sorted(got)}")
    assert not wrong, "\n".join(wrong)
    # What was pushed is in the audit log, per key.
    activity = [json.loads(l) for l in server.cli("activity", "--limit", "2000").stdout.splitlines()]
    pushes = [a for a in activity if a["tool"] == "notifications/whatsapp/event"]
    assert pushes and {a["key_name"] for a in pushes} >= {"Sandbox test key", "narrow", "reference"}
    assert all({"event_id", "type", "subscription_id"} <= set(a["args"]) for a in pushes)


async def test_nothing_is_pushed_while_paused_and_get_events_catches_up(start_server):
    """Regression: pushes went out while paused. People keep writing (ambient traffic,
    several messages a second here, so a busy machine still sees some during the pause);
    nothing reaches the agent until it resumes, and get_events then has what happened
    meanwhile."""
    server = start_server(WUSE_SANDBOX_AMBIENT="1", WUSE_SANDBOX_TIME_SCALE="0.005")
    inbox = Inbox()
    async with streamable(server.url, server.key, bindings=inbox.bindings()) as agent:
        await synced(agent)
        await agent.call("subscribe_events", {"types": ["message.received"]})
        await inbox.wait_for(lambda i: i.of_type("message.received"), timeout=20)
        cli_ok(server, "tools", "pause")
        await anyio.sleep(0.5)  # what was on its way when the switch flipped
        before = len(inbox.events)
        await anyio.sleep(5)
        assert len(inbox.events) == before, inbox.events[before:]
        cli_ok(server, "tools", "resume")
        last = inbox.events[-1]["id"]
        caught = (await agent.call("get_events", {"after": last, "types": ["message.received"]}))["events"]
        assert caught, "the events of the pause are in the log"
        # And pushing goes on after resume.
        await inbox.wait_for(lambda i: len(i.events) > before, timeout=20)


async def test_regression_resource_read_with_list_messages_off(server):
    """Regression: a key with list_messages off still read a chat's messages."""
    async with streamable(server.url, server.key) as agent:
        await synced(agent)
        echo = (await agent.call("open_chat", {"chat": ECHO, "limit": 0}))["chat"]["id"]
        cli_ok(server, "tools", "disable", "list_messages")
        assert await resource_outcome(agent, f"whatsapp://chats/{echo}") == OFF
        listed = {str(r.uri) for r in (await agent.session.list_resources()).resources}
        assert not [u for u in listed if u.startswith("whatsapp://chats/")]


async def test_regression_message_notifications_need_list_messages(server):
    """Regression: message text was pushed to a key that may not read messages."""
    inbox = Inbox()
    async with streamable(server.url, server.key, bindings=inbox.bindings()) as agent:
        await synced(agent)
        await agent.call("subscribe_events", {"types": ["message.received"]})
        cli_ok(server, "tools", "disable", "list_messages")
        async with streamable(server.url, server.key) as other:
            # Sent by a session of the same key: send_message is still on.
            await other.call("send_message", {"chat": ECHO, "text": "not for you"})
        await anyio.sleep(2)
        assert not inbox.of_type("message.received")


async def test_policy_changes_reach_open_sessions_at_once(server):
    """tools/list_changed only when the visible tools changed; a subscription that lost
    its right ends with a notification saying why."""
    inbox = Inbox()

    async def on_message(m):
        await inbox.on_message(m)

    ended = []
    from mcp.client import NotificationBinding
    from pydantic import BaseModel, ConfigDict

    class Ended(BaseModel):
        model_config = ConfigDict(extra="allow")
        code: str
        rule: str

    async def on_ended(p):
        ended.append(p)
        inbox._poke()

    bindings = inbox.bindings() + [NotificationBinding(method="notifications/whatsapp/subscription_ended",
                                                       params_type=Ended, handler=on_ended)]
    async with streamable(server.url, server.key, message_handler=on_message, bindings=bindings) as agent:
        await synced(agent)
        sub = (await agent.call("subscribe_events", {"types": ["message.received"]}))["subscription"]
        cli_ok(server, "tools", "disable", "list_messages")
        await inbox.wait_for(lambda i: ended, timeout=10)
        assert ended[0].subscription_id == sub["id"] and (ended[0].code, ended[0].rule) == OFF
        assert (await agent.call("list_subscriptions"))["subscriptions"] == []
        changed = [m for m in inbox.other if "list_changed" in str(getattr(m, "method", "")) or "ToolListChanged" in type(m).__name__]
        assert changed, "list_messages left the tool list"
        # A setting that changes no tool (a rate limit) sends no list_changed.
        n = len(changed)
        cli_ok(server, "settings", "set", "rate_limit_per_minute", "500")
        await anyio.sleep(3)
        assert len([m for m in inbox.other if "list_changed" in str(getattr(m, "method", "")) or "ToolListChanged" in type(m).__name__]) == n


def test_cli_settings_and_tools_validate_like_the_window(server):
    """Regression: `settings set` wrote any name and any value."""
    refused = [
        ("settings", "set", "no_such_setting", "1"),
        ("settings", "set", "rate_limit_per_minute", "-5"),
        ("settings", "set", "rate_limit_per_minute", "100001"),
        ("settings", "set", "new_chat_sends_per_minute", "0"),
        ("settings", "set", "new_chat_sends_per_minute", "1000"),
        ("settings", "set", "event_retention_days", "0"),
        ("settings", "set", "port", "80"),
        ("settings", "set", "upload_roots", '["relative/dir"]'),
        ("settings", "set", "audit_bodies", '"yes"'),
        ("settings", "set", "agents_paused", "false"),
        ("settings", "set", "media_url_secret", '"00"'),
        ("settings", "set", "rate_limit_per_minute", "not json"),
        ("tools", "disable", "no_such_tool"),
        ("tools", "enable", "list_chats", "no_such_tool"),
        ("tools", "preset", "everything"),
        ("tools", "disable", "list_chats", "--key", "not-a-key"),
    ]
    before = server.cli("settings", "list").stdout
    tools_before = server.cli("tools", "list").stdout
    for args in refused:
        r = server.cli(*args)
        assert r.returncode != 0, args
        assert "invalid_request: " in r.stderr, (args, r.stderr)
    assert server.cli("settings", "list").stdout == before, "nothing half-applied"
    assert server.cli("tools", "list").stdout == tools_before
    assert cli_ok(server, "settings", "set", "rate_limit_per_minute", "120") == "rate_limit_per_minute = 120"
    assert "rate_limit_per_minute = 120" in server.cli("settings", "list").stdout
    assert "secret" not in server.cli("settings", "list").stdout
