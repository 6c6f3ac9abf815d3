// Preload: add "Authorization: Bearer $MCP_BEARER" to every outgoing HTTP request made via
// Node's global fetch AND the `undici` package's request() (both use the shared global dispatcher).
// Usage: NODE_OPTIONS="--import /abs/path/inject-auth.mjs" MCP_BEARER=... npx @modelcontextprotocol/conformance server ...
import { createRequire } from 'node:module';
const require = createRequire(process.env.UNDICI_FROM || import.meta.url);
const { Agent, setGlobalDispatcher } = require('undici');
const token = process.env.MCP_BEARER;
if (token) {
  const addAuth = (dispatch) => (opts, handler) => {
    const h = opts.headers;
    let headers;
    if (Array.isArray(h)) {            // flat [k, v, k, v] array
      headers = h.slice();
      for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'authorization') { headers.splice(i, 2); i -= 2; }
      headers.push('authorization', `Bearer ${token}`);
    } else {
      headers = {};
      for (const [k, v] of Object.entries(h ?? {})) if (k.toLowerCase() !== 'authorization') headers[k] = v;
      headers.authorization = `Bearer ${token}`;
    }
    return dispatch({ ...opts, headers }, handler);
  };
  setGlobalDispatcher(new Agent().compose(addAuth));
}
