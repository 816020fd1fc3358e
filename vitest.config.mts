import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Program and provider-host tests share Pulumi's process-wide runtime state; files run in separate forks.
    pool: "forks",
    // Both cores: files are independent (each has its own emulators, ports and scratch folders).
    maxWorkers: 2,
    reporters: ["default", "./test/helpers/plainSummaryReporter.ts"],
  },
});
