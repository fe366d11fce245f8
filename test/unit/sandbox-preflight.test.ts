import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { SandboxUnavailableError } from "../../src/errors.js";
import { createSandbox } from "../../src/sandbox/index.js";
import { checkSandbox, runtimeFix } from "../../src/sandbox/preflight.js";

const unreachable = () => new Docker({ socketPath: "/nonexistent/toolforge-test-docker.sock" });

describe("sandbox preflight without a Docker engine", () => {
  it("reports Docker unreachable with the command that starts it, and skips the other checks", async () => {
    const checks = await checkSandbox(loadConfig({}), { docker: unreachable() });
    expect(checks.docker.ok).toBe(false);
    expect(checks.docker.detail).toMatch(/not reachable/);
    expect(checks.docker.fix).toMatch(/provision-sandbox\.sh/);
    expect(checks.runtime.ok).toBe(false);
    expect(checks.image.ok).toBe(false);
  });

  it("makes createSandbox fail with a SandboxUnavailableError that says how to start Docker", async () => {
    const attempt = createSandbox(loadConfig({}), { docker: unreachable() });
    await expect(attempt).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(attempt).rejects.toThrow(/systemctl start docker|provision-sandbox/);
  });
});

describe("the fix for a missing runsc runtime", () => {
  it("gives the daemon.json snippet with --network=none and how to reload dockerd", () => {
    const fix = runtimeFix("runsc");
    expect(fix).toContain('"runtimes":{"runsc":{"path":"/usr/bin/runsc","runtimeArgs":["--network=none"]}}');
    expect(fix).toMatch(/HUP|restart docker/);
  });
});
