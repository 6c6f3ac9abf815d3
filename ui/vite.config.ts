import { defineConfig } from "vite";

// The window's UI: plain TypeScript, built into ui/dist, which the app embeds.
export default defineConfig({
  clearScreen: false,
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  test: { environment: "node" },
});
