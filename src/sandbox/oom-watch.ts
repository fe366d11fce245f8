/**
 * Whether the kernel's OOM killer ended a container, told dependably.
 *
 * `State.OOMKilled` alone is not dependable: the engine (Docker 20.10 here) sets it only when
 * containerd's OOM event for the container reaches it BEFORE the exit event. The two travel
 * separately (the shim watches the cgroup's OOM notifications in one place and the process's exit
 * in another), and under runsc on a loaded machine the exit often arrives first; the flag then stays
 * false for good, although the engine still publishes an `oom` event for the container a moment
 * later (as long as the container has not been removed yet). So each container's `oom` events are
 * watched from its creation, and an exit that looks like a kill (137) which the host did not send
 * waits briefly for that event before the container is removed.
 */
import type Docker from "dockerode";
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import { errorMessage } from "../errors.js";

/** After an unexplained kill, how long to wait for the engine's late `oom` event. */
export const OOM_EVENT_GRACE_MS = 3_000;

export class OomWatch {
  private seen = false;
  private readonly waiters = new Set<() => void>();

  /** Reads an events stream (Docker's `/events`: one JSON object per line); `open` makes one. */
  constructor(
    private readonly stream: NodeJS.ReadableStream & { destroy?: () => void },
    private readonly diagnostics: Diagnostics = processDiagnostics,
  ) {
    let buffered = "";
    stream.on("data", (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line && isOomEvent(line)) this.markSeen();
      }
      if (buffered.trim() && isOomEvent(buffered.trim())) {
        buffered = "";
        this.markSeen();
      }
    });
    // A broken events stream only loses this second source; State.OOMKilled is still read.
    stream.on("error", () => undefined);
  }

  /** Subscribes to the container's `oom` events; call before the container starts. */
  static async open(docker: Docker, containerId: string, diagnostics: Diagnostics = processDiagnostics): Promise<OomWatch> {
    const stream = await docker.getEvents({ filters: { container: [containerId], event: ["oom"] } });
    return new OomWatch(stream, diagnostics);
  }

  get oomKilled(): boolean {
    return this.seen;
  }

  /** True once the event has arrived, or when it arrives within `ms`. */
  waitFor(ms: number): Promise<boolean> {
    if (this.seen) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.seen);
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  close(): void {
    try {
      this.stream.destroy?.();
    } catch (error) {
      this.diagnostics.warn("sandbox", `toolforge sandbox: closing an events stream failed: ${errorMessage(error)}`);
    }
    for (const wake of [...this.waiters]) wake();
  }

  private markSeen(): void {
    this.seen = true;
    for (const wake of [...this.waiters]) wake();
  }
}

function isOomEvent(line: string): boolean {
  try {
    const event = JSON.parse(line) as { status?: unknown; Action?: unknown };
    return event.status === "oom" || event.Action === "oom";
  } catch {
    return false;
  }
}
