import { html } from "lit-html";
import { describe, expect, it, vi } from "vitest";

import { App, type Page } from "./app";
import { approval } from "./test/fixtures";
import { emitEvent, fail, get, mockBackend, SETTINGS, settle, text } from "./test/harness";

function fakePage(id: string): Page & { mount: ReturnType<typeof vi.fn>; unmount: ReturnType<typeof vi.fn> } {
  return {
    id,
    title: `Title ${id}`,
    mount: vi.fn(),
    unmount: vi.fn(),
    view: () => html`<p data-testid="body-${id}">body of ${id}</p>`,
  };
}

async function start(pages: Page[]): Promise<App> {
  const root = document.createElement("div");
  document.body.append(root);
  const app = new App(root, pages);
  await app.start();
  await settle();
  return app;
}

describe("App", () => {
  it("shows the first page, the pages' links and the server's address", async () => {
    mockBackend({});
    const [a, b] = [fakePage("one"), fakePage("two")];
    await start([a, b]);

    expect(location.hash).toBe("#/one");
    expect(a.mount).toHaveBeenCalledOnce();
    expect(b.mount).not.toHaveBeenCalled();
    expect(text(get("page-one").querySelector("h1"))).toBe("Title one");
    expect(get("nav-one").getAttribute("aria-current")).toBe("page");
    expect(get("nav-two").getAttribute("aria-current")).toBe("false");
    expect(get("nav-two").getAttribute("href")).toBe("#/two");
    expect(text(get("server-status"))).toBe(`Serving agents ${SETTINGS.mcp_url}`);
  });

  it("opens the page named in the address", async () => {
    mockBackend({});
    history.replaceState(null, "", "#/two");
    const [a, b] = [fakePage("one"), fakePage("two")];
    await start([a, b]);
    expect(a.mount).not.toHaveBeenCalled();
    expect(b.mount).toHaveBeenCalledOnce();
    expect(get("body-two")).not.toBeNull();
  });

  it("follows the address to another page, leaving the old one", async () => {
    mockBackend({});
    const [a, b] = [fakePage("one"), fakePage("two")];
    await start([a, b]);
    const unmounted = a.unmount.mock.calls.length;

    location.hash = "#/two";
    await settle();

    expect(a.unmount).toHaveBeenCalledTimes(unmounted + 1);
    expect(b.mount).toHaveBeenCalledOnce();
    expect(get("page-two")).not.toBeNull();
    expect(get("nav-two").getAttribute("aria-current")).toBe("page");
  });

  it("lets a page re-render itself", async () => {
    mockBackend({});
    let label = "before";
    let update = () => {};
    const page: Page = {
      id: "p",
      title: "P",
      mount: (u) => {
        update = u;
      },
      view: () => html`<span data-testid="label">${label}</span>`,
    };
    await start([page]);
    expect(text(get("label"))).toBe("before");
    label = "after";
    update();
    expect(text(get("label"))).toBe("after");
  });

  it("shows when agent access is paused, following tools-changed", async () => {
    const ipc = mockBackend({});
    await start([fakePage("one")]);
    ipc.on("get_settings", () => ({ ...SETTINGS, paused: true }));

    await emitEvent("tools-changed", {});

    expect(ipc.callsTo("get_settings")).toHaveLength(2);
    expect(text(get("server-status"))).toContain("Agent access paused");
  });

  it("says the server is starting while its settings cannot be read", async () => {
    mockBackend({ get_settings: fail("server_error", "not ready") });
    await start([fakePage("one")]);
    expect(text(get("server-status"))).toBe("Starting…");
  });

  it("counts the calls waiting for a yes on the Activity link, from the start", async () => {
    const ipc = mockBackend({ list_approvals: () => [approval(), approval({ id: "apr_2" })] });
    await start([fakePage("one"), fakePage("activity")]);
    expect(text(get("approvals-count"))).toBe("2");
    expect(text(get("nav-activity"))).toBe("Title activity 2");

    await emitEvent("approvals-changed", { pending: 0 });
    expect(document.querySelector("[data-testid=approvals-count]")).toBeNull();
    // The count comes with the event: no need to ask again.
    expect(ipc.callsTo("list_approvals")).toHaveLength(1);
  });
});
