/**
 * How a long-lived container's output is split into its jobs' (src/sandbox/container-output.ts):
 * fed byte streams as the supervisor writes them, in awkward pieces.
 */
import { describe, expect, it } from "vitest";
import { ContainerOutput } from "../../src/sandbox/container-output.js";
import { endLinePrefix } from "../../src/sandbox/deadline.js";
import { READY_MARKER, stderrEndLine } from "../../src/sandbox/output.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
const NONCE = "fedcba9876543210fedcba9876543210";
const REPORT = `TOOLFORGE_REPORT ${TOKEN} {"ok":true,"phase":"done","result":1}`;

/** Writes `text` to a sink in pieces of `size` bytes (lines split anywhere). */
async function feed(sink: NodeJS.WritableStream, text: string, size = 7): Promise<void> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += size) {
    await new Promise<void>((resolve, reject) => sink.write(bytes.subarray(at, at + size), (error) => (error ? reject(error) : resolve())));
  }
}

async function readyOutput(): Promise<ContainerOutput> {
  const output = new ContainerOutput();
  await feed(output.stdoutSink, READY_MARKER);
  await output.whenReady();
  return output;
}

function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  return new Promise((resolve) => setImmediate(() => resolve(done)));
}

describe("a container's output, job by job", () => {
  it("gives a job its output up to its report, drops what follows, and is ready again only after its end on both streams and READY", async () => {
    const output = await readyOutput();
    const job = output.beginJob(TOKEN, NONCE);
    await feed(output.stdoutSink, `printed\n${REPORT}\nwritten by a leftover after the report\n`);
    await feed(output.stderrSink, `a warning\n\n${stderrEndLine(TOKEN)}\nleftover on stderr\n`);
    await expect(job.report).resolves.toBe(REPORT);
    await expect(job.stderrComplete).resolves.toBeUndefined();
    expect(job.stdout.text()).toBe(`printed\n${REPORT}\n`);
    expect(job.stderr.text()).toBe(`a warning\n\n${stderrEndLine(TOKEN)}\n`);

    await feed(output.stdoutSink, `\n${endLinePrefix(NONCE)}0\n${READY_MARKER}`);
    await expect(job.ended).resolves.toBe(0);
    expect(output.isReady).toBe(false); // the end of its stderr has not come yet
    await feed(output.stderrSink, `\n${endLinePrefix(NONCE)}0\n`);
    await output.whenReady();
    expect(output.isReady).toBe(true);
  });

  it("ends a job without a report at the supervisor's end line, with the runner's status and without that line", async () => {
    const output = await readyOutput();
    const job = output.beginJob(TOKEN, NONCE);
    await feed(output.stdoutSink, `partial output`);
    await feed(output.stderrSink, `Error: crashed\n`);
    await feed(output.stdoutSink, `\n${endLinePrefix(NONCE)}3\n`);
    await feed(output.stderrSink, `\n${endLinePrefix(NONCE)}3\n`);
    await expect(job.ended).resolves.toBe(3);
    await job.stderrComplete;
    expect(job.stdout.text()).toBe("partial output");
    expect(job.stderr.text()).toBe("Error: crashed\n");
    expect(await settled(job.report)).toBe(false);
  });

  it("is not fooled by end lines with another nonce, or a READY, written by the job", async () => {
    const output = await readyOutput();
    const job = output.beginJob(TOKEN, NONCE);
    const forged = `${endLinePrefix("00000000000000000000000000000000")}0\n${READY_MARKER}`;
    await feed(output.stdoutSink, forged);
    await feed(output.stderrSink, forged);
    expect(await settled(job.ended)).toBe(false);
    expect(await settled(job.stderrComplete)).toBe(false);
    expect(output.isReady).toBe(false);
    expect(job.stdout.text()).toBe(forged);
  });

  it("refuses a job before the container is ready", () => {
    const output = new ContainerOutput();
    expect(() => output.beginJob(TOKEN, NONCE)).toThrow(/before the container was ready/);
  });
});
