import { beforeEach, describe, expect, it, vi } from "vitest";

import { NO_CHANGES, type SettingsPatch, type SettingsView } from "../lib/backend";
import { alerts, button, click, fail, get, mockBackend, mountPage, SETTINGS, text, typeInto } from "../test/harness";
import { SettingsPage } from "./settings";

const NO_CHANGE: SettingsPatch = NO_CHANGES;

/** A fake settings store: update_settings applies the non-null fields of the patch. */
function settingsStore() {
  let current: SettingsView = { ...SETTINGS };
  return mockBackend({
    get_settings: () => current,
    update_settings: ({ patch }) => {
      const changes = Object.fromEntries(Object.entries(patch as SettingsPatch).filter(([, v]) => v !== null));
      current = { ...current, ...changes };
      return current;
    },
    set_paused: ({ paused }) => {
      current = { ...current, paused: paused as boolean };
      return null;
    },
  });
}

const saved = () => text(document.querySelector(".banner.ok[role=status]"));

describe("Settings page", () => {
  beforeEach(() => {
    Object.defineProperty(navigator, "clipboard", { value: { writeText: vi.fn().mockResolvedValue(undefined) }, configurable: true });
  });

  it("shows the current settings", async () => {
    settingsStore();
    await mountPage(new SettingsPage());
    expect(text(get("mcp-url"))).toBe(SETTINGS.mcp_url);
    expect(get<HTMLInputElement>("setting-port").value).toBe("8555");
    expect(get<HTMLInputElement>("setting-rate").value).toBe("120");
    expect(get<HTMLInputElement>("setting-new-chats").value).toBe("5");
    expect(get<HTMLInputElement>("setting-retention").value).toBe("30");
    expect(get<HTMLTextAreaElement>("setting-roots").value).toBe("/home/me/Pictures");
    expect(get<HTMLInputElement>("settings-pause").checked).toBe(true);
    expect(get<HTMLInputElement>("setting-autostart").checked).toBe(false);
    expect(text(get("page-settings"))).toContain(SETTINGS.data_dir);
    expect(text(get("page-settings"))).toContain(SETTINGS.version);
  });

  it("saves a new port, changing nothing else", async () => {
    const ipc = settingsStore();
    await mountPage(new SettingsPage());

    await typeInto(get("setting-port"), "9000", true);

    expect(ipc.callsTo("update_settings")).toEqual([{ patch: { ...NO_CHANGE, port: 9000 } }]);
    expect(saved()).toBe("Port (takes effect at the next start) saved.");
    expect(get<HTMLInputElement>("setting-port").value).toBe("9000");
  });

  it("does not save a number field left empty or unreadable", async () => {
    const ipc = settingsStore();
    await mountPage(new SettingsPage());

    await typeInto(get("setting-rate"), "", true);
    await typeInto(get("setting-port"), "eighty", true);

    expect(ipc.callsTo("update_settings")).toEqual([]);
  });

  it("saves each of the limits under its own field", async () => {
    const ipc = settingsStore();
    await mountPage(new SettingsPage());

    await typeInto(get("setting-rate"), "0", true);
    await typeInto(get("setting-new-chats"), "3", true);
    await typeInto(get("setting-retention"), "7", true);
    await typeInto(get("setting-approval-timeout"), "60", true);

    expect(ipc.callsTo("update_settings")).toEqual([
      { patch: { ...NO_CHANGE, rate_limit_per_minute: 0 } },
      { patch: { ...NO_CHANGE, new_chat_sends_per_minute: 3 } },
      { patch: { ...NO_CHANGE, event_retention_days: 7 } },
      { patch: { ...NO_CHANGE, approval_timeout_s: 60 } },
    ]);
    expect(saved()).toBe("Approval timeout saved.");
  });

  it("saves upload folders one per line, trimmed", async () => {
    const ipc = settingsStore();
    await mountPage(new SettingsPage());
    await typeInto(get("setting-roots"), "  /home/me/Pictures \n\n/tmp/out  \n", true);
    expect(ipc.callsTo("update_settings")).toEqual([{ patch: { ...NO_CHANGE, upload_roots: ["/home/me/Pictures", "/tmp/out"] } }]);
    expect(saved()).toBe("Upload folders saved.");
  });

  it("switches start at login and message bodies in the log", async () => {
    const ipc = settingsStore();
    await mountPage(new SettingsPage());
    await click(get("setting-autostart"));
    await click(document.querySelector<HTMLInputElement>("input[aria-label='Keep message bodies']")!);
    expect(ipc.callsTo("update_settings")).toEqual([
      { patch: { ...NO_CHANGE, autostart: true } },
      { patch: { ...NO_CHANGE, audit_bodies: true } },
    ]);
    expect(get<HTMLInputElement>("setting-autostart").checked).toBe(true);
  });

  it("pauses and resumes agent access", async () => {
    const ipc = settingsStore();
    await mountPage(new SettingsPage());

    await click(get("settings-pause"));
    expect(ipc.callsTo("set_paused")).toEqual([{ paused: true }]);
    expect(ipc.callsTo("update_settings")).toEqual([]);
    expect(get<HTMLInputElement>("settings-pause").checked).toBe(false);

    await click(get("settings-pause"));
    expect(ipc.callsTo("set_paused")).toEqual([{ paused: true }, { paused: false }]);
    expect(get<HTMLInputElement>("settings-pause").checked).toBe(true);
  });

  it("shows why a save failed", async () => {
    const ipc = settingsStore();
    ipc.on("update_settings", fail("invalid_port", "Port 80 needs administrator rights; use 1024 or above."));
    await mountPage(new SettingsPage());

    await typeInto(get("setting-port"), "80", true);

    expect(ipc.callsTo("update_settings")).toHaveLength(1);
    expect(alerts()).toEqual(["Port 80 needs administrator rights; use 1024 or above."]);
    expect(saved()).toBe("");
  });

  it("shows why pausing failed and keeps the switch as it is", async () => {
    const ipc = settingsStore();
    ipc.on("set_paused", fail("internal", "Could not save the pause switch."));
    await mountPage(new SettingsPage());

    await click(get("settings-pause"));

    expect(ipc.callsTo("set_paused")).toEqual([{ paused: true }]);
    expect(alerts()).toEqual(["Could not save the pause switch."]);
    expect(get<HTMLInputElement>("settings-pause").checked).toBe(true);
  });

  it("copies the MCP endpoint", async () => {
    settingsStore();
    await mountPage(new SettingsPage());
    await click(button("Copy"));
    expect(navigator.clipboard.writeText).toHaveBeenCalledWith(SETTINGS.mcp_url);
  });
});
