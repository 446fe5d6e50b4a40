import { defineConfig } from "vitest/config";

// Preact's automatic JSX runtime through Vite's own transformer: no framework plugin to keep in step with Vite.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": { target: process.env.PROCTOR_API_URL ?? "http://127.0.0.1:8000", rewrite: (p) => p.replace(/^\/api/, "") } } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
