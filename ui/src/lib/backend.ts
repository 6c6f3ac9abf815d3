// The one door to the desktop backend. Pages import from here only; nothing
// outside src/lib/ imports @tauri-apps. Commands come typed from the generated
// bindings; a failed command throws a BackendError with the engine's message.
import { commands, events } from "./bindings";
import type {
  AccountView,
  ActivityItem,
  AllowanceView,
  ApprovalView,
  ChatId,
  Decision,
  ActivityQuery,
  ChatPick,
  ClientId,
  ClientView,
  CreatedKey,
  InstallRequest,
  Installed,
  KeyMode,
  KeyView,
  PairRequest,
  Preset,
  Preview,
  SettingsPatch,
  SettingsView,
  ToolState,
  ToolsView,
  Result,
  ControlError,
} from "./bindings";

export type * from "./bindings";

export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function unwrap<T>(r: Promise<Result<T, ControlError>>): Promise<T> {
  const res = await r;
  if (res.status === "ok") return res.data;
  // Tauri itself fails with a bare string (bad arguments, unknown command).
  const error: ControlError | string = res.error;
  if (typeof error === "string") throw new BackendError("server_error", error);
  throw new BackendError(error.code, error.message);
}

/** A settings patch that changes nothing: pages set the fields they change. */
export const NO_CHANGES: SettingsPatch = {
  port: null,
  autostart: null,
  event_retention_days: null,
  rate_limit_per_minute: null,
  new_chat_sends_per_minute: null,
  upload_roots: null,
  audit_bodies: null,
  history_on_link: null,
  approval_timeout_s: null,
};

export const backend = {
  listAccounts: (): Promise<AccountView[]> => unwrap(commands.listAccounts()),
  pairAccount: (req: PairRequest): Promise<AccountView> => unwrap(commands.pairAccount(req)),
  reconnectAccount: (id: string) => unwrap(commands.reconnectAccount(id)),
  logoutAccount: (id: string) => unwrap(commands.logoutAccount(id)),
  deleteAccount: (id: string) => unwrap(commands.deleteAccount(id)),
  recentChats: (): Promise<ChatPick[]> => unwrap(commands.recentChats()),
  listKeys: (): Promise<KeyView[]> => unwrap(commands.listKeys()),
  createKey: (mode: KeyMode, name: string | null): Promise<CreatedKey> => unwrap(commands.createKey(mode, name)),
  revokeKey: (id: string) => unwrap(commands.revokeKey(id)),
  restrictKey: (id: string, chats: string[] | null) => unwrap(commands.restrictKey(id, chats)),
  getTools: (key: string | null): Promise<ToolsView> => unwrap(commands.getTools(key)),
  setTool: (key: string | null, tool: string, state: ToolState) => unwrap(commands.setTool(key, tool, state)),
  listApprovals: (): Promise<ApprovalView[]> => unwrap(commands.listApprovals()),
  decideApproval: (id: string, decision: Decision) => unwrap(commands.decideApproval(id, decision)),
  listAllowances: (): Promise<AllowanceView[]> => unwrap(commands.listAllowances()),
  revokeAllowance: (key: string, chat: ChatId) => unwrap(commands.revokeAllowance(key, chat)),
  applyPreset: (key: string | null, preset: Preset) => unwrap(commands.applyPreset(key, preset)),
  setPaused: (paused: boolean) => unwrap(commands.setPaused(paused)),
  getActivity: (query: ActivityQuery): Promise<ActivityItem[]> => unwrap(commands.getActivity(query)),
  getSettings: (): Promise<SettingsView> => unwrap(commands.getSettings()),
  updateSettings: (patch: SettingsPatch): Promise<SettingsView> => unwrap(commands.updateSettings(patch)),
  listClients: (): Promise<ClientView[]> => commands.listClients(),
  previewClientInstall: (req: InstallRequest): Promise<Preview> => unwrap(commands.previewClientInstall(req)),
  previewClientRemove: (client: ClientId): Promise<Preview | null> => unwrap(commands.previewClientRemove(client)),
  confirmClientChange: (token: string): Promise<Installed> => unwrap(commands.confirmClientChange(token)),
};

type Unlisten = () => void;

/** Subscribes to a backend event; returns how to stop. */
export const on = {
  accountsChanged: (cb: (accountId: string) => void): Promise<Unlisten> =>
    events.accountsChanged.listen((e) => cb(e.payload.account_id)),
  activity: (cb: (item: ActivityItem) => void): Promise<Unlisten> =>
    events.activityAppended.listen((e) => cb(e.payload.item)),
  toolsChanged: (cb: () => void): Promise<Unlisten> => events.toolsChanged.listen(() => cb()),
  approvalsChanged: (cb: (pending: number) => void): Promise<Unlisten> =>
    events.approvalsChanged.listen((e) => cb(e.payload.pending)),
};

/** Copies text to the clipboard (with a fallback for webviews without the API). */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}
