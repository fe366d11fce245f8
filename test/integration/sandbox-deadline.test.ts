/**
 * The deadline holds INSIDE the container: a job that spins is ended by the container itself while
 * the host keeps its connection open and never kills anything — also when the module first attacks
 * the supervisor (signals to its parent, to its process group, to PID 1 and to every process it can
 * reach, unref'ing every handle it can see). For a cold container and a pooled one alike, and for a
 * pooled container's second job as well as its first. (The host's own kill at the timeout is
 * covered by the walls suite; the container's idle deadline by sandbox-reaper.test.ts.)
 */
import { PassThrough, type Duplex } from "node:stream";
import { randomBytes } from "node:crypto";
import Docker from "dockerode";
import { afterEach, expect, it } from "vitest";
import { containerSpec } from "../../src/sandbox/container-spec.js";
import {
  DEADLINE_EXIT_CODE,
  deadlineLine,
  DEFAULT_TIMING,
  endLinePrefix,
  MAX_JOB_TIMEOUT_MS,
  type ContainerDeadlines,
} from "../../src/sandbox/deadline.js";
import { ensureImage } from "../../src/sandbox/image.js";
import { currentProcess } from "../../src/util/process-identity.js";
import { describeSandbox, testSandboxConfig } from "../support/sandbox.js";
import { untilPresent } from "../support/until.js";

const docker = new Docker();
const POOLED = { idleMs: DEFAULT_TIMING.poolIdleMs, maxJobMs: MAX_JOB_TIMEOUT_MS, acceptMs: DEFAULT_TIMING.poolAcceptMs, maxJobs: 100 };

const HOSTILE_SPIN = `export default function f() {
  const attempts = [[process.ppid, "SIGSTOP"], [process.ppid, "SIGKILL"], [0, "SIGSTOP"], [1, "SIGSTOP"], [1, "SIGKILL"], [-1, "SIGSTOP"], [-1, "SIGKILL"]];
  for (const [pid, signal] of attempts) { try { process.kill(pid, signal); } catch {} }
  for (const handle of process._getActiveHandles()) { try { handle.unref?.(); } catch {} }
  for (;;) {}
}`;

interface RawContainer {
  id: string;
  stream: Duplex;
  output: () => string;
}

/** A sandbox container driven by hand: created from the product's spec, attached, started, READY. */
async function startRaw(deadlines: ContainerDeadlines, pooled: boolean): Promise<RawContainer & { container: Docker.Container }> {
  const config = testSandboxConfig({ poolSize: 0 });
  const image = await ensureImage(docker, config.sandbox.image);
  const container = await docker.createContainer(
    containerSpec(image, config.sandbox, currentProcess(), deadlines, DEFAULT_TIMING, { pooled }),
  );
  const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
  stream.on("error", () => undefined);
  let output = "";
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  stderr.resume();
  docker.modem.demuxStream(stream, stdout, stderr);
  await container.start();
  const deadline = Date.now() + 120_000;
  while (!output.includes("TOOLFORGE_READY\n")) {
    if (Date.now() > deadline) throw new Error(`the container was not ready; output: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { id: container.id, container, stream, output: () => output };
}

describeSandbox(
  "the container's own deadline",
  () => {
    const made: { container: Docker.Container; stream: Duplex }[] = [];
    afterEach(async () => {
      for (const { container, stream } of made.splice(0)) {
        stream.destroy();
        await container.remove({ force: true }).catch(() => undefined);
      }
    });

    const jobLine = (module: string) =>
      JSON.stringify({
        token: randomBytes(16).toString("hex"),
        action: "call",
        contract: "method",
        module,
        input: { self: {}, args: [] },
      }) + "\n";

    for (const [kind, deadlines, pooled, jobsBefore] of [
      [
        "a cold container",
        { idleMs: DEFAULT_TIMING.coldIdleMs, maxJobMs: 2_000, acceptMs: DEFAULT_TIMING.coldIdleMs, maxJobs: 1 },
        false,
        0,
      ],
      ["a pooled container", POOLED, true, 0],
      ["a pooled container's second job", POOLED, true, 1],
    ] as const) {
      it(`ends a spinning job that attacks its supervisor at the deadline, with the host connected and passive (${kind})`, async () => {
        const raw = await startRaw(deadlines, pooled);
        made.push(raw);
        for (let n = 0; n < jobsBefore; n++) {
          const nonce = randomBytes(16).toString("hex");
          raw.stream.write(deadlineLine(10_000, nonce) + jobLine("export default function f() { return 1; }"));
          await untilPresent(
            "the first job's end and the next READY",
            () => raw.output().split(endLinePrefix(nonce))[1]?.includes("TOOLFORGE_READY\n"),
            {
              timeoutMs: 60_000,
            },
          );
        }
        raw.stream.write(deadlineLine(2_000, randomBytes(16).toString("hex")) + jobLine(HOSTILE_SPIN));
        // The host keeps its connection open and never kills: only the container can end the job.
        const { StatusCode } = (await raw.container.wait()) as { StatusCode: number };
        expect(StatusCode).toBe(DEADLINE_EXIT_CODE);
        expect(raw.output().split("TOOLFORGE_REPORT").length - 1).toBe(jobsBefore);
      });
    }
  },
  { sandbox: { poolSize: 0 } },
);
