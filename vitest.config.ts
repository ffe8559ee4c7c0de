// Vitest runs the suite on Deno (Bun runs it with `bun test`). On Deno the
// forks pool is the reliable one (RUNTIME-FACTS.md); threads would do on Bun.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
