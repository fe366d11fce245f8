/** Preflight against the real engine: what is missing is named, with its fix; the image builds safely. */
import Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { afterAll, expect, it, onTestFinished, vi } from "vitest";
import type { Config } from "../../src/config.js";
import { DiagnosticsChannel, type Diagnostic } from "../../src/diagnostics.js";
import { SandboxUnavailableError } from "../../src/errors.js";
import { createSandbox } from "../../src/sandbox/index.js";
import { buildOfflineImage, imageExists } from "../../src/sandbox/image.js";
import { checkSandbox } from "../../src/sandbox/preflight.js";
import { describeSandbox, testSandboxConfig } from "../support/sandbox.js";

const docker = new Docker();

describeSandbox(
  "sandbox preflight on a real Docker engine",
  () => {
    const scratchTag = `toolforge-sandbox-test:${randomBytes(6).toString("hex")}`;
    afterAll(async () => {
      if (await imageExists(docker, scratchTag)) await docker.getImage(scratchTag).remove({ force: true });
    });

    it("reports Docker, the runtime and the image as ok here", async () => {
      const checks = await checkSandbox(testSandboxConfig(), { docker });
      expect(checks.docker.ok).toBe(true);
      expect(checks.runtime.ok).toBe(true);
      expect(checks.image.ok).toBe(true);
    });

    it("names a runtime the engine does not have and gives the daemon.json fix", async () => {
      const base = testSandboxConfig();
      const config: Config = {
        ...base,
        sandbox: { ...base.sandbox, runtime: "toolforge-missing-runtime" as Config["sandbox"]["runtime"] },
      };
      const checks = await checkSandbox(config, { docker });
      expect(checks.runtime.ok).toBe(false);
      expect(checks.runtime.detail).toMatch(/no "toolforge-missing-runtime" runtime/);
      expect(checks.runtime.fix).toMatch(/daemon\.json/);
      await expect(createSandbox(config, { docker })).rejects.toBeInstanceOf(SandboxUnavailableError);
    });

    it("tells the diagnostics channel it is given, not process warnings, that runc is no security boundary", async () => {
      const channel = new DiagnosticsChannel();
      const heard: Diagnostic[] = [];
      channel.subscribe((diagnostic) => heard.push(diagnostic));
      const warnings = vi.spyOn(process, "emitWarning");
      onTestFinished(() => warnings.mockRestore());
      const sandbox = await createSandbox(testSandboxConfig({ runtime: "runc", poolSize: 0 }), { docker, diagnostics: channel });
      onTestFinished(() => sandbox.close());
      expect(heard).toContainEqual({
        source: "sandbox",
        message: expect.stringMatching(/SANDBOX_RUNTIME=runc: .*NOT a security boundary/),
      });
      expect(warnings).not.toHaveBeenCalled();
    });

    it("refuses a configured image that is not there, saying how to get it", async () => {
      const config = testSandboxConfig({ image: "toolforge-no-such-image:missing" });
      const checks = await checkSandbox(config, { docker });
      expect(checks.image.ok).toBe(false);
      expect(checks.image.fix).toMatch(/unset SANDBOX_IMAGE/);
      await expect(createSandbox(config, { docker })).rejects.toThrow(/toolforge-no-such-image:missing/);
    });

    it("ends with the image when two builds of the same tag run at once", async () => {
      await Promise.all([buildOfflineImage(docker, scratchTag), buildOfflineImage(docker, scratchTag)]);
      expect(await imageExists(docker, scratchTag)).toBe(true);
    });
  },
  { sandbox: { poolSize: 0 } },
);
