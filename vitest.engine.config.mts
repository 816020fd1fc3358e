import { defineConfig } from "vitest/config";

// `npm run test:engine`: the real Pulumi CLI (from `npm run engine:setup`) against the emulator. The files are
// named *.engine.ts so the default `npm test` (test/**/*.test.ts) never picks them up.
export default defineConfig({
  test: {
    include: ["test/engine/**/*.engine.ts"],
    // Each step is one real CLI run (program, provider host, ts-node) on a shared 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 1,
    reporters: ["default", "./test/helpers/plainSummaryReporter.ts"],
  },
});
