/**
 * A sandbox for tests that must not run forged code: every job is refused with the typed error a
 * missing sandbox gives (SandboxUnavailableError), so the code under test takes its "no sandbox"
 * path. Built-in tools run in process, and a forge that fails before validation never gets here.
 *
 *   createRuntime(config, { sandbox: refusingSandbox })
 *   const sandbox = recordingRefusingSandbox();   // sandbox.jobs: every job that reached it
 */
import { SandboxUnavailableError } from "../../src/errors.js";
import type { Sandbox, SandboxJob } from "../../src/sandbox/types.js";

/** The message of every refusal (tests match on it). */
export const REFUSED_MESSAGE = "this test has no sandbox";

function refuse(): never {
  throw new SandboxUnavailableError(REFUSED_MESSAGE, "the test should not run forged code");
}

export const refusingSandbox: Sandbox = {
  run: async () => refuse(),
  close: async () => {},
};

/** A refusing sandbox that keeps every job that reached it (the proof that a call got that far). */
export function recordingRefusingSandbox(): Sandbox & { jobs: SandboxJob[] } {
  const jobs: SandboxJob[] = [];
  return {
    jobs,
    run: async (job) => {
      jobs.push(job);
      return refuse();
    },
    close: async () => {},
  };
}
