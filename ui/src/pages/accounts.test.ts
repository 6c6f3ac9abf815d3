import { describe, expect, it } from "vitest";

import { account } from "../test/fixtures";
import { alerts, all, button, choose, click, dialog, emitEvent, fail, get, mockBackend, mountPage, query, text, typeInto } from "../test/harness";
import { AccountsPage } from "./accounts";

const QR = "data:image/png;base64,iVBORw0KGgo=";

describe("Accounts page", () => {
  it("shows the empty state when there are no accounts", async () => {
    const ipc = mockBackend({ list_accounts: () => [] });
    await mountPage(new AccountsPage());

    expect(ipc.callsTo("list_accounts")).toHaveLength(1);
    expect(text(get("page-accounts"))).toContain("No accounts yet");
    expect(all("add-account").length).toBeGreaterThan(0);
    expect(document.querySelector("[data-testid^='account-acc']")).toBeNull();
  });

  it("lists accounts with their status", async () => {
    mockBackend({
      list_accounts: () => [
        account({ id: "acc_1", label: "Work phone", status: "connected" }),
        account({ id: "acc_2", label: "Old phone", status: "logged_out", phone: null }),
      ],
    });
    await mountPage(new AccountsPage());

    const work = get("account-acc_1");
    expect(work.dataset.status).toBe("connected");
    expect(text(work)).toContain("Work phone");
    expect(text(work.querySelector("[data-testid=account-status]"))).toBe("Connected");
    const old = get("account-acc_2");
    expect(text(old.querySelector("[data-testid=account-status]"))).toBe("Logged out");
    expect(text(old)).toContain("not paired yet");
    expect(text(get("page-accounts"))).not.toContain("No accounts yet");
  });

  it("shows a loading failure with a way to try again", async () => {
    const ipc = mockBackend({ list_accounts: fail("store_locked", "The store is locked.") });
    await mountPage(new AccountsPage());
    expect(alerts()).toEqual(["The store is locked. Try again"]);

    ipc.on("list_accounts", () => [account()]);
    await click(button("Try again"));
    expect(alerts()).toEqual([]);
    expect(query("account-acc_1")).not.toBeNull();
  });

  it("pairs a new account by QR code and shows the QR", async () => {
    let accounts = [] as ReturnType<typeof account>[];
    const ipc = mockBackend({
      list_accounts: () => accounts,
      pair_account: () => {
        const a = account({
          id: "acc_new",
          label: "Work phone",
          status: "pairing",
          phone: null,
          connected_at: null,
          pairing: { method: "qr", qr: "2@abc", qr_png: QR, qr_expires_at: null, code: null },
        });
        accounts = [a];
        return a;
      },
    });
    await mountPage(new AccountsPage());

    await click(get("add-account"));
    expect(query("pair-form")).not.toBeNull();
    await typeInto(get("pair-label"), "Work phone");
    await click(get("pair-start"));

    expect(ipc.callsTo("pair_account")).toEqual([{ request: { kind: "live", phone: null, label: "Work phone", account_id: null } }]);
    // The history choice was saved before the phone links (the default: recent).
    expect(ipc.callsTo("update_settings").map((a) => (a.patch as { history_on_link: string }).history_on_link)).toEqual(["recent"]);
    expect(ipc.callsTo("list_accounts")).toHaveLength(2);
    expect(query("pair-form")).toBeNull();
    const card = get("account-acc_new");
    expect(card.dataset.status).toBe("pairing");
    expect(text(card.querySelector("[data-testid=account-status]"))).toBe("Waiting for the phone");
    expect(get<HTMLImageElement>("pair-qr").getAttribute("src")).toBe(QR);
  });

  it("asks how much history the phone sends before the QR code appears", async () => {
    const ipc = mockBackend({ list_accounts: () => [], pair_account: () => account({ status: "pairing" }) });
    await mountPage(new AccountsPage());

    await click(get("add-account"));
    expect(query("pair-history")).not.toBeNull();
    await choose(get("pair-history"), "everything");
    await click(get("pair-start"));

    const order = ipc.calls.map((c) => c.cmd).filter((c) => c === "update_settings" || c === "pair_account");
    expect(order).toEqual(["update_settings", "pair_account"]);
    expect(ipc.callsTo("update_settings")[0].patch).toMatchObject({ history_on_link: "everything", port: null });

    // A sandbox account has no phone to ask: no choice.
    await click(get("add-account"));
    await choose(get("pair-kind"), "sandbox");
    expect(query("pair-history")).toBeNull();
  });

  it("shows the history the phone is pushing, the offline queue and chat settings that did not sync", async () => {
    const oldest = "2024-03-01T10:00:00.000Z";
    const sync = (done: boolean) => ({
      history: { chunks: 3, messages: 1250, new_messages: 1250, oldest, progress: done ? 100 : 40, done },
      offline: { total: 12, messages: 9, done: false },
      app_state_failed: ["regular_low"],
    });
    let done = false;
    mockBackend({ list_accounts: () => [account({ sync: sync(done) })] });
    await mountPage(new AccountsPage());

    const history = get("history-sync");
    expect(history.dataset.done).toBe("false");
    expect(history.querySelector<HTMLElement>(".progress div")!.style.width).toBe("40%");
    expect(text(history)).toContain("Syncing history… 40%: 1,250 messages in 3 chunks, back to");
    expect(text(history)).toContain(new Date(oldest).toLocaleDateString());
    expect(text(get("offline-sync"))).toContain("12 items");
    expect(text(get("app-state-failed"))).toContain("regular_low");

    done = true;
    await emitEvent("accounts-changed", { account_id: "acc_1" });
    expect(get("history-sync").dataset.done).toBe("true");
    expect(get("history-sync").querySelector(".progress")).toBeNull();
    expect(text(get("history-sync"))).toContain("History synced: 1,250 messages in 3 chunks");
  });

  it("pairs a sandbox account by phone number code", async () => {
    let accounts = [] as ReturnType<typeof account>[];
    const ipc = mockBackend({
      list_accounts: () => accounts,
      pair_account: () => {
        accounts = [
          account({
            id: "acc_sb",
            kind: "sandbox",
            label: null,
            status: "pairing",
            pairing: { method: "code", qr: null, qr_png: null, qr_expires_at: null, code: "ABCD-EFGH" },
          }),
        ];
        return accounts[0];
      },
    });
    await mountPage(new AccountsPage());

    await click(get("add-account"));
    expect(query("pair-phone")).toBeNull();
    await choose(get("pair-kind"), "sandbox");
    await choose(get("pair-method"), "code");
    await typeInto(get("pair-phone"), "+14155550100");
    await click(get("pair-start"));

    expect(ipc.callsTo("pair_account")).toEqual([{ request: { kind: "sandbox", phone: "+14155550100", label: null, account_id: null } }]);
    expect(text(get("pair-code"))).toBe("ABCD-EFGH");
    expect(query("pair-qr")).toBeNull();
  });

  it("keeps the form open and shows why when pairing fails", async () => {
    const ipc = mockBackend({
      list_accounts: () => [],
      pair_account: fail("invalid_phone", "That phone number is not valid."),
    });
    await mountPage(new AccountsPage());

    await click(get("add-account"));
    await choose(get("pair-method"), "code");
    await typeInto(get("pair-phone"), "12");
    await click(get("pair-start"));

    expect(ipc.callsTo("pair_account")).toHaveLength(1);
    expect(alerts()).toEqual(["That phone number is not valid."]);
    expect(query("pair-form")).not.toBeNull();
    expect(get<HTMLButtonElement>("pair-start").disabled).toBe(false);
  });

  it("refreshes when the backend says accounts changed", async () => {
    let status: "pairing" | "connected" = "pairing";
    const ipc = mockBackend({
      list_accounts: () => [
        account({
          status,
          pairing: status === "pairing" ? { method: "qr", qr: "2@x", qr_png: QR, qr_expires_at: null, code: null } : null,
        }),
      ],
    });
    await mountPage(new AccountsPage());
    expect(get("account-acc_1").dataset.status).toBe("pairing");
    expect(query("pair-qr")).not.toBeNull();

    status = "connected";
    await emitEvent("accounts-changed", { account_id: "acc_1" });

    expect(ipc.callsTo("list_accounts")).toHaveLength(2);
    expect(get("account-acc_1").dataset.status).toBe("connected");
    expect(text(get("account-status"))).toBe("Connected");
    expect(query("pair-qr")).toBeNull();
  });

  it("stops listening once it is left", async () => {
    const ipc = mockBackend({ list_accounts: () => [] });
    const page = new AccountsPage();
    await mountPage(page);
    page.unmount();
    await emitEvent("accounts-changed", { account_id: "acc_1" });
    expect(ipc.callsTo("list_accounts")).toHaveLength(1);
  });

  it("asks before deleting an account, and deletes only when confirmed", async () => {
    let accounts = [account({ id: "acc_1", label: "Work phone" })];
    const ipc = mockBackend({
      list_accounts: () => accounts,
      delete_account: ({ id }) => {
        accounts = accounts.filter((a) => a.id !== id);
        return null;
      },
    });
    await mountPage(new AccountsPage());

    await click(get("account-delete"));
    expect(text(dialog())).toContain("Delete Work phone");
    expect(ipc.callsTo("delete_account")).toEqual([]);
    await click(get("confirm-cancel"));
    expect(dialog()).toBeNull();
    expect(ipc.callsTo("delete_account")).toEqual([]);
    expect(query("account-acc_1")).not.toBeNull();

    await click(get("account-delete"));
    await click(get("confirm-ok"));
    expect(ipc.callsTo("delete_account")).toEqual([{ id: "acc_1" }]);
    expect(query("account-acc_1")).toBeNull();
    expect(text(get("page-accounts"))).toContain("No accounts yet");
  });

  it("shows why a delete failed", async () => {
    const ipc = mockBackend({
      list_accounts: () => [account()],
      delete_account: fail("busy", "The account is still syncing."),
    });
    await mountPage(new AccountsPage());
    await click(get("account-delete"));
    await click(get("confirm-ok"));
    expect(ipc.callsTo("delete_account")).toEqual([{ id: "acc_1" }]);
    expect(alerts()).toEqual(["The account is still syncing."]);
    expect(query("account-acc_1")).not.toBeNull();
  });

  it("reconnects, logs out and pairs again with the account's id", async () => {
    const ipc = mockBackend({
      list_accounts: () => [account({ id: "acc_1", status: "disconnected" }), account({ id: "acc_2", kind: "sandbox", status: "expired" })],
      reconnect_account: () => null,
      logout_account: () => null,
      pair_account: () => account({ id: "acc_2", status: "pairing" }),
    });
    await mountPage(new AccountsPage());

    await click(button("Reconnect", get("account-acc_1")));
    await click(button("Log out", get("account-acc_1")));
    await click(button("Pair again", get("account-acc_2")));

    expect(ipc.callsTo("reconnect_account")).toEqual([{ id: "acc_1" }]);
    expect(ipc.callsTo("logout_account")).toEqual([{ id: "acc_1" }]);
    expect(ipc.callsTo("pair_account")).toEqual([{ request: { kind: "sandbox", phone: null, label: null, account_id: "acc_2" } }]);
  });
});
