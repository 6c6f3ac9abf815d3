// Test harness: a fake desktop backend behind Tauri's official IPC mocks, and
// helpers to render a page the way the window does (through App) and drive it.
import { emit } from "@tauri-apps/api/event";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";

import { App, type Page } from "../app";
import type { ControlError, SettingsView } from "../lib/backend";

export type Args = Record<string, unknown>;
/** Answers one command; throwing a ControlError makes the command fail. */
export type Handler = (args: Args) => unknown;
export interface Call {
  cmd: string;
  args: Args;
}

export const SETTINGS: SettingsView = {
  mcp_url: "http://127.0.0.1:8555/mcp",
  sse_url: "http://127.0.0.1:8555/sse",
  port: 8555,
  data_dir: "/home/me/.local/share/whatsapp-use",
  autostart: false,
  paused: false,
  event_retention_days: 30,
  rate_limit_per_minute: 120,
  new_chat_sends_per_minute: 5,
  upload_roots: ["/home/me/Pictures"],
  audit_bodies: false,
  history_on_link: "recent",
  approval_timeout_s: 300,
  version: "0.1.0",
};

/** The fields of a settings patch that change something. */
function nonNull(patch: object): object {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined));
}

let calls: Call[] = [];
let unexpected: string[] = [];

/** A handler that fails like the Rust side does: the invoke rejects with a ControlError. */
export function fail(code: string, message: string): Handler {
  return () => {
    const error: ControlError = { code, message };
    throw error;
  };
}

/**
 * Installs the fake backend: `handlers` answer commands by their Rust name
 * (`list_accounts`), with the arguments the generated bindings send. Events
 * are mocked too (listen/emit/unlisten). `get_settings` answers SETTINGS
 * and `update_settings` applies a patch to them, and `list_approvals` and
 * `list_allowances` answer none, unless given, since the window's sidebar and
 * several pages ask for them.
 */
export function mockBackend(handlers: Record<string, Handler>) {
  const table: Record<string, Handler> = {
    get_settings: () => SETTINGS,
    list_approvals: () => [],
    list_allowances: () => [],
    update_settings: (args) => ({ ...SETTINGS, ...nonNull((args as { patch: object }).patch) }),
    ...handlers,
  };
  calls = [];
  unexpected = [];
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Args;
      calls.push({ cmd, args });
      const handler = table[cmd];
      if (!handler) {
        unexpected.push(cmd);
        throw new Error(`no mock for command ${cmd}`);
      }
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return {
    /** Every command called so far, in order. */
    get calls(): Call[] {
      return calls;
    },
    /** The arguments of each call to `cmd`, in order. */
    callsTo(cmd: string): Args[] {
      return calls.filter((c) => c.cmd === cmd).map((c) => c.args);
    },
    /** Replaces (or adds) how a command answers. */
    on(cmd: string, handler: Handler): void {
      table[cmd] = handler;
    },
  };
}

export function unexpectedCalls(): string[] {
  return unexpected;
}

export function resetBackend(): void {
  clearMocks();
  calls = [];
  unexpected = [];
}

/** Lets pending IPC promises and re-renders run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Emits a backend event as the Rust side would, then lets the page react. */
export async function emitEvent(event: string, payload: unknown): Promise<void> {
  await emit(event, payload);
  await settle();
}

/** Renders `page` in a window (App) attached to the document, as main.ts does. */
export async function mountPage(page: Page): Promise<{ root: HTMLElement; app: App }> {
  const root = document.createElement("div");
  root.id = "app";
  document.body.append(root);
  const app = new App(root, [page]);
  await app.start();
  await settle();
  return { root, app };
}

export function query<E extends Element = HTMLElement>(testId: string): E | null {
  return document.querySelector<E>(`[data-testid="${testId}"]`);
}

export function get<E extends Element = HTMLElement>(testId: string): E {
  const el = query<E>(testId);
  if (!el) throw new Error(`no element with data-testid="${testId}" in:\n${document.body.innerHTML}`);
  return el;
}

export function all(testId: string): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`)];
}

/** The button (anywhere, or inside `within`) whose text is `text`. */
export function button(text: string, within: ParentNode = document): HTMLButtonElement {
  const found = [...within.querySelectorAll("button")].find((b) => b.textContent?.trim() === text);
  if (!found) throw new Error(`no button "${text}"`);
  return found;
}

export async function click(el: Element): Promise<void> {
  (el as HTMLElement).click();
  await settle();
}

/** Types into an input/textarea (input events) and commits it (change event). */
export async function typeInto(el: Element, value: string, commit = false): Promise<void> {
  const input = el as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  if (commit) input.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
}

export async function choose(el: Element, value: string): Promise<void> {
  const select = el as HTMLSelectElement;
  select.value = value;
  if (select.value !== value) throw new Error(`no option ${value}`);
  select.dispatchEvent(new Event("change", { bubbles: true }));
  await settle();
}

/** The text of the error banner(s) shown, if any. */
export function alerts(): string[] {
  return [...document.querySelectorAll(".banner.error[role=alert]")].map((e) => e.textContent?.replace(/\s+/g, " ").trim() ?? "");
}

export function text(el: Element | null): string {
  return el?.textContent?.replace(/\s+/g, " ").trim() ?? "";
}

/** The open dialog, if any. */
export function dialog(): HTMLElement | null {
  return document.querySelector<HTMLElement>("#modal-root [role=dialog]");
}
