import { describe, expect, it } from "vitest";

import type { ClientView, Preview } from "../lib/backend";
import { client, key } from "../test/fixtures";
import { alerts, button, choose, click, dialog, fail, get, mockBackend, mountPage, query, text } from "../test/harness";
import { ClientsPage } from "./clients";

const SECRET = "wuse_live_AbCdEfGhIjKlMnOpQrStUvWx";
const PATH = "/home/me/.config/Claude/claude_desktop_config.json";
const BEFORE = `{\n  "mcpServers": {\n    "other": { "command": "other-mcp" }\n  }\n}`;
const AFTER = `{\n  "mcpServers": {\n    "other": { "command": "other-mcp" },\n    "whatsapp-use": { "command": "whatsapp-use", "args": ["mcp"], "env": { "WUSE_API_KEY": "${SECRET}" } }\n  }\n}`;

function preview(over: Partial<Preview> = {}): Preview {
  return {
    token: "tok_install_1",
    plan: { client: "claude_desktop", action: { kind: "write" }, path: PATH, before: BEFORE, after: AFTER, entry: "{}", creates_file: false },
    key_hint: "wuse_live_AbCd…",
    ...over,
  };
}

/** A fake installer: previews are tokens, confirming one makes the change. */
function installer(initial: ClientView[]) {
  let clients = initial;
  return mockBackend({
    list_clients: () => clients,
    preview_client_install: () => preview(),
    preview_client_remove: ({ client: id }) =>
      preview({ token: `tok_remove_${id}`, plan: { client: "claude_desktop", action: { kind: "write" }, path: PATH, before: AFTER, after: BEFORE, entry: "{}", creates_file: false }, key_hint: null }),
    confirm_client_change: ({ token }) => {
      const installing = (token as string).startsWith("tok_install");
      clients = clients.map((c) => ({ ...c, installed: installing }));
      return installing
        ? { action: { kind: "write" as const }, path: PATH, backup: `${PATH}.bak`, key: key({ name: "Claude Desktop (whatsapp-use)", mode: "live" }), paste: null }
        : { action: { kind: "write" as const }, path: PATH, backup: null, key: null, paste: null };
    },
  });
}

describe("Clients page", () => {
  it("lists the clients found and their state", async () => {
    const ipc = installer([
      client({ id: "claude_desktop", name: "Claude Desktop", installed: true }),
      client({ id: "cursor", name: "Cursor", detected: true, tool_limit: 40, warning: "Cursor handles about 40 tools; 64 are on." }),
      client({ id: "zed", name: "Zed", detected: false }),
      client({ id: "vscode", name: "VS Code", unreadable: "trailing comma at line 3" }),
    ]);
    await mountPage(new ClientsPage());

    expect(ipc.callsTo("list_clients")).toEqual([{}]);
    expect(get("client-claude_desktop").dataset.installed).toBe("true");
    expect(text(get("client-claude_desktop"))).toContain("installed");
    expect(text(button("Update", get("client-claude_desktop")))).toBe("Update");
    expect(get("client-claude_desktop").querySelector("[data-testid=client-remove]")).not.toBeNull();

    const cursor = get("client-cursor");
    expect(cursor.dataset.installed).toBe("false");
    expect(text(cursor)).toContain("Cursor handles about 40 tools");
    expect(text(cursor)).toContain("the core toolset");
    expect(cursor.querySelector("[data-testid=client-remove]")).toBeNull();

    expect(text(get("client-zed"))).toContain("not found");
    expect(text(get("client-zed"))).toContain("64 tools");
    expect(text(get("client-vscode"))).toContain("config unreadable");
    expect(text(get("client-vscode"))).toContain("trailing comma at line 3");
  });

  it("shows the exact change before installing, and installs only on confirm", async () => {
    const ipc = installer([client()]);
    await mountPage(new ClientsPage());

    await click(get("client-install"));

    expect(ipc.callsTo("preview_client_install")).toEqual([{ request: { client: "claude_desktop", mode: "live", core_tools: false } }]);
    expect(ipc.callsTo("confirm_client_change")).toEqual([]);
    const shown = dialog()!;
    expect(text(shown)).toContain(`Install — ${PATH}`);
    expect(text(shown)).toContain("A new key (wuse_live_AbCd…) is made");
    const [now, after] = [...get("client-diff").querySelectorAll("pre")].map((p) => p.textContent);
    expect(now).toBe(BEFORE);
    // The whole new file, with the key's secret masked.
    expect(after).toBe(AFTER.replace(SECRET, "wuse_live_AbCd…"));
    expect(document.body.textContent).not.toContain(SECRET);

    await click(get("client-confirm"));

    expect(ipc.callsTo("confirm_client_change")).toEqual([{ token: "tok_install_1" }]);
    expect(dialog()).toBeNull();
    expect(text(get("client-done"))).toBe(
      `Install: ${PATH} (the old file is kept as ${PATH}.bak). It uses the new key “Claude Desktop (whatsapp-use)”.`,
    );
    expect(get("client-claude_desktop").dataset.installed).toBe("true");
  });

  it("says when the file does not exist yet", async () => {
    const ipc = installer([client()]);
    ipc.on("preview_client_install", () => preview({ plan: { ...preview().plan, before: null, creates_file: true } }));
    await mountPage(new ClientsPage());
    await click(get("client-install"));
    expect(get("client-diff").querySelector("pre")!.textContent).toBe("(no file yet)");
  });

  it("cancelling the preview changes nothing", async () => {
    const ipc = installer([client()]);
    await mountPage(new ClientsPage());

    await click(get("client-install"));
    expect(query("client-diff")).not.toBeNull();
    await click(button("Cancel", dialog()!));

    expect(dialog()).toBeNull();
    expect(ipc.callsTo("confirm_client_change")).toEqual([]);
    expect(query("client-done")).toBeNull();
    expect(get("client-claude_desktop").dataset.installed).toBe("false");
  });

  it("clicking outside the dialog cancels too", async () => {
    const ipc = installer([client()]);
    await mountPage(new ClientsPage());
    await click(get("client-install"));
    await click(document.querySelector("#modal-root .backdrop")!);
    expect(dialog()).toBeNull();
    expect(ipc.callsTo("confirm_client_change")).toEqual([]);
  });

  it("installs with a test key and the core toolset where the client needs it", async () => {
    const ipc = installer([client({ id: "cursor", name: "Cursor", warning: "Too many tools for Cursor." })]);
    await mountPage(new ClientsPage());
    await choose(get("client-mode"), "test");
    await click(get("client-install"));
    expect(ipc.callsTo("preview_client_install")).toEqual([{ request: { client: "cursor", mode: "test", core_tools: true } }]);
  });

  it("previews a removal before making it", async () => {
    const ipc = installer([client({ installed: true })]);
    await mountPage(new ClientsPage());

    await click(get("client-remove"));
    expect(ipc.callsTo("preview_client_remove")).toEqual([{ client: "claude_desktop" }]);
    expect(ipc.callsTo("confirm_client_change")).toEqual([]);
    expect(text(dialog())).toContain(`Remove — ${PATH}`);
    expect(text(dialog())).not.toContain("A new key");
    expect(text(get("client-confirm"))).toBe("Remove");

    await click(get("client-confirm"));
    expect(ipc.callsTo("confirm_client_change")).toEqual([{ token: "tok_remove_claude_desktop" }]);
    expect(text(get("client-done"))).toBe(`Remove: ${PATH}.`);
    expect(get("client-claude_desktop").dataset.installed).toBe("false");
  });

  it("just refreshes when there is nothing to remove", async () => {
    const ipc = installer([client({ installed: true })]);
    ipc.on("preview_client_remove", () => null);
    await mountPage(new ClientsPage());
    await click(get("client-remove"));
    expect(dialog()).toBeNull();
    expect(ipc.callsTo("list_clients")).toHaveLength(2);
    expect(ipc.callsTo("confirm_client_change")).toEqual([]);
  });

  it("shows why a preview failed", async () => {
    const ipc = installer([client({ unreadable: "not JSON" })]);
    ipc.on("preview_client_install", fail("config_unreadable", "The config file is not valid JSON."));
    await mountPage(new ClientsPage());
    await click(get("client-install"));
    expect(dialog()).toBeNull();
    expect(alerts()).toEqual(["The config file is not valid JSON."]);
  });

  it("shows why a confirmed change failed", async () => {
    const ipc = installer([client()]);
    ipc.on("confirm_client_change", fail("stale_preview", "The file changed since the preview; look again."));
    await mountPage(new ClientsPage());
    await click(get("client-install"));
    await click(get("client-confirm"));
    expect(ipc.callsTo("confirm_client_change")).toHaveLength(1);
    expect(alerts()).toEqual(["The file changed since the preview; look again."]);
    expect(query("client-done")).toBeNull();
  });

  it("runs the client's own command where it has one, with the key cut short", async () => {
    const ipc = installer([client({ id: "claude_code", name: "Claude Code" })]);
    const argv = ["/usr/bin/claude", "mcp", "add", "--scope", "user", "whatsapp", "--header", `Authorization: Bearer ${SECRET}`];
    ipc.on("preview_client_install", () => preview({ plan: { ...preview().plan, client: "claude_code", action: { kind: "run", commands: [argv] } } }));
    await mountPage(new ClientsPage());
    await click(get("client-install"));
    expect(text(get("client-commands"))).toBe(`/usr/bin/claude mcp add --scope user whatsapp --header Authorization: Bearer wuse_live_AbCd…`);
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("shows an entry to paste once, after the key is saved", async () => {
    const entry = `{"mcpServers": {"whatsapp": {"env": {"WUSE_API_KEY": "${SECRET}"}}}}`;
    const ipc = installer([client({ id: "jetbrains", name: "JetBrains AI Assistant", method: "paste", config_path: null })]);
    ipc.on("preview_client_install", () =>
      preview({ plan: { ...preview().plan, client: "jetbrains", path: "", before: null, action: { kind: "paste", reason: null }, entry } }),
    );
    ipc.on("confirm_client_change", () => ({ action: { kind: "paste" as const, reason: null }, path: "", backup: null, key: key({ name: "JetBrains AI Assistant" }), paste: entry }));
    await mountPage(new ClientsPage());
    expect(text(get("client-jetbrains"))).toContain("Pasted in its settings");
    await click(get("client-install"));
    // Before confirming: cut short, and said that it is shown after.
    expect(text(get("client-entry"))).toContain("wuse_live_AbCd…");
    expect(document.body.textContent).not.toContain(SECRET);
    await click(get("client-confirm"));
    expect(ipc.callsTo("confirm_client_change")).toHaveLength(1);
    expect(text(get("client-paste"))).toBe(entry);
    await click(get("client-paste-done"));
    expect(query("client-paste")).toBeNull();
  });

  it("shows the empty state when no client is supported", async () => {
    installer([]);
    await mountPage(new ClientsPage());
    expect(text(get("page-clients"))).toContain("No supported MCP client was found.");
  });
});
