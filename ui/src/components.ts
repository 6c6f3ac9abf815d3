// Small building blocks shared by the pages.
import { html, nothing, render, type TemplateResult } from "lit-html";
import { live } from "lit-html/directives/live.js";

export function emptyState(title: string, text: string, action?: TemplateResult): TemplateResult {
  return html`<div class="empty" role="status">
    <div class="empty-title">${title}</div>
    <p>${text}</p>
    ${action ?? nothing}
  </div>`;
}

export function loading(what: string): TemplateResult {
  return html`<div class="loading" role="status" aria-live="polite"><span class="spinner"></span>Loading ${what}…</div>`;
}

export function errorBanner(error: unknown, retry?: () => void): TemplateResult {
  const message = error instanceof Error ? error.message : String(error);
  return html`<div class="banner error" role="alert">
    <span>${message}</span>
    ${retry ? html`<button class="link" @click=${retry}>Try again</button>` : nothing}
  </div>`;
}

export function toggle(
  checked: boolean,
  label: string,
  onChange: (on: boolean) => void,
  opts: { disabled?: boolean; testId?: string } = {},
): TemplateResult {
  return html`<label class="switch" title=${label}>
    <input
      type="checkbox"
      role="switch"
      aria-label=${label}
      data-testid=${opts.testId ?? nothing}
      .checked=${live(checked) /* live: a refused change puts the switch back */}
      ?disabled=${opts.disabled ?? false}
      @change=${(e: Event) => onChange((e.target as HTMLInputElement).checked)}
    />
    <span class="slider"></span>
  </label>`;
}

export function pill(text: string, tone: "ok" | "warn" | "off" | "bad" | "info"): TemplateResult {
  return html`<span class="pill ${tone}">${text}</span>`;
}

function modalRoot(): HTMLElement {
  let root = document.getElementById("modal-root");
  if (!root) {
    root = document.createElement("div");
    root.id = "modal-root";
    document.body.append(root);
  }
  return root;
}

/** Shows a dialog; `body` gets a `close` function to end it. */
export function modal(body: (close: () => void) => TemplateResult): void {
  const root = modalRoot();
  const close = () => render(nothing, root);
  render(
    html`<div class="backdrop" @click=${(e: Event) => e.target === e.currentTarget && close()}>
      <div class="dialog" role="dialog" aria-modal="true">${body(close)}</div>
    </div>`,
    root,
  );
}

/** Asks before something that cannot be undone; resolves to the answer. */
export function confirmAction(message: string, confirmLabel = "Delete"): Promise<boolean> {
  return new Promise((resolve) => {
    modal((close) => {
      const answer = (yes: boolean) => () => {
        close();
        resolve(yes);
      };
      return html`<p class="dialog-text">${message}</p>
        <div class="dialog-actions">
          <button class="secondary" data-testid="confirm-cancel" @click=${answer(false)}>Cancel</button>
          <button class="danger" data-testid="confirm-ok" @click=${answer(true)}>${confirmLabel}</button>
        </div>`;
    });
  });
}
