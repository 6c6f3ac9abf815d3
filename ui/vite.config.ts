import { defineConfig } from "vite";

// The window's UI: plain TypeScript, built into ui/dist, which the app embeds.
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  // Unit tests run the pages in jsdom against Tauri's IPC mocks (src/test/).
  test: { environment: "jsdom", setupFiles: ["./src/test/env.ts", "./src/test/setup.ts"] },
});
