// The window. Pages arrive with the desktop shell; this first view says where the
// MCP server listens.
const app = document.querySelector<HTMLDivElement>("#app");
if (app) {
  app.innerHTML = `
    <main style="font-family: system-ui, sans-serif; padding: 2rem; max-width: 40rem">
      <h1>WhatsApp-Use</h1>
      <p>The MCP server runs on <code>http://127.0.0.1:7474/mcp</code>.</p>
    </main>`;
}
