"""The window, for real: each test does what a person does in the app (click, type,
choose) and checks what they would see, and what an agent then sees over MCP.

One app runs for the whole module; the tests build on each other in order, like a
first session with the app: see the sandbox account, pair another by QR, make a key,
turn a tool off, install a client, watch agents in Activity, approve and deny what an
agent asks to send, pause everything."""
import json
import re

import anyio
import pytest

from client import ToolError, streamable

ECHO = "+14155550199"
ACCOUNT = '[data-testid^="account-acc_"]'


@pytest.fixture(scope="module")
def secrets():
    """Key secrets the window showed, by name."""
    return {}


def test_first_start_shows_the_sandbox_account_connected(desktop):
    ui = desktop.ui
    ui.find('[data-testid="page-accounts"]', timeout=30)
    ui.wait(lambda: ui.find_all(f'{ACCOUNT}[data-status="connected"]'), 30, "the sandbox account to connect")
    assert desktop.url in ui.text('[data-testid="server-status"]')
    desktop.shot("accounts")


def test_pair_a_sandbox_account_by_qr(desktop):
    ui = desktop.ui
    before = len(ui.find_all(ACCOUNT))
    ui.click('[data-testid="add-account"]')
    ui.select('[data-testid="pair-kind"]', "sandbox")
    ui.select('[data-testid="pair-method"]', "qr")
    ui.type('[data-testid="pair-label"]', "Second phone")
    ui.click('[data-testid="pair-start"]')
    # A real QR image (PNG data) is on screen while the sandbox phone gets to it.
    src = ui.attr('[data-testid="pair-qr"]', "src")
    assert src.startswith("data:image/png;base64,") and len(src) > 500
    desktop.shot("pairing-qr")
    ui.wait(lambda: len(ui.find_all(f'{ACCOUNT}[data-status="connected"]')) == before + 1, 30,
            "the new account to connect")
    assert "Second phone" in ui.text("main")
    assert not ui.find_all('[data-testid="pair-qr"]')


def test_the_history_the_phone_pushed_shows_on_each_account(desktop):
    """The phone's history push, as the Accounts page shows it: chunks, messages, and
    the oldest date reached (a bar while it runs)."""
    ui = desktop.ui
    cards = ui.find_all(ACCOUNT)
    ui.wait(lambda: len(ui.find_all('[data-testid="history-sync"][data-done="true"]')) == len(cards), 30,
            "every account's history sync to finish")
    for text in ui.texts('[data-testid="history-sync"]'):
        assert re.search(r"History synced: [\d,]+ messages in \d+ chunks?, back to ", text), text
    assert not ui.find_all('[data-testid="history-sync"] .progress'), "no bar once done"
    desktop.shot("history-synced")


def test_create_a_key_and_see_it_listed(desktop, secrets):
    ui = desktop.ui
    ui.go("keys")
    ui.select('[data-testid="key-mode"]', "test")
    ui.type('[data-testid="key-name"]', "e2e agent")
    ui.click('[data-testid="key-create"]')
    secret = ui.wait(lambda: ui.text('[data-testid="new-key-secret"]').strip(), 10, "the new secret")
    assert secret.startswith("wuse_test_")
    secrets["e2e"] = secret
    ui.wait(lambda: "e2e agent" in ui.text('[data-testid="key-list"]'), 10, "the key in the list")
    assert secret not in ui.text('[data-testid="key-list"]'), "the list shows a hint, never the secret"
    desktop.shot("keys")


@pytest.mark.anyio
async def test_a_tool_turned_off_disappears_for_agents(desktop, secrets):
    ui = desktop.ui
    async with streamable(desktop.url, secrets["e2e"]) as agent:
        assert "add_reaction" in await agent.tool_names()
    ui.go("permissions")
    count = ui.text('[data-testid="tool-count"]')
    ui.click('[data-testid="tool-add_reaction"] label.switch')
    ui.wait(lambda: ui.text('[data-testid="tool-count"]') != count, 10, "the tool count to change")
    desktop.shot("permissions")
    async with streamable(desktop.url, secrets["e2e"]) as agent:
        assert "add_reaction" not in await agent.tool_names()
        err = await agent.error("add_reaction", {"message_id": "msg_0000000000000000", "emoji": "👍"})
        assert err["code"] == "forbidden"
    ui.click('[data-testid="tool-add_reaction"] label.switch')
    ui.wait(lambda: ui.text('[data-testid="tool-count"]') == count, 10, "the tool to be back")


@pytest.mark.anyio
async def test_install_a_client_writes_its_config(desktop):
    ui = desktop.ui
    config = desktop.home / ".cursor" / "mcp.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"mcpServers": {"other": {"command": "other-server"}}, "theme": "dark"}))
    ui.go("clients")
    ui.select('[data-testid="client-mode"]', "test")
    ui.click('[data-testid="client-cursor"] [data-testid="client-install"]')
    diff = ui.text('[data-testid="client-diff"]')
    assert "other-server" in diff and '"whatsapp"' in diff
    desktop.shot("clients-preview")
    assert json.loads(config.read_text())["mcpServers"].keys() == {"other"}, "nothing written before confirming"
    ui.click('[data-testid="client-confirm"]')
    ui.wait(lambda: ui.find_all('[data-testid="client-done"]'), 10, "the install to finish")
    ui.wait(lambda: ui.attr('[data-testid="client-cursor"]', "data-installed") == "true", 10, "installed mark")
    written = json.loads(config.read_text())
    assert written["theme"] == "dark" and written["mcpServers"]["other"] == {"command": "other-server"}
    entry = written["mcpServers"]["whatsapp"]
    assert entry["url"] == desktop.url
    key = entry["headers"]["Authorization"].removeprefix("Bearer ")
    # The key written for Cursor works (Cursor copes with all our tools now).
    async with streamable(desktop.url, key) as agent:
        names = await agent.tool_names()
        assert "send_message" in names and len(names) > 40
    # Every client people use is listed; one over its tool limit says so.
    for client in ("claude_desktop_extension", "codex", "gemini", "copilot", "goose", "lmstudio",
                   "antigravity", "jetbrains", "zed"):
        assert ui.find_all(f'[data-testid="client-{client}"]'), client
    assert "50 tools" in ui.text('[data-testid="client-antigravity"] .banner.error')
    desktop.shot("clients")

    # JetBrains takes an entry pasted in its settings: the key is saved before it is shown.
    ui.click('[data-testid="client-jetbrains"] [data-testid="client-install"]')
    assert "wuse_test_" in ui.text('[data-testid="client-entry"]') and "…" in ui.text('[data-testid="client-entry"]')
    ui.click('[data-testid="client-confirm"]')
    ui.wait(lambda: ui.find_all('[data-testid="client-paste"]'), 10, "the entry to paste")
    pasted = json.loads(ui.text('[data-testid="client-paste"]'))["mcpServers"]["whatsapp"]
    assert pasted["args"] == ["mcp"]
    desktop.shot("clients-paste")
    ui.click('[data-testid="client-paste-done"]')
    async with streamable(desktop.url, pasted["env"]["WUSE_API_KEY"]) as agent:
        assert (await agent.call("list_accounts"))["accounts"]


@pytest.mark.anyio
async def test_agent_activity_appears_live(desktop, secrets):
    ui = desktop.ui
    ui.go("activity")
    async with streamable(desktop.url, secrets["e2e"]) as agent:
        accounts = (await agent.call("list_accounts"))["accounts"]
        account = next(a for a in accounts if a["status"] == "connected")["id"]
        await agent.call("send_message", {"account_id": account, "chat": ECHO, "text": "hello from the window test"})

    def titles():
        return ui.js("return [...document.querySelectorAll('[data-testid=activity-item]')]"
                     ".map(e => e.dataset.title)")

    ui.wait(lambda: "send_message" in titles(), 10, "the tool call in Activity")
    # Echo answers: the inbound message arrives as an event, live.
    ui.wait(lambda: "message.received" in titles(), 30, "Echo's reply in Activity")
    desktop.shot("activity")
    ui.type('[data-testid="activity-search"]', "send_message")
    ui.wait(lambda: set(titles()) == {"send_message"}, 10, "the search to filter")


@pytest.mark.anyio
async def test_ask_first_holds_a_send_until_approved_in_the_window(desktop, secrets):
    ui = desktop.ui
    ui.go("permissions")
    ui.click('[data-testid="ask-send_message"]')
    ui.wait(lambda: ui.js("return document.querySelector('[data-testid=ask-send_message]').checked"), 10, "ask first on")
    # After the page reloaded what the backend holds.
    ui.find('[data-testid="tool-send_message"][data-state="ask"]')
    desktop.shot("permissions-ask")
    ui.go("activity")
    async with streamable(desktop.url, secrets["e2e"]) as agent:
        account = next(a for a in (await agent.call("list_accounts"))["accounts"] if a["status"] == "connected")["id"]
        args = {"account_id": account, "chat": ECHO}
        async with anyio.create_task_group() as tg:
            sent = {}

            async def send(text, into):
                try:
                    into[text] = await agent.call("send_message", args | {"text": text})
                except ToolError as e:
                    into[text] = e.body

            tg.start_soon(send, "Approved in the window", sent)
            # The sidebar counts it, and Activity shows exactly what would go out.
            await anyio.to_thread.run_sync(lambda: ui.wait(
                lambda: ui.find_all('[data-testid="approvals-count"]') and ui.text('[data-testid="approvals-count"]') == "1",
                20, "the approval count"))
            assert ui.text('[data-testid="approval-text"]') == "Approved in the window"
            assert ECHO in ui.text('[data-testid="approval-recipients"]')
            assert "e2e" in ui.text('[data-testid="approval-key"]')
            desktop.shot("activity-approval")
            assert "Approved in the window" not in sent
            ui.click('[data-testid="approve"]')
        assert sent["Approved in the window"]["message"]["text"] == "Approved in the window"
        ui.wait(lambda: not ui.find_all('[data-testid="approvals-count"]'), 10, "the count to clear")

        async with anyio.create_task_group() as tg:
            tg.start_soon(send, "Denied in the window", sent)
            await anyio.to_thread.run_sync(lambda: ui.wait(
                lambda: ui.find_all('[data-testid="approval"]'), 20, "the second approval"))
            ui.type('[data-testid="deny-reason"]', "not to Echo")
            ui.click('[data-testid="deny"]')
        assert sent["Denied in the window"]["code"] == "approval_denied"
        assert "not to Echo" in sent["Denied in the window"]["message"]
        texts = [m.get("text") for m in (await agent.call("list_messages", args | {"limit": 20}))["messages"]]
        assert "Approved in the window" in texts and "Denied in the window" not in texts
    ui.wait(lambda: not ui.find_all('[data-testid="approval"]'), 10, "no approval left")
    ui.go("permissions")
    ui.click('[data-testid="ask-send_message"]')
    ui.find('[data-testid="tool-send_message"][data-state="on"]')


@pytest.mark.anyio
async def test_pause_stops_every_agent_until_resumed(desktop, secrets):
    ui = desktop.ui
    ui.go("settings")
    assert ui.text('[data-testid="mcp-url"]') == desktop.url
    ui.click('label:has([data-testid="settings-pause"])')
    ui.wait(lambda: "paused" in ui.text('[data-testid="server-status"]'), 10, "the paused mark")
    desktop.shot("settings-paused")
    async with streamable(desktop.url, secrets["e2e"]) as agent:
        with pytest.raises(ToolError) as e:
            await agent.call("list_accounts")
        assert e.value.code == "forbidden"
        ui.click('label:has([data-testid="settings-pause"])')
        ui.wait(lambda: "Serving" in ui.text('[data-testid="server-status"]'), 10, "serving again")
        assert (await agent.call("list_accounts"))["accounts"]
    desktop.shot("settings")
