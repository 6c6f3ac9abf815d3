// Sample backend values, shaped like the generated bindings' types.
import type { AccountView, ActivityItem, ApprovalView, ClientView, KeyView, ToolView, ToolsView } from "../lib/backend";

const NOW = new Date().toISOString();

export function account(over: Partial<AccountView> = {}): AccountView {
  return {
    id: "acc_1",
    kind: "live",
    label: "Work phone",
    status: "connected",
    status_detail: null,
    phone: "+14155550198",
    name: "Ada",
    created_at: NOW,
    paired_at: NOW,
    connected_at: NOW,
    sync: { history: null, offline: null, app_state_failed: [] },
    pairing: null,
    ...over,
  };
}

export function key(over: Partial<KeyView> = {}): KeyView {
  return {
    id: "key_1",
    name: "Claude Desktop",
    mode: "test",
    hint: "wuse_test_abcd…",
    created_at: NOW,
    last_used_at: null,
    revoked_at: null,
    chats: null,
    ...over,
  };
}

export function tool(over: Partial<ToolView> = {}): ToolView {
  return {
    name: "send_message",
    title: "Send a message",
    description: "Sends a text message.",
    family: "messages",
    effect: "write",
    sends: true,
    askable: true,
    state: "on",
    enabled: true,
    global: null,
    key: null,
    ...over,
  };
}

export function tools(list: ToolView[], over: Partial<ToolsView> = {}): ToolsView {
  return {
    paused: false,
    presets: ["all", "read_only", "no_send", "core", "ask_before_sending"],
    tools: list,
    enabled_count: list.filter((t) => t.enabled).length,
    ...over,
  };
}

export function client(over: Partial<ClientView> = {}): ClientView {
  return {
    id: "claude_desktop",
    cli_name: "claude-desktop",
    name: "Claude Desktop",
    method: "file",
    format: "json",
    docs: "https://modelcontextprotocol.io/docs/develop/connect-local-servers",
    config_path: "/home/me/.config/Claude/claude_desktop_config.json",
    detected: true,
    installed: false,
    unreadable: null,
    transport: "stdio",
    tool_limit: null,
    notes: "Restart Claude Desktop after installing.",
    tools_visible: 64,
    warning: null,
    ...over,
  };
}

export function activity(over: Partial<ActivityItem> = {}): ActivityItem {
  return {
    id: "act_1",
    kind: "event",
    at: NOW,
    title: "message.received",
    summary: "Ada: hello there",
    account_id: "acc_1",
    chat_id: "123@s.whatsapp.net",
    outcome: null,
    key_name: null,
    duration_ms: null,
    detail: { text: "hello there" },
    ...over,
  };
}

export function approval(over: Partial<ApprovalView> = {}): ApprovalView {
  return {
    id: "apr_1",
    tool: "send_message",
    key_id: "key_1",
    account_id: "acc_1",
    chat_id: "14155550123@s.whatsapp.net",
    summary: "Claude Desktop: Send a message to Bob (+14155550123): “see you at 6”",
    details: {
      headline: "Send a message to Bob (+14155550123)",
      tool: "send_message",
      key_name: "Claude Desktop",
      client: "claude-ai",
      account: "Work phone",
      recipients: [{ chat_id: "14155550123@s.whatsapp.net", name: "Bob", phone: "+14155550123" }],
      text: "see you at 6",
      attachments: [],
      about: null,
    },
    created_at: NOW,
    expires_at: new Date(Date.now() + 300_000).toISOString(),
    ...over,
  };
}
