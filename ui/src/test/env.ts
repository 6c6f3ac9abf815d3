// Runs first in every test file, before lit-html or the Tauri API load.

// Lit's development build (what vitest resolves) warns once per file; that is expected here.
(globalThis as { litIssuedWarnings?: Set<string> }).litIssuedWarnings = new Set(["dev-mode"]);

// The IPC mocks number callbacks with window.crypto.getRandomValues (jsdom has it; be sure).
if (typeof window.crypto?.getRandomValues !== "function") {
  Object.defineProperty(window, "crypto", { value: globalThis.crypto, configurable: true });
}
