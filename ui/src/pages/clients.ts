// Clients: each MCP client found on this machine, with one-click install or
// removal after showing exactly what changes: its config file, its own command, an
// entry to paste, or an extension bundle.
import { html, nothing, type TemplateResult } from "lit-html";

import type { Page } from "../app";
import { LoadedPage } from "./loaded";
import { emptyState, errorBanner, loading, modal, pill } from "../components";
import { backend, type ClientView, type KeyMode, type Preview } from "../lib/backend";

/** The preview hides the new key's secret (the engine cuts it already; this keeps any
 * key that slips through off the screen); the file gets the real one. */
function mask(text: string): string {
  return text.replace(/(wuse_(?:live|test)_[A-Za-z0-9]{4})[A-Za-z0-9]+/g, "$1…");
}

export class ClientsPage extends LoadedPage implements Page {
  readonly id = "clients";
  readonly title = "MCP clients";
  clients: ClientView[] | null = null;
  done = "";
  mode: KeyMode = "live";

  protected async fetch(): Promise<void> {
    this.clients = await backend.listClients();
  }

  /** The change itself, as the preview shows it. */
  private change(preview: Preview): TemplateResult {
    const p = preview.plan;
    switch (p.action.kind) {
      case "run":
        return html`<p>The client's own command makes the change:</p>
          <pre data-testid="client-commands">${p.action.commands.map((argv) => mask(argv.join(" "))).join("\n")}</pre>`;
      case "paste":
        return html`${p.action.reason
            ? html`<p class="banner error">${p.path} cannot be changed safely (${p.action.reason}); it is left untouched.</p>`
            : nothing}
          <p>Nothing is written. When you confirm, the key is saved and the entry is shown once, to paste into the client:</p>
          <pre data-testid="client-entry">${mask(p.entry)}</pre>`;
      case "bundle":
        return html`<p>Makes <code>${p.path}</code> (readable by you only) and opens it: Claude Desktop asks to install WhatsApp-Use.</p>
          <pre data-testid="client-entry">${mask(p.after)}</pre>`;
      case "write":
        return html`<div class="diff" data-testid="client-diff">
          <div><div class="muted">Now</div><pre>${p.before === null ? "(no file yet)" : mask(p.before)}</pre></div>
          <div><div class="muted">After</div><pre>${mask(p.after)}</pre></div>
        </div>`;
    }
  }

  /** The entry to paste, with its key: shown once, after the key was saved. */
  private showPaste(entry: string, client: string): void {
    modal((close) => html`<h2>Paste into ${client}</h2>
      <p class="muted">This holds the key's secret; it is not shown again.</p>
      <pre class="wrap" data-testid="client-paste">${entry}</pre>
      <div class="dialog-actions">
        <button class="secondary" @click=${() => void navigator.clipboard?.writeText(entry)}>Copy</button>
        <button data-testid="client-paste-done" @click=${close}>Done</button>
      </div>`);
  }

  private show(preview: Preview, action: string, client: string): void {
    const p = preview.plan;
    modal((close) => {
      const apply = async () => {
        close();
        let failed: unknown = null;
        try {
          const result = await backend.confirmClientChange(preview.token);
          const where = result.path ? `: ${result.path}` : "";
          this.done = `${action}${where}${result.backup ? ` (the old file is kept as ${result.backup})` : ""}.${result.key ? ` It uses the new key “${result.key.name}”.` : ""}`;
          if (result.paste) this.showPaste(result.paste, client);
        } catch (e) {
          failed = e;
        }
        await this.load();
        // After the reload, which clears the error when it succeeds.
        if (failed) {
          this.error = failed;
          this.update();
        }
      };
      return html`<h2>${action} — ${p.path || client}</h2>
        ${preview.key_hint ? html`<p class="muted">A new key (${preview.key_hint}) is made for this client when you confirm.</p>` : nothing}
        ${this.change(preview)}
        <div class="dialog-actions">
          <button class="secondary" @click=${close}>Cancel</button>
          <button data-testid="client-confirm" @click=${apply}>${action}</button>
        </div>`;
    });
  }

  async install(c: ClientView): Promise<void> {
    try {
      const core = c.warning !== null;
      this.show(await backend.previewClientInstall({ client: c.id, mode: this.mode, core_tools: core }), c.installed ? "Update" : "Install", c.name);
    } catch (e) {
      this.error = e;
      this.update();
    }
  }

  async remove(c: ClientView): Promise<void> {
    try {
      const preview = await backend.previewClientRemove(c.id);
      if (preview) this.show(preview, "Remove", c.name);
      else await this.load();
    } catch (e) {
      this.error = e;
      this.update();
    }
  }

  private card(c: ClientView): TemplateResult {
    const state = c.unreadable
      ? pill("config unreadable", "bad")
      : c.installed
        ? pill("installed", "ok")
        : c.detected
          ? pill("found", "info")
          : pill("not found", "off");
    return html`<article class="card client" data-testid="client-${c.id}" data-installed=${c.installed}>
      <header>
        <div>
          <div class="title">${c.name}</div>
          <div class="muted">${c.config_path
            ? html`<code>${c.config_path}</code>`
            : c.method === "paste"
              ? "Pasted in its settings"
              : "An extension bundle"}</div>
        </div>
        ${state}
      </header>
      <p class="muted">${c.method === "paste" ? "Pasted" : c.method === "bundle" ? ".mcpb bundle" : c.format.toUpperCase()} · ${c.transport} · ${c.notes}</p>
      <p class="muted small">Checked against <code>${c.docs}</code> · <code>whatsapp-use clients install ${c.cli_name}</code></p>
      ${c.warning ? html`<p class="banner error">${c.warning}</p>` : nothing}
      ${c.unreadable ? html`<p class="muted">The file cannot be read as ${c.format.toUpperCase()} (${c.unreadable}); it will not be changed. Install shows the entry to paste.</p>` : nothing}
      <footer>
        <span class="muted">Agents here would see ${c.warning ? "the core toolset" : `${c.tools_visible} tools`}.</span>
        <div class="actions">
          ${c.installed ? html`<button class="secondary" data-testid="client-remove" @click=${() => this.remove(c)}>Remove</button>` : nothing}
          <button data-testid="client-install" @click=${() => this.install(c)}>${c.installed ? "Update" : "Install"}</button>
        </div>
      </footer>
    </article>`;
  }

  view(): TemplateResult {
    if (this.clients === null) return this.error ? errorBanner(this.error, () => this.load()) : loading("clients");
    return html`${this.error ? errorBanner(this.error) : nothing}
      ${this.done ? html`<div class="banner ok" role="status" data-testid="client-done">${this.done}</div>` : nothing}
      <div class="toolbar">
        <p class="muted">Installing adds WhatsApp-Use to the client, with a key made just for it; everything else in its config stays as it was.</p>
        <label>Key for new installs
          <select data-testid="client-mode" @change=${(e: Event) => (this.mode = (e.target as HTMLSelectElement).value as KeyMode)}>
            <option value="live" ?selected=${this.mode === "live"}>Live (my accounts)</option>
            <option value="test" ?selected=${this.mode === "test"}>Test (sandbox)</option>
          </select>
        </label>
      </div>
      ${this.clients.length === 0
        ? emptyState("No clients", "No supported MCP client was found.")
        : html`<div class="cards">${this.clients.map((c) => this.card(c))}</div>`}`;
  }
}
