import { defineConfig } from "vitest/config";

// Two projects: fast unit tests (no Docker, no network beyond loopback) and integration tests
// (real gVisor sandbox, real SQLite files, scripted Ollama over HTTP, child processes).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 20_000,
          // Unit tests run first, then the integration tests (groups run one after another).
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/support/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Containers and child processes: two files at a time on two cores.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
