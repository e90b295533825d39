import { defineConfig } from "vitest/config";

/**
 * Two projects, run one after the other: `unit` (rules, engine, store, the outgoing path on a
 * virtual clock: seconds) first, then `e2e` (real bot processes over HTTP, kill -9, surges:
 * minutes). `npx vitest run --project unit` runs the fast part alone.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/contract/**/*.test.ts"],
          // one throwaway PostgreSQL cluster per run; tests take fresh databases from it (test/support/postgres.ts);
          // the export tests start the bundled export child (test/support/build-bundle.ts)
          globalSetup: ["test/support/postgres.ts", "test/support/build-bundle.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts", "test/reliability/**/*.test.ts"],
          // the bot processes run dist/main.js, built once per run (test/support/build-bundle.ts)
          globalSetup: ["test/support/postgres.ts", "test/support/build-bundle.ts"],
          sequence: { groupOrder: 1 },
          // every test file spawns bot processes; two cores, so keep parallelism modest
          maxWorkers: 2,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
