/**
 * What goes wrong in the sandbox's background (a container that will not start, an events stream
 * that will not close) reaches the diagnostics channel it was given — the runtime's, which the
 * server sends to its log — and not process warnings that nothing routes.
 */
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { DiagnosticsChannel, type Diagnostic } from "../../src/diagnostics.js";
import type { DockerSandbox } from "../../src/sandbox/docker-sandbox.js";
import { OomWatch } from "../../src/sandbox/oom-watch.js";
import { SandboxPool } from "../../src/sandbox/pool.js";
import { untilPresent } from "../support/until.js";

function listening(): { channel: DiagnosticsChannel; heard: Diagnostic[] } {
  const channel = new DiagnosticsChannel();
  const heard: Diagnostic[] = [];
  channel.subscribe((diagnostic) => heard.push(diagnostic));
  return { channel, heard };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the sandbox's diagnostics", () => {
  it("reports a container the pool could not start on the channel it was given, not as a process warning", async () => {
    const warnings = vi.spyOn(process, "emitWarning");
    const { channel, heard } = listening();
    // Docker refusing every start: the pool backs off and says so.
    const docker = {
      isClosed: false,
      startContainer: async () => {
        throw new Error("the Docker daemon is gone");
      },
      settled: async () => {},
      close: async () => {},
    } as unknown as DockerSandbox;
    const settings = { minReady: 1, maxContainers: 1, jobsPerContainer: 1, queueLimit: 0, queueTimeoutMs: 1_000, defaultTimeoutMs: 1_000 };
    const pool = new SandboxPool(docker, settings, channel);
    onTestFinished(() => pool.close());
    const diagnostic = await untilPresent("the pool's diagnostic", () => heard[0], { timeoutMs: 5_000, intervalMs: 10 });
    expect(diagnostic).toMatchObject({
      source: "sandbox",
      message: expect.stringMatching(/starting a container failed \(the Docker daemon is gone\)/),
    });
    expect(warnings).not.toHaveBeenCalled();
  });

  it("reports an oom events stream that could not be closed on the channel it was given", () => {
    const warnings = vi.spyOn(process, "emitWarning");
    const { channel, heard } = listening();
    const stream = Object.assign(new PassThrough(), {
      destroy: () => {
        throw new Error("socket already torn down");
      },
    });
    new OomWatch(stream, channel).close();
    expect(heard).toEqual([
      { source: "sandbox", message: expect.stringMatching(/closing an events stream failed: socket already torn down/) },
    ]);
    expect(warnings).not.toHaveBeenCalled();
  });
});
