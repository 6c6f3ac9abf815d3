import { emit } from "@tauri-apps/api/event";
import { describe, expect, it } from "vitest";

import type { ActivityItem, ActivityQuery, ApprovalView } from "../lib/backend";
import { activity, approval } from "../test/fixtures";
import { alerts, all, button, click, emitEvent, fail, get, mockBackend, mountPage, query, settle, text, typeInto } from "../test/harness";
import { ActivityPage } from "./activity";

const RECEIVED = activity({ id: "a1", kind: "event", title: "message.received", summary: "Ada: hello there" });
const CALL = activity({
  id: "a2",
  kind: "call",
  title: "send_message",
  summary: "Sent “on my way” to Ada",
  outcome: "ok",
  key_name: "Claude Desktop",
  duration_ms: 42,
  detail: { chat: "Ada", text: "on my way" },
});
const FAILED = activity({ id: "a3", kind: "call", title: "delete_chat", summary: "Refused: tool is off", outcome: "forbidden", duration_ms: 3 });

/** A fake activity log that filters like the backend does (kind, words). */
function activityLog(items: ActivityItem[]) {
  return mockBackend({
    get_activity: (args) => {
      const q = args.query as ActivityQuery;
      const words = (q.search ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      return items
        .filter((i) => !q.kind || i.kind === q.kind)
        .filter((i) => words.every((w) => `${i.title} ${i.summary}`.toLowerCase().includes(w)))
        .slice(0, q.limit ?? undefined);
    },
  });
}

const titles = () => all("activity-item").map((li) => li.dataset.title);

describe("Activity page", () => {
  it("loads the latest activity, newest first as the backend gives it", async () => {
    const ipc = activityLog([FAILED, CALL, RECEIVED]);
    await mountPage(new ActivityPage());

    expect(ipc.callsTo("get_activity")).toEqual([{ query: { kind: null, search: null, limit: 200 } }]);
    expect(titles()).toEqual(["delete_chat", "send_message", "message.received"]);
    const [failed, call, received] = all("activity-item");
    expect(text(received)).toContain("received");
    expect(text(received)).not.toContain("message.received");
    expect(text(call)).toContain("42 ms");
    expect(call.querySelector(".pill.ok")).not.toBeNull();
    expect(failed.querySelector(".pill.bad")).not.toBeNull();
    expect(received.querySelector(".pill.info")).not.toBeNull();
  });

  it("shows the empty state when nothing happened yet", async () => {
    activityLog([]);
    await mountPage(new ActivityPage());
    expect(text(get("page-activity"))).toContain("Nothing yet");
    expect(query("activity-list")).toBeNull();
  });

  it("prepends live items as they arrive", async () => {
    activityLog([RECEIVED]);
    await mountPage(new ActivityPage());

    await emitEvent("activity-appended", { item: CALL });
    expect(titles()).toEqual(["send_message", "message.received"]);

    await emitEvent("activity-appended", { item: FAILED });
    expect(titles()).toEqual(["delete_chat", "send_message", "message.received"]);
  });

  it("turns the empty state into a list when the first item arrives", async () => {
    activityLog([]);
    await mountPage(new ActivityPage());
    await emitEvent("activity-appended", { item: RECEIVED });
    expect(titles()).toEqual(["message.received"]);
  });

  it("filters by kind through get_activity, and live items by the same filter", async () => {
    const ipc = activityLog([FAILED, CALL, RECEIVED]);
    await mountPage(new ActivityPage());

    await click(get("activity-tab-call"));
    expect(ipc.callsTo("get_activity").at(-1)).toEqual({ query: { kind: "call", search: null, limit: 200 } });
    expect(titles()).toEqual(["delete_chat", "send_message"]);
    expect(get("activity-tab-call").getAttribute("aria-selected")).toBe("true");
    expect(get("activity-tab-all").getAttribute("aria-selected")).toBe("false");

    // A WhatsApp event does not show among agent calls...
    await emitEvent("activity-appended", { item: activity({ id: "a4", title: "message.read", summary: "Ada read it" }) });
    expect(titles()).toEqual(["delete_chat", "send_message"]);
    // ...a call does.
    await emitEvent("activity-appended", { item: activity({ id: "a5", kind: "call", title: "list_chats", summary: "12 chats", outcome: "ok" }) });
    expect(titles()).toEqual(["list_chats", "delete_chat", "send_message"]);

    await click(get("activity-tab-event"));
    expect(ipc.callsTo("get_activity").at(-1)).toEqual({ query: { kind: "event", search: null, limit: 200 } });
    expect(titles()).toEqual(["message.received"]);

    await click(get("activity-tab-all"));
    expect(ipc.callsTo("get_activity").at(-1)).toEqual({ query: { kind: null, search: null, limit: 200 } });
  });

  it("searches through get_activity, and live items by the same words", async () => {
    const ipc = activityLog([FAILED, CALL, RECEIVED]);
    await mountPage(new ActivityPage());

    await typeInto(get("activity-search"), "ADA  way");
    expect(ipc.callsTo("get_activity").at(-1)).toEqual({ query: { kind: null, search: "ADA  way", limit: 200 } });
    expect(titles()).toEqual(["send_message"]);

    await emitEvent("activity-appended", { item: activity({ id: "a6", summary: "Bob: hi" }) });
    expect(titles()).toEqual(["send_message"]);
    await emitEvent("activity-appended", { item: activity({ id: "a7", summary: "Ada: which way?" }) });
    expect(titles()).toEqual(["message.received", "send_message"]);

    await typeInto(get("activity-search"), "zebra");
    expect(text(get("page-activity"))).toContain("Nothing matches that search.");

    await typeInto(get("activity-search"), "");
    expect(ipc.callsTo("get_activity").at(-1)).toEqual({ query: { kind: null, search: null, limit: 200 } });
  });

  it("shows the results of the latest search even when an older one answers last", async () => {
    const pending: Array<() => void> = [];
    mockBackend({
      get_activity: (args) => {
        const q = args.query as ActivityQuery;
        const result = q.search === "hello" ? [RECEIVED] : q.search === "h" ? [RECEIVED, CALL] : [FAILED, CALL, RECEIVED];
        if (q.search === null) return result;
        // The backend answers each search only when the test says so.
        return new Promise((resolve) => pending.push(() => resolve(result)));
      },
    });
    await mountPage(new ActivityPage());

    await typeInto(get("activity-search"), "h");
    await typeInto(get("activity-search"), "hello");
    expect(pending).toHaveLength(2);
    pending[1](); // "hello" answers first,
    await settle();
    pending[0](); // the stale "h" last.
    await settle();

    expect(titles()).toEqual(["message.received"]);
  });

  it("opens an item to show its details", async () => {
    activityLog([CALL]);
    await mountPage(new ActivityPage());
    const row = () => get("activity-item").querySelector("button")!;
    expect(row().getAttribute("aria-expanded")).toBe("false");
    expect(get("activity-item").querySelector("pre")).toBeNull();

    await click(row());
    expect(row().getAttribute("aria-expanded")).toBe("true");
    expect(JSON.parse(get("activity-item").querySelector("pre")!.textContent!)).toEqual(CALL.detail);

    await click(row());
    expect(get("activity-item").querySelector("pre")).toBeNull();
  });

  it("keeps at most 500 items as live ones arrive", async () => {
    activityLog(Array.from({ length: 300 }, (_, n) => activity({ id: `old_${n}`, title: `old_${n}` })));
    await mountPage(new ActivityPage());
    expect(titles()).toHaveLength(200);
    for (let n = 0; n < 301; n++) await emit("activity-appended", { item: activity({ id: `new_${n}`, title: `new_${n}` }) });
    await settle();
    const shown = titles();
    expect(shown).toHaveLength(500);
    expect(shown[0]).toBe("new_300");
    expect(shown.at(-1)).toBe("old_198");
  }, 20_000);

  it("shows a failure to load with a way to try again", async () => {
    const ipc = mockBackend({ get_activity: fail("store_locked", "The store is locked.") });
    await mountPage(new ActivityPage());
    expect(alerts()).toEqual(["The store is locked. Try again"]);

    ipc.on("get_activity", () => [RECEIVED]);
    await click(button("Try again"));
    expect(alerts()).toEqual([]);
    expect(titles()).toEqual(["message.received"]);
  });

  describe("approvals", () => {
    /** Calls waiting for a yes, answered like the backend: the first answer wins. */
    function waiting(list: ApprovalView[]) {
      let items = [...list];
      const ipc = mockBackend({
        get_activity: () => [RECEIVED],
        list_approvals: () => items,
        decide_approval: ({ id }) => {
          if (!items.some((a) => a.id === id)) fail("approval_not_found", `No approval ${id} is waiting.`)({});
          items = items.filter((a) => a.id !== id);
          return null;
        },
      });
      return ipc;
    }

    const BOB = approval();
    const WITH_FILE = approval({
      id: "apr_2",
      tool: "send_media",
      chat_id: "120363000000000000@g.us",
      details: {
        ...approval().details,
        headline: "Send a photo to Family",
        tool: "send_media",
        client: null,
        recipients: [{ chat_id: "120363000000000000@g.us", name: "Family", phone: null }],
        text: "line one\n  line two",
        attachments: [{ kind: "image", file_name: "beach.jpg", mime: "image/jpeg", size: 2048 }],
        about: { message_id: "3EB0AA", sender: "Ada", text: "send the photo?" },
      },
    });

    it("shows what each waiting call would do, exactly", async () => {
      waiting([BOB, WITH_FILE]);
      await mountPage(new ActivityPage());

      const [bob, file] = all("approval");
      expect(text(get("approvals").querySelector("h2"))).toBe("Waiting for your yes (2)");
      expect(text(bob.querySelector("[data-testid=approval-headline]"))).toBe("Send a message to Bob (+14155550123)");
      expect(text(bob.querySelector("[data-testid=approval-key]"))).toBe("Claude Desktop via claude-ai");
      expect(text(bob.querySelector("[data-testid=approval-recipients]"))).toBe("Bob +14155550123");
      expect(bob.querySelector("[data-testid=approval-text]")!.textContent).toBe("see you at 6");
      expect(bob.querySelector("[data-testid=approval-attachments]")).toBeNull();
      // The text as the agent wrote it, line breaks and spaces kept.
      expect(file.querySelector("[data-testid=approval-text]")!.textContent).toBe("line one\n  line two");
      expect(text(file.querySelector("[data-testid=approval-attachments]"))).toBe("image: beach.jpg image/jpeg, 2048 bytes");
      expect(text(file.querySelector("[data-testid=approval-about]"))).toBe("Ada: send the photo?");
      // The log is still there below.
      expect(titles()).toEqual(["message.received"]);
    });

    it("approves, and the card goes", async () => {
      const ipc = waiting([BOB, WITH_FILE]);
      await mountPage(new ActivityPage());

      await click(all("approval")[0].querySelector("[data-testid=approve]")!);

      expect(ipc.callsTo("decide_approval")).toEqual([{ id: "apr_1", decision: { answer: "approve" } }]);
      expect(all("approval").map((a) => a.dataset.id)).toEqual(["apr_2"]);
    });

    it("denies with the reason typed, or none", async () => {
      const ipc = waiting([BOB, WITH_FILE]);
      await mountPage(new ActivityPage());

      const bob = all("approval")[0];
      await typeInto(bob.querySelector("[data-testid=deny-reason]")!, "  not now  ");
      await click(bob.querySelector("[data-testid=deny]")!);
      await click(get("approval").querySelector("[data-testid=deny]")!);

      expect(ipc.callsTo("decide_approval")).toEqual([
        { id: "apr_1", decision: { answer: "deny", reason: "not now" } },
        { id: "apr_2", decision: { answer: "deny", reason: null } },
      ]);
      expect(query("approvals")).toBeNull();
    });

    it("always allows this key in this chat", async () => {
      const ipc = waiting([BOB]);
      await mountPage(new ActivityPage());
      await click(get("always-allow"));
      expect(ipc.callsTo("decide_approval")).toEqual([{ id: "apr_1", decision: { answer: "always_allow_chat" } }]);
    });

    it("says so when another answer came first, and shows what is left", async () => {
      const ipc = waiting([BOB]);
      await mountPage(new ActivityPage());
      // Answered on the command line meanwhile.
      ipc.on("list_approvals", () => []);
      ipc.on("decide_approval", fail("approval_not_found", "No approval apr_1 is waiting."));

      await click(get("approve"));

      expect(alerts()).toEqual(["No approval apr_1 is waiting. Try again"]);
      expect(query("approval")).toBeNull();
    });

    it("follows approvals that come and go elsewhere", async () => {
      const ipc = waiting([]);
      await mountPage(new ActivityPage());
      expect(query("approvals")).toBeNull();
      expect(query("approvals-count")).toBeNull();

      ipc.on("list_approvals", () => [BOB]);
      await emitEvent("approvals-changed", { pending: 1 });
      expect(all("approval")).toHaveLength(1);
      // The sidebar counts them on the Activity link.
      expect(text(get("approvals-count"))).toBe("1");

      ipc.on("list_approvals", () => []);
      await emitEvent("approvals-changed", { pending: 0 });
      expect(query("approval")).toBeNull();
      expect(query("approvals-count")).toBeNull();
    });
  });
});
