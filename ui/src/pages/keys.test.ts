import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { KeyView } from "../lib/backend";
import { key } from "../test/fixtures";
import { alerts, button, choose, click, dialog, fail, get, mockBackend, mountPage, query, text, typeInto } from "../test/harness";
import { KeysPage } from "./keys";

const SECRET = "wuse_live_Q2xhdWRlRGVza3RvcFNlY3JldEtleTAx";

/** A fake keys store: create_key adds a key, revoke_key marks it revoked. */
function keyStore(initial: KeyView[] = []) {
  let keys = [...initial];
  return mockBackend({
    list_keys: () => keys,
    create_key: ({ mode, name }) => {
      const k = key({ id: `key_${keys.length + 1}`, name: (name as string | null) ?? "Key", mode: mode as KeyView["mode"], hint: "wuse_live_Q2xh…" });
      keys = [...keys, k];
      return { key: k, secret: SECRET };
    },
    revoke_key: ({ id }) => {
      keys = keys.map((k) => (k.id === id ? { ...k, revoked_at: new Date().toISOString() } : k));
      return null;
    },
  });
}

describe("Keys page", () => {
  const writeText = vi.fn<(text: string) => Promise<void>>();
  beforeEach(() => {
    writeText.mockReset().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
  });
  afterEach(() => {
    Reflect.deleteProperty(navigator, "clipboard");
  });

  it("shows the empty state without keys", async () => {
    const ipc = keyStore();
    await mountPage(new KeysPage());
    expect(ipc.callsTo("list_keys")).toHaveLength(1);
    expect(text(get("page-keys"))).toContain("No keys yet");
    expect(query("key-list")).toBeNull();
  });

  it("lists keys, with revoked ones marked and without actions", async () => {
    keyStore([
      key({ id: "key_1", name: "Claude Desktop", chats: ["a@s.whatsapp.net", "b@g.us"] }),
      key({ id: "key_2", name: "Old agent", revoked_at: new Date().toISOString() }),
    ]);
    await mountPage(new KeysPage());
    const live = get("key-key_1");
    expect(text(live)).toContain("Claude Desktop");
    expect(text(live)).toContain("2 chats");
    expect(text(live)).toContain("never");
    expect(live.querySelector("[data-testid=key-revoke]")).not.toBeNull();
    const revoked = get("key-key_2");
    expect(revoked.className).toBe("revoked");
    expect(revoked.querySelector("[data-testid=key-revoke]")).toBeNull();
  });

  it("creates a key and shows its secret once, with a copy button", async () => {
    const ipc = keyStore();
    await mountPage(new KeysPage());

    await choose(get("key-mode"), "live");
    await typeInto(get("key-name"), "  Claude Desktop  ");
    await click(get("key-create"));

    expect(ipc.callsTo("create_key")).toEqual([{ mode: "live", name: "Claude Desktop" }]);
    expect(text(get("new-key-secret"))).toBe(SECRET);
    expect(text(get("new-key"))).toContain("Your new live key");
    // The list shows the hint, never the secret.
    expect(text(get("key-list"))).toContain("Claude Desktop");
    expect(text(get("key-list"))).not.toContain(SECRET);
    expect(get<HTMLInputElement>("key-name").value).toBe("");

    expect(text(get("copy-key"))).toBe("Copy");
    await click(get("copy-key"));
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(text(get("copy-key"))).toBe("Copied");

    await click(button("I saved it — hide it"));
    expect(query("new-key")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
  });

  it("does not show the secret again once the page is reopened", async () => {
    keyStore();
    const page = new KeysPage();
    await mountPage(page);
    await click(get("key-create"));
    expect(query("new-key-secret")).not.toBeNull();
    document.body.replaceChildren();

    await mountPage(new KeysPage());
    expect(query("new-key")).toBeNull();
    expect(query("key-key_1")).not.toBeNull();
  });

  it("sends no name when none is given (a test key by default)", async () => {
    const ipc = keyStore();
    await mountPage(new KeysPage());
    await typeInto(get("key-name"), "   ");
    await click(get("key-create"));
    expect(ipc.callsTo("create_key")).toEqual([{ mode: "test", name: null }]);
  });

  it("shows the backend's error in a banner when creating fails", async () => {
    const ipc = mockBackend({
      list_keys: () => [],
      create_key: fail("live_key_without_account", "Pair a WhatsApp account before making a live key."),
    });
    await mountPage(new KeysPage());
    await choose(get("key-mode"), "live");
    await click(get("key-create"));

    expect(ipc.callsTo("create_key")).toHaveLength(1);
    expect(alerts()).toEqual(["Pair a WhatsApp account before making a live key."]);
    expect(query("new-key")).toBeNull();
  });

  it("asks before revoking, and revokes only when confirmed", async () => {
    const ipc = keyStore([key({ id: "key_1", name: "Cursor" })]);
    await mountPage(new KeysPage());

    await click(get("key-revoke"));
    expect(text(dialog())).toContain("Revoke “Cursor”?");
    await click(get("confirm-cancel"));
    expect(dialog()).toBeNull();
    expect(ipc.callsTo("revoke_key")).toEqual([]);

    await click(get("key-revoke"));
    expect(text(get("confirm-ok"))).toBe("Revoke");
    await click(get("confirm-ok"));
    expect(ipc.callsTo("revoke_key")).toEqual([{ id: "key_1" }]);
    expect(get("key-key_1").className).toBe("revoked");
    expect(query("key-revoke")).toBeNull();
  });

  it("shows why a revoke failed", async () => {
    mockBackend({ list_keys: () => [key()], revoke_key: fail("not_found", "No such key.") });
    await mountPage(new KeysPage());
    await click(get("key-revoke"));
    await click(get("confirm-ok"));
    expect(alerts()).toEqual(["No such key."]);
  });

  it("limits a key to the chosen chats, or lifts the limit", async () => {
    const ipc = mockBackend({
      list_keys: () => [key({ id: "key_1", name: "Cursor", chats: ["a@s.whatsapp.net"] })],
      recent_chats: () => [
        { id: "a@s.whatsapp.net", account_id: "acc_1", name: "Ada", kind: "direct" },
        { id: "b@g.us", account_id: "acc_1", name: "Family", kind: "group" },
      ],
      restrict_key: () => null,
    });
    await mountPage(new KeysPage());

    await click(button("Chats…"));
    const boxes = [...dialog()!.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
    expect(boxes.map((b) => b.checked)).toEqual([true, false]);
    await click(boxes[0]);
    await click(boxes[1]);
    await click(button("Only the chosen"));
    expect(dialog()).toBeNull();

    await click(button("Chats…"));
    await click(button("Every chat"));

    expect(ipc.callsTo("restrict_key")).toEqual([
      { id: "key_1", chats: ["b@g.us"] },
      { id: "key_1", chats: null },
    ]);
  });
});
