// Settings: where the server listens, data dir, start at login, pause, retention,
// limits, upload folders.
import { html, nothing, type TemplateResult } from "lit-html";

import type { Page } from "../app";
import { LoadedPage } from "./loaded";
import { errorBanner, loading, toggle } from "../components";
import { backend, copyText, NO_CHANGES, type SettingsPatch, type SettingsView } from "../lib/backend";


export class SettingsPage extends LoadedPage implements Page {
  readonly id = "settings";
  readonly title = "Settings";
  s: SettingsView | null = null;
  saved = "";

  protected async fetch(): Promise<void> {
    this.s = await backend.getSettings();
  }

  async save(patch: Partial<SettingsPatch>, what: string): Promise<void> {
    try {
      this.s = await backend.updateSettings({ ...NO_CHANGES, ...patch });
      this.error = null;
      this.saved = what;
    } catch (e) {
      this.error = e;
      this.saved = "";
    }
    this.update();
  }

  async pause(paused: boolean): Promise<void> {
    let failed: unknown = null;
    try {
      await backend.setPaused(paused);
    } catch (e) {
      failed = e;
    }
    await this.load();
    // After the reload, which clears the error when it succeeds.
    if (failed) {
      this.error = failed;
      this.saved = "";
      this.update();
    }
  }

  private number(label: string, value: number, help: string, onSave: (v: number) => void, testId: string): TemplateResult {
    return html`<label class="setting">
      <span>${label}<span class="muted"> — ${help}</span></span>
      <input
        type="number"
        min="0"
        data-testid=${testId}
        .value=${String(value)}
        @change=${(e: Event) => {
          // An empty or unreadable field reads as "", which Number() takes for 0.
          const raw = (e.target as HTMLInputElement).value.trim();
          const v = Number(raw);
          if (raw !== "" && Number.isFinite(v)) onSave(v);
        }}
      />
    </label>`;
  }

  view(): TemplateResult {
    const s = this.s;
    if (!s) return this.error ? errorBanner(this.error, () => this.load()) : loading("settings");
    return html`${this.error ? errorBanner(this.error) : nothing}
      ${this.saved ? html`<div class="banner ok" role="status">${this.saved} saved.</div>` : nothing}
      <section class="card">
        <h2>Server</h2>
        <div class="setting"><span>MCP endpoint (streamable HTTP)</span>
          <span><code data-testid="mcp-url">${s.mcp_url}</code> <button class="link" @click=${() => copyText(s.mcp_url)}>Copy</button></span></div>
        <div class="setting"><span>Legacy SSE endpoint</span><code>${s.sse_url}</code></div>
        ${this.number("Port", s.port, "used from the next start", (port) => this.save({ port }, "Port (takes effect at the next start)"), "setting-port")}
        <div class="setting"><span>Data folder<span class="muted"> — the encrypted store; its key is in the OS keychain</span></span><code>${s.data_dir}</code></div>
        <div class="setting"><span>Version</span><span>${s.version}</span></div>
      </section>
      <section class="card">
        <h2>Agents</h2>
        <div class="setting"><span>Agent access<span class="muted"> — off pauses every tool</span></span>
          ${toggle(!s.paused, "Agent access", (on_) => this.pause(!on_), { testId: "settings-pause" })}</div>
        ${this.number("Tool calls per minute per key", s.rate_limit_per_minute, "0 for no limit", (v) => this.save({ rate_limit_per_minute: v }, "Rate limit"), "setting-rate")}
        ${this.number("Messages per minute to new chats", s.new_chat_sends_per_minute, "protects the account from WhatsApp's anti-spam bans", (v) => this.save({ new_chat_sends_per_minute: v }, "Send-safety limit"), "setting-new-chats")}
        ${this.number("Seconds a call waits for your yes", s.approval_timeout_s, "for tools set to “Ask first”; then it answers approval_timeout", (v) => this.save({ approval_timeout_s: v }, "Approval timeout"), "setting-approval-timeout")}
        <div class="setting"><span>Keep message bodies in the activity log</span>
          ${toggle(s.audit_bodies, "Keep message bodies", (v) => this.save({ audit_bodies: v }, "Activity log setting"))}</div>
        <label class="setting"><span>Folders agents may upload files from<span class="muted"> — one per line</span></span>
          <textarea
            rows="4"
            data-testid="setting-roots"
            .value=${s.upload_roots.join("\n")}
            @change=${(e: Event) => {
              const roots = (e.target as HTMLTextAreaElement).value.split("\n").map((r) => r.trim()).filter(Boolean);
              void this.save({ upload_roots: roots }, "Upload folders");
            }}
          ></textarea>
        </label>
      </section>
      <section class="card">
        <h2>This computer</h2>
        <div class="setting"><span>Start at login (in the tray)</span>
          ${toggle(s.autostart, "Start at login", (v) => this.save({ autostart: v }, "Start at login"), { testId: "setting-autostart" })}</div>
        ${this.number("Keep events for (days)", s.event_retention_days, "older events are removed from the log", (v) => this.save({ event_retention_days: v }, "Retention"), "setting-retention")}
      </section>`;
  }
}
