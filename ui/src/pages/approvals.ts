// Approvals: calls waiting for the person's yes, shown at the top of Activity with
// everything the agent asked to do (who, which chat, the exact text, attachments,
// the message it is about), and Approve / Deny / Always allow.
import { html, nothing, type TemplateResult } from "lit-html";

import { errorBanner, pill } from "../components";
import { relativeTime } from "../format";
import { backend, on, type ApprovalView, type Decision } from "../lib/backend";

export class ApprovalsPanel {
  items: ApprovalView[] = [];
  error: unknown = null;
  /** The reason typed for a denial, per approval. */
  reasons = new Map<string, string>();
  private busy = new Set<string>();
  private update = () => {};
  private stop: Array<() => void> = [];

  async mount(update: () => void): Promise<void> {
    this.update = update;
    this.stop.push(await on.approvalsChanged(() => void this.load()));
    await this.load();
  }

  unmount(): void {
    this.stop.forEach((s) => s());
    this.stop = [];
  }

  async load(): Promise<void> {
    try {
      this.items = await backend.listApprovals();
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.update();
  }

  private async decide(a: ApprovalView, decision: Decision): Promise<void> {
    this.busy.add(a.id);
    this.update();
    try {
      await backend.decideApproval(a.id, decision);
      this.reasons.delete(a.id);
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.busy.delete(a.id);
    // A failed answer stays on screen after the reload.
    const failed = this.error;
    await this.load();
    if (failed) {
      this.error = failed;
      this.update();
    }
  }

  private card(a: ApprovalView): TemplateResult {
    const d = a.details;
    const busy = this.busy.has(a.id);
    const reason = this.reasons.get(a.id) ?? "";
    return html`<li class="card approval" data-testid="approval" data-id=${a.id} data-tool=${a.tool}>
      <div class="approval-head">
        ${pill(a.tool, "warn")}
        <strong data-testid="approval-headline">${d.headline || a.summary}</strong>
        <span class="muted" title=${a.expires_at}>asked ${relativeTime(a.created_at)}, times out at ${new Date(a.expires_at).toLocaleTimeString()}</span>
      </div>
      <dl class="approval-details">
        <dt>Key</dt>
        <dd data-testid="approval-key">${d.key_name}${d.client ? html` <span class="muted">via ${d.client}</span>` : nothing}</dd>
        ${d.account ? html`<dt>Account</dt><dd>${d.account}</dd>` : nothing}
        ${d.recipients.length
          ? html`<dt>To</dt>
              <dd data-testid="approval-recipients">
                ${d.recipients.map((r) => html`<span class="recipient">${r.name ?? r.chat_id}${r.phone ? html` <span class="muted">${r.phone}</span>` : nothing}</span>`)}
              </dd>`
          : nothing}
        ${d.text !== null ? html`<dt>Text</dt><dd><pre class="approval-text" data-testid="approval-text">${d.text}</pre></dd>` : nothing}
        ${d.attachments.length
          ? html`<dt>Attachments</dt>
              <dd data-testid="approval-attachments">
                ${d.attachments.map((f) => html`<div>${f.kind}: ${f.file_name ?? "(no name)"} <span class="muted">${f.mime}, ${f.size} bytes</span></div>`)}
              </dd>`
          : nothing}
        ${d.about
          ? html`<dt>About</dt>
              <dd data-testid="approval-about"><span class="muted">${d.about.sender ?? "You"}:</span> ${d.about.text ?? d.about.message_id}</dd>`
          : nothing}
      </dl>
      <div class="approval-actions">
        <button data-testid="approve" ?disabled=${busy} @click=${() => this.decide(a, { answer: "approve" })}>Approve</button>
        ${a.chat_id
          ? html`<button class="secondary" data-testid="always-allow" ?disabled=${busy} title="Approve, and let this key send to this chat without asking from now on" @click=${() => this.decide(a, { answer: "always_allow_chat" })}>
              Always allow this key in this chat
            </button>`
          : nothing}
        <input
          type="text"
          data-testid="deny-reason"
          placeholder="Reason (the agent sees it)"
          .value=${reason}
          @input=${(e: Event) => this.reasons.set(a.id, (e.target as HTMLInputElement).value)}
        />
        <button class="danger" data-testid="deny" ?disabled=${busy} @click=${() => this.decide(a, { answer: "deny", reason: this.reasons.get(a.id)?.trim() || null })}>Deny</button>
      </div>
    </li>`;
  }

  view(): TemplateResult {
    if (this.items.length === 0 && !this.error) return html``;
    return html`<section class="approvals" data-testid="approvals">
      ${this.error ? errorBanner(this.error, () => this.load()) : nothing}
      ${this.items.length
        ? html`<h2>Waiting for your yes (${this.items.length})</h2>
            <ul class="approval-list">${this.items.map((a) => this.card(a))}</ul>`
        : nothing}
    </section>`;
  }
}
