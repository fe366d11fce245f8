// ToolForge sandbox watchdog: the deadline that holds INSIDE the container, even when no host
// process is left to kill it (the server was SIGKILLed, the machine lost its network to the
// engine). Dependency-free, like the runner beside it; no forged code ever runs in this process.
//
//   node watchdog.mjs IDLE_MS MAX_JOB_MS
//
// It starts the runner (runner.mjs) as a child and carries the container's stdin to it:
//   1. Until the host hands a job over, the container is IDLE: after IDLE_MS the runner is killed and
//      this process exits with IDLE_EXIT_CODE.
//   2. The host's first line is `TOOLFORGE_DEADLINE <ms>`: the job's time limit. Everything after it
//      (the job line) goes to the runner unchanged. At the limit (at most MAX_JOB_MS) plus
//      DEADLINE_GRACE_MS, so that the host's own kill normally comes first, the runner is killed and
//      this process exits with DEADLINE_EXIT_CODE.
//   Stdin closing at any time (the host's attach is gone: the server died) ends it at once with
//   ABANDONED_EXIT_CODE: nobody is left to hand a job over or to read an answer.
//   3. When the runner exits by itself, this process exits with the runner's code (128 + signal
//      number when a signal ended it).
// With docker-init as PID 1, the container stops when this process exits, whatever is left in it.
//
// Why a second process, and why root: the forged module runs in the runner's process and is hostile.
// A timer there is blocked by `Atomics.wait` or a busy loop and can be unref'd or cleared through
// `process._getActiveHandles()`; a worker thread can be terminated the same way. A separate process
// of the SAME user can be stopped with `process.kill(pid, "SIGSTOP")` (gVisor does not protect a
// container's PID 1 from signals either). So this process runs as root, with only the SETUID and
// SETGID capabilities (the container spec drops everything else), and starts the runner as the
// unprivileged RUNNER_UID:RUNNER_GID: the kernel refuses the runner's signals to it (EPERM), and
// the runner has no capabilities to regain. The host's reaper (src/sandbox/reaper.ts) is the next
// wall: a container that outlives the lifetime it carries on its label is removed.
import { spawn } from "node:child_process";
import { constants } from "node:os";

// ---- pinned by test/unit/sandbox-deadline.test.ts to src/sandbox/deadline.ts ---------------
const DEADLINE_LINE_PREFIX = "TOOLFORGE_DEADLINE ";
const IDLE_EXIT_CODE = 123;
const DEADLINE_EXIT_CODE = 124;
const ABANDONED_EXIT_CODE = 125;
const DEADLINE_GRACE_MS = 1000;
const RUNNER_UID = 1000;
const RUNNER_GID = 1000;
// ------------------------------------------------------------------------------------------------

const RUNNER = new URL("./runner.mjs", import.meta.url).pathname;
/** The control line is short; a longer first line is not from ToolForge's host. */
const MAX_CONTROL_LINE = 64;

function main() {
  const [idleMs, maxJobMs] = process.argv.slice(2).map(Number);
  if (!positive(idleMs) || !positive(maxJobMs)) {
    process.stderr.write("toolforge watchdog: usage: node watchdog.mjs IDLE_MS MAX_JOB_MS\n");
    process.exit(2);
  }

  // Dropping to the unprivileged user needs root; run by hand as another user, the runner simply
  // runs as that user (the deadline still holds against everything but a hostile module).
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const runner = spawn(process.execPath, [RUNNER], {
    stdio: ["pipe", "inherit", "inherit"],
    cwd: "/tmp",
    env: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOSTNAME: process.env.HOSTNAME ?? "", HOME: "/" },
    ...(asRoot ? { uid: RUNNER_UID, gid: RUNNER_GID } : {}),
  });
  // The runner closes its stdin once it has the job line; a late write must not end this process.
  runner.stdin.on("error", () => undefined);

  let ended = false;
  const end = (code) => {
    if (ended) return;
    ended = true;
    try {
      runner.kill("SIGKILL");
    } catch {
      // already gone
    }
    process.exit(code);
  };

  runner.on("exit", (code, signal) => {
    if (ended) return;
    ended = true;
    process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
  });
  runner.on("error", (error) => {
    process.stderr.write(`toolforge watchdog: could not start the runner: ${error.message}\n`);
    end(70);
  });

  const idle = setTimeout(() => end(IDLE_EXIT_CODE), idleMs);
  let head = Buffer.alloc(0); // the control line, until it is complete
  let jobStarted = false;

  process.stdin.on("data", (chunk) => {
    if (jobStarted) {
      runner.stdin.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const newline = head.indexOf(0x0a);
    if (newline < 0) {
      if (head.length > MAX_CONTROL_LINE) refuse("the first line is too long for a deadline");
      return;
    }
    const line = head.subarray(0, newline).toString("latin1");
    const ms = line.startsWith(DEADLINE_LINE_PREFIX) ? /^\d{1,9}$/.exec(line.slice(DEADLINE_LINE_PREFIX.length))?.[0] : undefined;
    if (ms === undefined) return refuse("the first line is not a deadline");
    jobStarted = true;
    clearTimeout(idle);
    setTimeout(() => end(DEADLINE_EXIT_CODE), Math.min(Number(ms), maxJobMs) + DEADLINE_GRACE_MS);
    const rest = head.subarray(newline + 1);
    head = Buffer.alloc(0);
    if (rest.length > 0) runner.stdin.write(rest);
  });
  // The host went away (its attach closed): nobody will hand a job over or read an answer.
  process.stdin.on("end", () => end(ABANDONED_EXIT_CODE));
  process.stdin.on("error", () => end(ABANDONED_EXIT_CODE));

  function refuse(why) {
    process.stderr.write(`toolforge watchdog: ${why}\n`);
    end(2);
  }
}

function positive(n) {
  return Number.isSafeInteger(n) && n > 0;
}

main();
