// Activity: calls waiting for the person's yes, then what happened on WhatsApp and
// what agents did, live, filterable and searchable.
import { html, nothing, type TemplateResult } from "lit-html";

import type { Page } from "../app";
import { emptyState, errorBanner, loading, pill } from "../components";
import { relativeTime } from "../format";
import { backend, on, type ActivityItem, type ActivityKind } from "../lib/backend";
import { ApprovalsPanel } from "./approvals";

const MAX_ITEMS = 500;

export class ActivityPage implements Page {
  readonly id = "activity";
  readonly title = "Activity";
  items: ActivityItem[] | null = null;
  error: unknown = null;
  kind: ActivityKind | null = null;
  search = "";
  open = new Set<string>();
  /** Calls waiting for the person's yes, above the log. */
  approvals = new ApprovalsPanel();
  private asked = 0;
  private update = () => {};
  private stop: Array<() => void> = [];

  async mount(update: () => void): Promise<void> {
    this.update = update;
    this.stop.push(await on.activity((item) => this.append(item)));
    await Promise.all([this.approvals.mount(update), this.load()]);
  }

  unmount(): void {
    this.approvals.unmount();
    this.stop.forEach((s) => s());
    this.stop = [];
  }

  matches(item: ActivityItem): boolean {
    if (this.kind && item.kind !== this.kind) return false;
    const words = this.search.toLowerCase().split(/\s+/).filter(Boolean);
    const hay = `${item.title} ${item.summary}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  }

  append(item: ActivityItem): void {
    if (!this.items || !this.matches(item)) return;
    this.items = [item, ...this.items].slice(0, MAX_ITEMS);
    this.update();
  }

  async load(): Promise<void> {
    // Typing searches on each key; only the latest query's answer counts.
    const asked = ++this.asked;
    try {
      const items = await backend.getActivity({ kind: this.kind, search: this.search || null, limit: 200 });
      if (asked !== this.asked) return;
      this.items = items;
      this.error = null;
    } catch (e) {
      if (asked !== this.asked) return;
      this.error = e;
    }
    this.update();
  }

  private row(i: ActivityItem): TemplateResult {
    const isOpen = this.open.has(i.id);
    // "approved": an approval's audit entry.
    const tone = i.outcome === null ? "info" : i.outcome === "ok" || i.outcome === "approved" ? "ok" : "bad";
    return html`<li class="activity-item ${i.kind}" data-testid="activity-item" data-title=${i.title}>
      <button
        class="row-button"
        aria-expanded=${isOpen}
        @click=${() => {
          if (isOpen) this.open.delete(i.id);
          else this.open.add(i.id);
          this.update();
        }}
      >
        <span class="when" title=${i.at}>${relativeTime(i.at)}</span>
        ${pill(i.kind === "call" ? i.title : i.title.replace(/^message\./, ""), tone)}
        <span class="summary">${i.summary}</span>
        ${i.duration_ms !== null ? html`<span class="muted">${i.duration_ms} ms</span>` : nothing}
      </button>
      ${isOpen ? html`<pre class="detail">${JSON.stringify(i.detail, null, 2)}</pre>` : nothing}
    </li>`;
  }

  view(): TemplateResult {
    const tabs: Array<[ActivityKind | null, string]> = [
      [null, "Everything"],
      ["event", "WhatsApp events"],
      ["call", "Agent calls"],
    ];
    return html`${this.approvals.view()}${this.error ? errorBanner(this.error, () => this.load()) : nothing}
      <div class="toolbar">
        <div class="tabs" role="tablist">
          ${tabs.map(
            ([k, label]) => html`<button
              role="tab"
              class=${this.kind === k ? "active" : ""}
              aria-selected=${this.kind === k}
              data-testid="activity-tab-${k ?? "all"}"
              @click=${() => {
                this.kind = k;
                void this.load();
              }}
            >
              ${label}
            </button>`,
          )}
        </div>
        <input
          type="search"
          data-testid="activity-search"
          placeholder="Search activity"
          .value=${this.search}
          @input=${(e: Event) => {
            this.search = (e.target as HTMLInputElement).value;
            void this.load();
          }}
        />
      </div>
      ${this.items === null
        ? loading("activity")
        : this.items.length === 0
          ? emptyState("Nothing yet", this.search ? "Nothing matches that search." : "Messages, receipts and what agents do will show up here as it happens.")
          : html`<ul class="activity" data-testid="activity-list">${this.items.map((i) => this.row(i))}</ul>`}`;
  }
}
