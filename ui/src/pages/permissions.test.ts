import { describe, expect, it } from "vitest";

import type { AllowanceView, Preset, ToolState, ToolView } from "../lib/backend";
import { key, tool, tools } from "../test/fixtures";
import { alerts, all, button, choose, click, emitEvent, fail, get, mockBackend, mountPage, query, text } from "../test/harness";
import { PermissionsPage } from "./permissions";

const SEND = tool({ name: "send_message", family: "messages", sends: true });
const LIST = tool({ name: "list_chats", family: "chats", effect: "read", sends: false, askable: false });
const DELETE = tool({ name: "delete_chat", family: "chats", effect: "destructive", sends: false, askable: false });

/**
 * A fake tool store: global switches, per-key switches, the pause switch and the
 * "always allow" list, answering get_tools for a scope the way the backend does.
 */
function toolStore() {
  const global = new Map<string, ToolState>();
  const perKey = new Map<string, Map<string, ToolState>>();
  let paused = false;
  let allowances: AllowanceView[] = [];
  const view = (scope: string | null) => {
    const own = scope ? perKey.get(scope) : undefined;
    const list: ToolView[] = [SEND, LIST, DELETE].map((t) => {
      const g = global.get(t.name) ?? null;
      const k = own?.get(t.name) ?? null;
      const state = k ?? g ?? "on";
      return { ...t, global: g, key: scope ? k : null, state, enabled: state !== "off" };
    });
    return tools(list, { paused });
  };
  const setTool = (scope: string | null, name: string, state: ToolState) => {
    if (scope) {
      if (!perKey.has(scope)) perKey.set(scope, new Map());
      perKey.get(scope)!.set(name, state);
    } else global.set(name, state);
  };
  const ipc = mockBackend({
    list_keys: () => [key({ id: "key_1", name: "Cursor", mode: "live" }), key({ id: "key_2", name: "Gone", revoked_at: new Date().toISOString() })],
    get_tools: ({ key }) => view(key as string | null),
    set_tool: ({ key, tool, state }) => {
      setTool(key as string | null, tool as string, state as ToolState);
      return null;
    },
    apply_preset: ({ key, preset }) => {
      for (const t of [SEND, LIST, DELETE]) {
        const on = preset === "all" || (preset === "read_only" && t.effect === "read");
        setTool(key as string | null, t.name, preset === "ask_before_sending" ? (t.askable ? "ask" : "on") : on ? "on" : "off");
      }
      return null;
    },
    set_paused: (args) => {
      paused = args.paused as boolean;
      return null;
    },
    list_allowances: () => allowances,
    revoke_allowance: ({ key, chat }) => {
      allowances = allowances.filter((a) => !(a.key_id === key && a.chat_id === chat));
      return null;
    },
  });
  return Object.assign(ipc, {
    allow(a: AllowanceView) {
      allowances.push(a);
    },
  });
}

function toggleOf(name: string): HTMLInputElement {
  return get<HTMLInputElement>(`toggle-${name}`);
}

describe("Permissions page", () => {
  it("lists every tool by family with its switch", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());

    expect(ipc.callsTo("get_tools")).toEqual([{ key: null }]);
    expect(text(get("tool-count"))).toBe("3 of 3 tools on.");
    const families = [...document.querySelectorAll(".family h2")].map((h) => h.textContent);
    expect(families).toEqual(["Messages", "Chats"]);
    expect(toggleOf("send_message").checked).toBe(true);
    expect(text(get("tool-send_message"))).toContain("others see it");
    expect(text(get("tool-delete_chat"))).toContain("destructive");
    expect(text(get("tool-list_chats"))).not.toContain("others see it");
  });

  it("turns a tool off for every key", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());

    await click(toggleOf("send_message"));

    expect(ipc.callsTo("set_tool")).toEqual([{ key: null, tool: "send_message", state: "off" }]);
    expect(ipc.callsTo("get_tools")).toHaveLength(2);
    expect(toggleOf("send_message").checked).toBe(false);
    expect(text(get("tool-count"))).toBe("2 of 3 tools on.");

    await click(toggleOf("send_message"));
    expect(ipc.callsTo("set_tool")[1]).toEqual({ key: null, tool: "send_message", state: "on" });
    expect(toggleOf("send_message").checked).toBe(true);
  });

  it("puts the switch back and says why when the change fails", async () => {
    const ipc = toolStore();
    ipc.on("set_tool", fail("unknown_tool", "There is no tool send_message."));
    await mountPage(new PermissionsPage());

    await click(toggleOf("send_message"));

    expect(ipc.callsTo("set_tool")).toHaveLength(1);
    expect(alerts()).toEqual(["There is no tool send_message."]);
    expect(toggleOf("send_message").checked).toBe(true);
  });

  it.each<[Preset, string]>([
    ["read_only", "1 of 3 tools on."],
    ["all", "3 of 3 tools on."],
  ])("applies the %s preset", async (preset, count) => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());
    expect(query("preset-no_send")).not.toBeNull();
    expect(query("preset-core")).not.toBeNull();

    await click(get(`preset-${preset}`));

    expect(ipc.callsTo("apply_preset")).toEqual([{ key: null, preset }]);
    expect(text(get("tool-count"))).toBe(count);
  });

  it("switches tools for one key only", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());

    const scope = get<HTMLSelectElement>("perm-scope");
    expect([...scope.options].map((o) => [o.value, o.text])).toEqual([
      ["", "Every key"],
      ["key_1", "Cursor (live)"],
    ]);
    await choose(scope, "key_1");
    expect(ipc.callsTo("get_tools").at(-1)).toEqual({ key: "key_1" });
    expect(text(get("tool-count"))).toBe("3 of 3 tools on for this key.");
    expect(text(get("tool-send_message"))).not.toContain("set for this key");

    await click(toggleOf("send_message"));
    expect(ipc.callsTo("set_tool")).toEqual([{ key: "key_1", tool: "send_message", state: "off" }]);
    expect(text(get("tool-send_message"))).toContain("set for this key");
    expect(toggleOf("send_message").checked).toBe(false);

    await click(get("preset-read_only"));
    expect(ipc.callsTo("apply_preset")).toEqual([{ key: "key_1", preset: "read_only" }]);

    // Back to every key: the global switches were not touched.
    await choose(get("perm-scope"), "");
    expect(ipc.callsTo("get_tools").at(-1)).toEqual({ key: null });
    expect(toggleOf("send_message").checked).toBe(true);
    expect(text(get("tool-count"))).toBe("3 of 3 tools on.");
  });

  it("pauses and resumes all agent access", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());
    const pause = () => get<HTMLInputElement>("pause-toggle");
    expect(pause().checked).toBe(true);

    await click(pause());
    expect(ipc.callsTo("set_paused")).toEqual([{ paused: true }]);
    expect(text(get("page-permissions"))).toContain("Agent access is paused");
    expect(pause().checked).toBe(false);

    await click(pause());
    expect(ipc.callsTo("set_paused")).toEqual([{ paused: true }, { paused: false }]);
    expect(text(get("page-permissions"))).toContain("Agents have access");
  });

  it("reloads when the backend says tools changed", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());
    // Changed elsewhere (the tray, another window).
    ipc.on("get_tools", () => tools([{ ...SEND, state: "off", enabled: false }, LIST, DELETE], { paused: true }));

    await emitEvent("tools-changed", {});

    expect(toggleOf("send_message").checked).toBe(false);
    expect(text(get("page-permissions"))).toContain("Agent access is paused");
    // The sidebar follows too.
    expect(ipc.callsTo("get_settings")).toHaveLength(2);
  });

  it("still shows the tools when the keys cannot be listed", async () => {
    const ipc = toolStore();
    ipc.on("list_keys", fail("store_locked", "The store is locked."));
    await mountPage(new PermissionsPage());
    expect(query("tool-send_message")).not.toBeNull();
    expect([...get<HTMLSelectElement>("perm-scope").options].map((o) => o.value)).toEqual([""]);
  });

  it("sets a sending tool to ask first, and back", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());
    // Only tools that change what others see can ask.
    expect(query("ask-list_chats")).toBeNull();
    const ask = () => get<HTMLInputElement>("ask-send_message");
    expect(ask().checked).toBe(false);

    await click(ask());
    expect(ipc.callsTo("set_tool")).toEqual([{ key: null, tool: "send_message", state: "ask" }]);
    expect(ask().checked).toBe(true);
    // Asking is still "on" for the count and the switch.
    expect(toggleOf("send_message").checked).toBe(true);
    expect(text(get("tool-count"))).toBe("3 of 3 tools on.");

    await click(ask());
    expect(ipc.callsTo("set_tool")[1]).toEqual({ key: null, tool: "send_message", state: "on" });

    // Off: nothing to ask about.
    await click(toggleOf("send_message"));
    expect(ask().disabled).toBe(true);
  });

  it("applies the ask-before-sending preset", async () => {
    const ipc = toolStore();
    await mountPage(new PermissionsPage());
    await click(get("preset-ask_before_sending"));
    expect(ipc.callsTo("apply_preset")).toEqual([{ key: null, preset: "ask_before_sending" }]);
    expect(get<HTMLInputElement>("ask-send_message").checked).toBe(true);
    expect(get("preset-ask_before_sending").textContent).toContain("Ask before anything is sent");
  });

  it("lists the chats a key sends to without asking, and takes one back", async () => {
    const ipc = toolStore();
    ipc.allow({ key_id: "key_1", key_name: "Cursor", chat_id: "14155550123@s.whatsapp.net", chat_name: "Bob" });
    await mountPage(new PermissionsPage());

    expect(all("allowance").map(text)).toEqual(["Cursor → Bob Ask again"]);
    await click(button("Ask again", get("allowances")));

    expect(ipc.callsTo("revoke_allowance")).toEqual([{ key: "key_1", chat: "14155550123@s.whatsapp.net" }]);
    expect(query("allowances")).toBeNull();
  });
});
