// Accounts: pair by on-screen QR (refreshed as it rotates) or phone code, live
// status, reconnect, log out, delete.
import { html, nothing, type TemplateResult } from "lit-html";

import type { Page } from "../app";
import { LoadedPage } from "./loaded";
import { confirmAction, emptyState, errorBanner, loading, pill } from "../components";
import { relativeTime } from "../format";
import {
  backend,
  NO_CHANGES,
  on,
  type AccountKind,
  type AccountView,
  type AccountStatus,
  type HistoryOnLink,
  type SyncStatus,
} from "../lib/backend";

const STATUS: Record<AccountStatus, [string, "ok" | "warn" | "off" | "bad"]> = {
  connected: ["Connected", "ok"],
  pairing: ["Waiting for the phone", "warn"],
  disconnected: ["Disconnected", "warn"],
  expired: ["Pairing expired", "off"],
  logged_out: ["Logged out", "off"],
};

/** What the account is catching up on: the phone's history push (a bar while it
 * runs), the offline queue, chat settings that did not sync. */
function syncLines(s: SyncStatus): TemplateResult {
  const h = s.history;
  const back = h?.oldest ? `, back to ${new Date(h.oldest).toLocaleDateString()}` : "";
  const count = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;
  return html`${h
      ? html`<div class="sync" data-testid="history-sync" data-done=${String(h.done)}>
          ${h.done
            ? nothing
            : html`<div class="progress" title="History sync"><div style="width: ${h.progress ?? 0}%"></div></div>`}
          <p class="muted">
            ${h.done ? "History synced" : `Syncing history… ${h.progress ?? 0}%`}:
            ${count(h.messages, "message", "messages")} in ${count(h.chunks, "chunk", "chunks")}${back}
          </p>
        </div>`
      : nothing}
    ${s.offline && !s.offline.done
      ? html`<p class="muted" data-testid="offline-sync">Catching up on ${count(s.offline.total, "item", "items")} that arrived while offline…</p>`
      : nothing}
    ${s.app_state_failed.length
      ? html`<p class="muted warn" data-testid="app-state-failed">
          Chat settings from the phone did not sync (${s.app_state_failed.join(", ")}); it tries again.
        </p>`
      : nothing}`;
}

export class AccountsPage extends LoadedPage implements Page {
  readonly id = "accounts";
  readonly title = "Accounts";
  accounts: AccountView[] | null = null;
  busy = new Set<string>();
  adding = false;
  form = {
    kind: "live" as AccountKind,
    method: "qr" as "qr" | "code",
    phone: "",
    label: "",
    history: "recent" as HistoryOnLink,
  };
  private stop: Array<() => void> = [];

  async mount(update: () => void): Promise<void> {
    this.stop.push(await on.accountsChanged(() => void this.load()));
    await super.mount(update);
  }

  unmount(): void {
    this.stop.forEach((s) => s());
    this.stop = [];
  }

  protected async fetch(): Promise<void> {
    const [accounts, settings] = await Promise.all([backend.listAccounts(), backend.getSettings()]);
    this.accounts = accounts;
    if (!this.adding) this.form.history = settings.history_on_link;
  }

  private async act(id: string, what: () => Promise<unknown>): Promise<void> {
    this.busy.add(id);
    this.update();
    let failed: unknown = null;
    try {
      await what();
    } catch (e) {
      failed = e;
    }
    this.busy.delete(id);
    await this.load();
    // After the reload, which clears the error when it succeeds.
    if (failed) {
      this.error = failed;
      this.update();
    }
  }

  async pair(): Promise<void> {
    const { kind, method, phone, label, history } = this.form;
    await this.act("new", async () => {
      // What the phone sends is decided when it links: the choice is saved first.
      if (kind === "live") await backend.updateSettings({ ...NO_CHANGES, history_on_link: history });
      await backend.pairAccount({
        kind,
        phone: method === "code" ? phone : null,
        label: label || null,
        account_id: null,
      });
      this.adding = false;
      this.form = { ...this.form, phone: "", label: "" };
    });
  }

  async remove(a: AccountView): Promise<void> {
    const who = a.label ?? a.phone ?? a.id;
    if (await confirmAction(`Delete ${who} and all its chats, messages and media from this computer? This cannot be undone.`)) {
      await this.act(a.id, () => backend.deleteAccount(a.id));
    }
  }

  private addForm(): TemplateResult {
    const f = this.form;
    return html`<form
      class="card add"
      data-testid="pair-form"
      @submit=${(e: Event) => {
        e.preventDefault();
        void this.pair();
      }}
    >
      <div class="row">
        <label>Account
          <select
            data-testid="pair-kind"
            @change=${(e: Event) => {
              f.kind = (e.target as HTMLSelectElement).value as AccountKind;
              this.update();
            }}
          >
            <option value="live" ?selected=${f.kind === "live"}>My WhatsApp</option>
            <option value="sandbox" ?selected=${f.kind === "sandbox"}>Sandbox (test keys)</option>
          </select>
        </label>
        <label>Link with
          <select
            data-testid="pair-method"
            @change=${(e: Event) => {
              f.method = (e.target as HTMLSelectElement).value as "qr" | "code";
              this.update();
            }}
          >
            <option value="qr" ?selected=${f.method === "qr"}>QR code</option>
            <option value="code" ?selected=${f.method === "code"}>Phone number code</option>
          </select>
        </label>
        ${f.method === "code"
          ? html`<label>Phone number
              <input
                data-testid="pair-phone"
                placeholder="+14155550198"
                .value=${f.phone}
                @input=${(e: Event) => (f.phone = (e.target as HTMLInputElement).value)}
              />
            </label>`
          : nothing}
        ${f.kind === "live"
          ? html`<label title="What the phone sends when it links this device. Older messages can be fetched later.">History on link
              <select
                data-testid="pair-history"
                @change=${(e: Event) => (f.history = (e.target as HTMLSelectElement).value as HistoryOnLink)}
              >
                <option value="recent" ?selected=${f.history === "recent"}>Recent (the last months)</option>
                <option value="everything" ?selected=${f.history === "everything"}>Everything (slower)</option>
              </select>
            </label>`
          : nothing}
        <label>Label (optional)
          <input data-testid="pair-label" placeholder="Work phone" .value=${f.label} @input=${(e: Event) => (f.label = (e.target as HTMLInputElement).value)} />
        </label>
      </div>
      <div class="row end">
        <button type="button" class="secondary" @click=${() => ((this.adding = false), this.update())}>Cancel</button>
        <button type="submit" data-testid="pair-start" ?disabled=${this.busy.has("new")}>
          ${this.busy.has("new") ? "Starting…" : "Show pairing code"}
        </button>
      </div>
    </form>`;
  }

  private pairing(a: AccountView): TemplateResult {
    const p = a.pairing;
    if (!p) return html`<p class="muted">Preparing…</p>`;
    if (p.code) {
      return html`<div class="pairing">
        <p>On the phone: WhatsApp → Settings → Linked devices → Link a device → <em>Link with phone number instead</em>, then type:</p>
        <div class="code" data-testid="pair-code">${p.code}</div>
      </div>`;
    }
    return html`<div class="pairing">
      ${p.qr_png ? html`<img class="qr" data-testid="pair-qr" src=${p.qr_png} alt="QR code to scan with WhatsApp" />` : loading("the QR code")}
      <ol>
        <li>Open WhatsApp on the phone.</li>
        <li>Settings → Linked devices → Link a device.</li>
        <li>Point the phone at this code. It refreshes by itself.</li>
      </ol>
      ${a.kind === "sandbox" ? html`<p class="muted">The sandbox phone scans by itself in a few seconds.</p>` : nothing}
    </div>`;
  }

  private card(a: AccountView): TemplateResult {
    const [label, tone] = STATUS[a.status];
    const busy = this.busy.has(a.id);
    const paired = a.status === "connected" || a.status === "disconnected";
    return html`<article class="card account" data-testid="account-${a.id}" data-status=${a.status}>
      <header>
        <div>
          <div class="title">${a.label ?? a.name ?? "WhatsApp account"} ${a.kind === "sandbox" ? pill("sandbox", "info") : nothing}</div>
          <div class="muted">${a.phone ?? "not paired yet"} · <code>${a.id}</code></div>
        </div>
        <span data-testid="account-status">${pill(label, tone)}</span>
      </header>
      ${a.status_detail ? html`<p class="muted detail">${a.status_detail}</p>` : nothing}
      ${syncLines(a.sync)}
      ${a.status === "pairing" ? this.pairing(a) : nothing}
      <footer>
        <span class="muted">${a.connected_at ? `Connected ${relativeTime(a.connected_at)}` : `Added ${relativeTime(a.created_at)}`}</span>
        <div class="actions">
          ${paired
            ? html`<button class="secondary" ?disabled=${busy} @click=${() => this.act(a.id, () => backend.reconnectAccount(a.id))}>Reconnect</button>
                <button class="secondary" ?disabled=${busy} @click=${() => this.act(a.id, () => backend.logoutAccount(a.id))}>Log out</button>`
            : html`<button
                class="secondary"
                ?disabled=${busy || a.status === "pairing"}
                @click=${() =>
                  this.act(a.id, () => backend.pairAccount({ kind: a.kind, phone: null, label: null, account_id: a.id }))}
              >
                Pair again
              </button>`}
          <button class="danger" data-testid="account-delete" ?disabled=${busy} @click=${() => this.remove(a)}>Delete</button>
        </div>
      </footer>
    </article>`;
  }

  view(): TemplateResult {
    if (this.accounts === null) return this.error ? errorBanner(this.error, () => this.load()) : loading("accounts");
    const add = html`<button data-testid="add-account" @click=${() => ((this.adding = true), this.update())}>Add an account</button>`;
    return html`${this.error ? errorBanner(this.error) : nothing}
      <div class="toolbar">${this.adding ? nothing : add}</div>
      ${this.adding ? this.addForm() : nothing}
      ${this.accounts.length === 0 && !this.adding
        ? emptyState("No accounts yet", "Link your WhatsApp as a new device, or pair a sandbox account to try things with a test key.", add)
        : html`<div class="cards">${this.accounts.map((a) => this.card(a))}</div>`}`;
  }
}
