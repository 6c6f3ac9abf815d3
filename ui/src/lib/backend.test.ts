import { emit } from "@tauri-apps/api/event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { account, activity } from "../test/fixtures";
import { fail, mockBackend, settle } from "../test/harness";
import { BackendError, backend, copyText, on } from "./backend";

describe("backend commands", () => {
  it("sends each command under its Rust name with the generated argument names", async () => {
    const ipc = mockBackend({
      list_accounts: () => [],
      pair_account: () => account(),
      create_key: () => ({}),
      restrict_key: () => null,
      set_tool: () => null,
      apply_preset: () => null,
      get_activity: () => [],
      update_settings: () => ({}),
      preview_client_install: () => ({}),
      preview_client_remove: () => null,
      confirm_client_change: () => ({}),
    });
    await backend.listAccounts();
    await backend.pairAccount({ kind: "live", phone: null, label: "x", account_id: null });
    await backend.createKey("test", null);
    await backend.restrictKey("key_1", ["c@g.us"]);
    await backend.setTool("key_1", "send_message", "ask");
    await backend.applyPreset(null, "core");
    await backend.getActivity({ kind: "call", search: "ada", limit: 10 });
    await backend.previewClientInstall({ client: "zed", mode: "live", core_tools: false });
    await backend.previewClientRemove("zed");
    await backend.confirmClientChange("tok");

    expect(ipc.calls.map((c) => [c.cmd, c.args])).toEqual([
      ["list_accounts", {}],
      ["pair_account", { request: { kind: "live", phone: null, label: "x", account_id: null } }],
      ["create_key", { mode: "test", name: null }],
      ["restrict_key", { id: "key_1", chats: ["c@g.us"] }],
      ["set_tool", { key: "key_1", tool: "send_message", state: "ask" }],
      ["apply_preset", { key: null, preset: "core" }],
      ["get_activity", { query: { kind: "call", search: "ada", limit: 10 } }],
      ["preview_client_install", { request: { client: "zed", mode: "live", core_tools: false } }],
      ["preview_client_remove", { client: "zed" }],
      ["confirm_client_change", { token: "tok" }],
    ]);
  });

  it("unwraps a command's result", async () => {
    mockBackend({ list_accounts: () => [account({ id: "acc_9" })], recent_chats: () => [], list_clients: () => [] });
    await expect(backend.listAccounts()).resolves.toEqual([account({ id: "acc_9" })]);
    await expect(backend.recentChats()).resolves.toEqual([]);
    // list_clients cannot fail: its binding is not a Result.
    await expect(backend.listClients()).resolves.toEqual([]);
  });

  it("turns a ControlError into a BackendError with its code and message", async () => {
    mockBackend({ revoke_key: fail("not_found", "No key key_404.") });
    const error = await backend.revokeKey("key_404").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "not_found", message: "No key key_404." });
  });

  it("keeps the message of a failure that is not a ControlError (bad arguments, missing command)", async () => {
    mockBackend({
      delete_account: () => {
        throw "invalid args `id` for command `delete_account`: invalid type: null, expected a string";
      },
    });
    const error = await backend.deleteAccount("acc_1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: "server_error" });
    expect((error as BackendError).message).toBe("invalid args `id` for command `delete_account`: invalid type: null, expected a string");
  });

  it("lets a JavaScript error through as it is", async () => {
    mockBackend({ get_settings: () => Promise.reject(new TypeError("boom")) });
    await expect(backend.getSettings()).rejects.toThrow(TypeError);
  });
});

describe("backend events", () => {
  it("passes each event's payload and stops on unlisten", async () => {
    mockBackend({});
    const changed = vi.fn();
    const appended = vi.fn();
    const tools = vi.fn();
    const stops = [await on.accountsChanged(changed), await on.activity(appended), await on.toolsChanged(tools)];

    const item = activity();
    await emit("accounts-changed", { account_id: "acc_1" });
    await emit("activity-appended", { item });
    await emit("tools-changed", {});
    await emit("unrelated", {});
    expect(changed).toHaveBeenCalledExactlyOnceWith("acc_1");
    expect(appended).toHaveBeenCalledExactlyOnceWith(item);
    expect(tools).toHaveBeenCalledOnce();

    stops.forEach((stop) => stop());
    await settle();
    await emit("accounts-changed", { account_id: "acc_2" });
    await emit("tools-changed", {});
    expect(changed).toHaveBeenCalledOnce();
    expect(tools).toHaveBeenCalledOnce();
  });
});

describe("copyText", () => {
  afterEach(() => {
    Reflect.deleteProperty(navigator, "clipboard");
    Reflect.deleteProperty(document, "execCommand");
  });

  it("uses the clipboard API", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await copyText("wuse_test_secret");
    expect(writeText).toHaveBeenCalledWith("wuse_test_secret");
  });

  it("falls back to a selected text area where the API is missing", async () => {
    let copied = "";
    Object.defineProperty(document, "execCommand", {
      configurable: true,
      value: vi.fn((command: string) => {
        if (command === "copy") copied = document.querySelector("textarea")?.value ?? "";
        return true;
      }),
    });
    await copyText("wuse_test_secret");
    expect(document.execCommand).toHaveBeenCalledWith("copy");
    expect(copied).toBe("wuse_test_secret");
    expect(document.querySelector("textarea")).toBeNull();
  });
});
