// Permissions: every tool with a switch, grouped by family; presets; per-key
// switches; the pause switch that stops all agent access.
import { html, nothing, type TemplateResult } from "lit-html";

import type { Page } from "../app";
import { LoadedPage } from "./loaded";
import { errorBanner, loading, pill, toggle } from "../components";
import { backend, on, type Family, type KeyView, type Preset, type ToolsView } from "../lib/backend";

const FAMILIES: Array<[Family, string]> = [
  ["messages", "Messages"],
  ["chats", "Chats"],
  ["groups", "Groups"],
  ["contacts", "Contacts"],
  ["media", "Media"],
  ["presence", "Presence"],
  ["profile", "Profile"],
  ["search", "Search"],
  ["events", "Events"],
  ["accounts", "Accounts"],
];

const PRESETS: Record<Preset, [string, string]> = {
  all: ["Everything", "Every tool"],
  read_only: ["Read only", "Agents can read, never change or send"],
  no_send: ["No sending", "Everything except what other people would see"],
  core: ["Core ~20", "For clients that degrade with many tools (Cursor, Windsurf)"],
};

export class PermissionsPage extends LoadedPage implements Page {
  readonly id = "permissions";
  readonly title = "Permissions";
  view_: ToolsView | null = null;
  keys: KeyView[] = [];
  scope: string | null = null;
  private stop: Array<() => void> = [];

  async mount(update: () => void): Promise<void> {
    this.stop.push(await on.toolsChanged(() => void this.load()));
    try {
      this.keys = (await backend.listKeys()).filter((k) => !k.revoked_at);
    } catch (e) {
      this.error = e;
    }
    await super.mount(update);
  }

  unmount(): void {
    this.stop.forEach((s) => s());
    this.stop = [];
  }

  protected async fetch(): Promise<void> {
    this.view_ = await backend.getTools(this.scope);
  }

  private async run(what: () => Promise<unknown>): Promise<void> {
    let failed: unknown = null;
    try {
      await what();
    } catch (e) {
      failed = e;
    }
    await this.load();
    // After the reload, which clears the error when it succeeds.
    if (failed) {
      this.error = failed;
      this.update();
    }
  }

  view(): TemplateResult {
    const v = this.view_;
    if (!v) return this.error ? errorBanner(this.error, () => this.load()) : loading("tools");
    return html`${this.error ? errorBanner(this.error) : nothing}
      <section class="card pause ${v.paused ? "paused" : ""}">
        <div>
          <div class="title">${v.paused ? "Agent access is paused" : "Agents have access"}</div>
          <p class="muted">Pausing makes every tool answer “forbidden” until you resume — a kill switch.</p>
        </div>
        ${toggle(!v.paused, "Agent access", (on_) => this.run(() => backend.setPaused(!on_)), { testId: "pause-toggle" })}
      </section>
      <section class="card">
        <div class="row">
          <label>Applies to
            <select
              data-testid="perm-scope"
              @change=${(e: Event) => {
                const val = (e.target as HTMLSelectElement).value;
                this.scope = val || null;
                void this.load();
              }}
            >
              <option value="" ?selected=${this.scope === null}>Every key</option>
              ${this.keys.map((k) => html`<option value=${k.id} ?selected=${this.scope === k.id}>${k.name} (${k.mode})</option>`)}
            </select>
          </label>
          <div class="presets">
            ${v.presets.map(
              (p) => html`<button class="secondary" title=${PRESETS[p][1]} data-testid="preset-${p}" @click=${() => this.run(() => backend.applyPreset(this.scope, p))}>
                ${PRESETS[p][0]}
              </button>`,
            )}
          </div>
        </div>
        <p class="muted" data-testid="tool-count">${v.enabled_count} of ${v.tools.length} tools on${this.scope ? " for this key" : ""}.</p>
      </section>
      ${FAMILIES.map(([family, label]) => {
        const tools = v.tools.filter((t) => t.family === family);
        if (tools.length === 0) return nothing;
        return html`<section class="card family">
          <h2>${label}</h2>
          ${tools.map(
            (t) => html`<div class="tool" data-testid="tool-${t.name}">
              <div>
                <div class="tool-name"><code>${t.name}</code> ${t.sends ? pill("others see it", "warn") : nothing}
                  ${t.effect === "destructive" ? pill("destructive", "bad") : nothing}
                  ${this.scope && t.key !== null ? pill("set for this key", "info") : nothing}</div>
                <div class="muted">${t.description}</div>
              </div>
              ${toggle(t.enabled, `${t.name} on`, (enabled) => this.run(() => backend.setTool(this.scope, t.name, enabled)), { testId: `toggle-${t.name}` })}
            </div>`,
          )}
        </section>`;
      })}`;
  }
}
