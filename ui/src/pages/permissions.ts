// Permissions: every tool with a switch (on, off, and for what others would see:
// "ask first"), grouped by family; presets; per-key switches; the chats a key may
// send to without asking; the pause switch that stops all agent access.
import { html, nothing, type TemplateResult } from "lit-html";
import { live } from "lit-html/directives/live.js";

import type { Page } from "../app";
import { LoadedPage } from "./loaded";
import { errorBanner, loading, pill, toggle } from "../components";
import {
  backend,
  on,
  type AllowanceView,
  type Family,
  type KeyView,
  type Preset,
  type ToolState,
  type ToolsView,
  type ToolView,
} from "../lib/backend";

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
  ask_before_sending: ["Ask before anything is sent", "Everything, but you approve what other people would see"],
};

export class PermissionsPage extends LoadedPage implements Page {
  readonly id = "permissions";
  readonly title = "Permissions";
  view_: ToolsView | null = null;
  allowances: AllowanceView[] = [];
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
    const [view, allowances] = await Promise.all([backend.getTools(this.scope), backend.listAllowances()]);
    this.view_ = view;
    this.allowances = allowances;
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
            (t) => html`<div class="tool" data-testid="tool-${t.name}" data-state=${t.state}>
              <div>
                <div class="tool-name"><code>${t.name}</code> ${t.sends ? pill("others see it", "warn") : nothing}
                  ${t.effect === "destructive" ? pill("destructive", "bad") : nothing}
                  ${this.scope && t.key !== null ? pill("set for this key", "info") : nothing}</div>
                <div class="muted">${t.description}</div>
              </div>
              <div class="switches">
                ${t.askable ? this.askSwitch(t) : nothing}
                ${toggle(t.enabled, `${t.name} on`, (enabled) => this.setTool(t, enabled ? "on" : "off"), { testId: `toggle-${t.name}` })}
              </div>
            </div>`,
          )}
        </section>`;
      })}
      ${this.allowed()}`;
  }

  /**
   * Sets a tool's state, shown at once: anything that redraws the page meanwhile (the
   * sidebar following tools-changed) shows the new state, not the old one. The reload
   * after it says what the backend holds (the old state, if it refused).
   */
  private setTool(t: ToolView, state: ToolState): Promise<void> {
    t.state = state;
    t.enabled = state !== "off";
    return this.run(() => backend.setTool(this.scope, t.name, state));
  }

  /** "Ask first": on, but each call waits for a person's yes. */
  private askSwitch(t: ToolView): TemplateResult {
    return html`<label class="ask" title="Each call waits for your yes (here, in the agent's app, or on the command line)">
      <input
        type="checkbox"
        data-testid="ask-${t.name}"
        .checked=${live(t.state === "ask") /* a refused change puts it back */}
        ?disabled=${!t.enabled}
        @change=${(e: Event) => {
          const ask = (e.target as HTMLInputElement).checked;
          void this.setTool(t, ask ? "ask" : "on");
        }}
      />
      Ask first
    </label>`;
  }

  /** The chats a key may send to without asking ("Always allow this key in this chat"). */
  private allowed(): TemplateResult {
    if (this.allowances.length === 0) return html``;
    return html`<section class="card" data-testid="allowances">
      <h2>Sent without asking</h2>
      <p class="muted">You chose "Always allow" for these keys in these chats.</p>
      ${this.allowances.map(
        (a) => html`<div class="tool" data-testid="allowance">
          <div>${a.key_name ?? a.key_id} → ${a.chat_name ?? a.chat_id}</div>
          <button class="secondary" @click=${() => this.run(() => backend.revokeAllowance(a.key_id, a.chat_id))}>Ask again</button>
        </div>`,
      )}
    </section>`;
  }
}
