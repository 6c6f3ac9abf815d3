// Keys: create live or test keys (the secret shown once, with a copy button),
// revoke, see when each was last used, limit a key to some chats.
import { html, nothing, type TemplateResult } from "lit-html";
import { live } from "lit-html/directives/live.js";

import type { Page } from "../app";
import { LoadedPage } from "./loaded";
import { confirmAction, emptyState, errorBanner, loading, modal, pill } from "../components";
import { relativeTime } from "../format";
import { backend, copyText, type ChatPick, type CreatedKey, type KeyMode, type KeyView } from "../lib/backend";

export class KeysPage extends LoadedPage implements Page {
  readonly id = "keys";
  readonly title = "API keys";
  keys: KeyView[] | null = null;
  mode: KeyMode = "test";
  name = "";
  created: CreatedKey | null = null;
  copied = false;

  protected async fetch(): Promise<void> {
    this.keys = await backend.listKeys();
  }

  /** Reloads the list, then shows what failed (the reload clears old errors). */
  private async reload(failed: unknown): Promise<void> {
    await this.load();
    if (failed) {
      this.error = failed;
      this.update();
    }
  }

  async create(): Promise<void> {
    let failed: unknown = null;
    try {
      this.created = await backend.createKey(this.mode, this.name.trim() || null);
      this.copied = false;
      this.name = "";
    } catch (e) {
      failed = e;
    }
    await this.reload(failed);
  }

  async revoke(k: KeyView): Promise<void> {
    if (await confirmAction(`Revoke “${k.name}”? Agents using it lose access at once.`, "Revoke")) {
      let failed: unknown = null;
      try {
        await backend.revokeKey(k.id);
      } catch (e) {
        failed = e;
      }
      await this.reload(failed);
    }
  }

  async limit(k: KeyView): Promise<void> {
    let chats: ChatPick[];
    try {
      chats = await backend.recentChats();
    } catch (e) {
      this.error = e;
      this.update();
      return;
    }
    const chosen = new Set(k.chats ?? []);
    modal((close) => {
      const save = async (all: boolean) => {
        close();
        let failed: unknown = null;
        try {
          await backend.restrictKey(k.id, all ? null : [...chosen]);
        } catch (e) {
          failed = e;
        }
        await this.reload(failed);
      };
      return html`<h2>Chats “${k.name}” may see</h2>
        <p class="muted">A limited key sees, searches and sends only in these chats, and cannot start new ones.</p>
        <div class="picklist">
          ${chats.map(
            (c) => html`<label
              ><input
                type="checkbox"
                .checked=${chosen.has(c.id)}
                @change=${(e: Event) => ((e.target as HTMLInputElement).checked ? chosen.add(c.id) : chosen.delete(c.id))}
              />
              ${c.name} <span class="muted">${c.kind}</span></label
            >`,
          )}
        </div>
        <div class="dialog-actions">
          <button class="secondary" @click=${() => save(true)}>Every chat</button>
          <button @click=${() => save(false)}>Only the chosen</button>
        </div>`;
    });
  }

  private secret(c: CreatedKey): TemplateResult {
    return html`<div class="card secret" data-testid="new-key" role="alert">
      <div class="title">Your new ${c.key.mode} key — copy it now, it is shown only once</div>
      <div class="secret-row">
        <code data-testid="new-key-secret">${c.secret}</code>
        <button
          data-testid="copy-key"
          @click=${async () => {
            await copyText(c.secret);
            this.copied = true;
            this.update();
          }}
        >
          ${this.copied ? "Copied" : "Copy"}
        </button>
      </div>
      <p class="muted">
        Use it as <code>Authorization: Bearer …</code> over HTTP, or as <code>WUSE_API_KEY</code> for <code>whatsapp-use mcp</code>.
        Only its hash is stored.
      </p>
      <button class="link" @click=${() => ((this.created = null), this.update())}>I saved it — hide it</button>
    </div>`;
  }

  view(): TemplateResult {
    if (this.keys === null) return this.error ? errorBanner(this.error, () => this.load()) : loading("keys");
    return html`${this.error ? errorBanner(this.error) : nothing}
      <form
        class="card row"
        data-testid="key-form"
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.create();
        }}
      >
        <label>Kind
          <select data-testid="key-mode" @change=${(e: Event) => (this.mode = (e.target as HTMLSelectElement).value as KeyMode)}>
            <option value="test" ?selected=${this.mode === "test"}>Test key — sandbox accounts</option>
            <option value="live" ?selected=${this.mode === "live"}>Live key — your real accounts</option>
          </select>
        </label>
        <label>Name
          <input data-testid="key-name" placeholder="Claude Desktop" .value=${live(this.name)} @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" data-testid="key-create">Create key</button>
      </form>
      ${this.created ? this.secret(this.created) : nothing}
      ${this.keys.length === 0
        ? emptyState("No keys yet", "Create a key for each agent or MCP client, so you can see what each did and revoke one without the others.")
        : html`<table class="list" data-testid="key-list">
            <thead><tr><th>Name</th><th>Kind</th><th>Key</th><th>Created</th><th>Last used</th><th></th></tr></thead>
            <tbody>
              ${this.keys.map(
                (k) => html`<tr data-testid="key-${k.id}" class=${k.revoked_at ? "revoked" : ""}>
                  <td>${k.name}${k.chats ? html` ${pill(`${k.chats.length} chat${k.chats.length === 1 ? "" : "s"}`, "info")}` : nothing}</td>
                  <td>${pill(k.mode, k.mode === "live" ? "warn" : "info")}</td>
                  <td><code>${k.hint}</code></td>
                  <td>${relativeTime(k.created_at)}</td>
                  <td>${k.last_used_at ? relativeTime(k.last_used_at) : html`<span class="muted">never</span>`}</td>
                  <td class="actions">
                    ${k.revoked_at
                      ? pill("revoked", "off")
                      : html`<button class="secondary" @click=${() => this.limit(k)}>Chats…</button>
                          <button class="danger" data-testid="key-revoke" @click=${() => this.revoke(k)}>Revoke</button>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`}`;
  }
}
