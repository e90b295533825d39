import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // one throwaway PostgreSQL cluster per run; tests take fresh databases from it (test/support/postgres.ts)
    globalSetup: ["test/support/postgres.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e tests spawn bot processes; two cores, so keep parallelism modest
    maxWorkers: 2,
  },
});
