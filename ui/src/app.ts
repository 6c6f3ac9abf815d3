// The window: a sidebar of pages, the server status, and the page shown.
import { html, nothing, render, type TemplateResult } from "lit-html";

import { backend, on, type SettingsView } from "./lib/backend";

/** A page of the window. `update` asks the app to render the page again. */
export interface Page {
  readonly id: string;
  readonly title: string;
  mount(update: () => void): Promise<void> | void;
  unmount?(): void;
  view(): TemplateResult;
}

export class App {
  private current: Page;
  private settings: SettingsView | null = null;
  /** Calls waiting for the person's yes (a badge on Activity). */
  private pending = 0;
  private unlisten: Array<() => void> = [];

  constructor(
    private root: HTMLElement,
    private pages: Page[],
  ) {
    this.current = this.pageFor(location.hash) ?? pages[0];
  }

  private pageFor(hash: string): Page | undefined {
    const id = hash.replace(/^#\/?/, "");
    return this.pages.find((p) => p.id === id);
  }

  async start(): Promise<void> {
    window.addEventListener("hashchange", () => {
      const next = this.pageFor(location.hash);
      if (next && next !== this.current) void this.show(next);
    });
    // The page shows even if live updates cannot be had; it then refreshes on use.
    try {
      this.unlisten.push(await on.toolsChanged(() => void this.refreshStatus()));
      this.unlisten.push(
        await on.approvalsChanged((n) => {
          this.pending = n;
          this.render();
        }),
      );
    } catch (e) {
      console.error("live updates unavailable", e);
    }
    await Promise.all([this.refreshStatus(), this.refreshPending()]);
    await this.show(this.current);
  }

  private async refreshStatus(): Promise<void> {
    try {
      this.settings = await backend.getSettings();
    } catch {
      this.settings = null;
    }
    this.render();
  }

  private async refreshPending(): Promise<void> {
    try {
      this.pending = (await backend.listApprovals()).length;
    } catch {
      this.pending = 0;
    }
  }

  async show(page: Page): Promise<void> {
    if (page !== this.current) this.current.unmount?.();
    this.current = page;
    if (location.hash !== `#/${page.id}`) history.replaceState(null, "", `#/${page.id}`);
    this.render();
    await page.mount(() => this.render());
    this.render();
  }

  render(): void {
    const s = this.settings;
    render(
      html`<div class="layout">
        <nav class="sidebar" aria-label="Pages">
          <div class="brand"><img src="/icon.png" alt="" /><span>WhatsApp-Use</span></div>
          ${this.pages.map(
            (p) =>
              html`<a
                href="#/${p.id}"
                class=${p === this.current ? "active" : ""}
                data-testid="nav-${p.id}"
                aria-current=${p === this.current ? "page" : "false"}
                >${p.title}${p.id === "activity" && this.pending > 0
                  ? html` <span class="badge" data-testid="approvals-count" title="Waiting for your yes">${this.pending}</span>`
                  : nothing}</a
              >`,
          )}
          <div class="server" data-testid="server-status">
            ${s
              ? html`${s.paused
                    ? html`<span class="pill bad">Agent access paused</span>`
                    : html`<span class="pill ok">Serving agents</span>`}
                  <code title="MCP endpoint">${s.mcp_url}</code>`
              : html`<span class="pill off">Starting…</span>`}
          </div>
        </nav>
        <main class="content" data-testid="page-${this.current.id}">
          <h1>${this.current.title}</h1>
          ${this.current.view()}
        </main>
      </div>`,
      this.root,
    );
  }
}
