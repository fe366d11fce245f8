/**
 * Removes sandbox containers that nobody will remove: their owner died (SIGKILL, crash, power cut)
 * without cleaning up. Two rules, both safe when other ToolForge processes share the Docker engine
 * from other PID namespaces or machines (containers, CI runners, Kubernetes nodes) — where the same
 * host name and even the same pid can belong to a live process:
 *   1. the owner is CERTAINLY dead: same boot and PID namespace as this process, and its pid is gone
 *      or reused (util/process-identity.ts). Removed at once.
 *   2. the container has outlived the lifetime on its label: it ends itself within that time
 *      (sandbox/supervisor.pl, deadline.ts), so past it, it is an orphan whoever made it. Judged by
 *      the ENGINE's clock (its `Created` against its current time), so clocks of the processes
 *      sharing it do not matter.
 * Anything else may belong to a live process and is kept. Containers of an older ToolForge (a
 * `host/pid` owner label and no lifetime) are never judged: they are counted, for a person to remove.
 */
import type Docker from "dockerode";
import { errorMessage } from "../errors.js";
import { certainlyDead, currentProcess, type ProcessIdentity } from "../util/process-identity.js";
import { isGoneOrStopped } from "./docker-errors.js";
import { readLabels, SANDBOX_LABEL } from "./labels.js";

/** Slack beyond a container's lifetime before it counts as expired (`Created` is in whole seconds). */
const EXPIRY_MARGIN_MS = 30_000;

export interface ReapOutcome {
  /** Ids of the containers removed. */
  removed: string[];
  /** Sandbox containers left in place because their owner may be alive and their lifetime has not passed. */
  kept: number;
  /** Of those, containers made by an older ToolForge, which carry no lifetime to judge them by. */
  unjudged: number;
}

export interface ReapOptions {
  /** This process (default: the current one); tests stand in for another. */
  here?: ProcessIdentity;
}

/** Whether a sandbox container may be removed (see the top of this file). */
export function isOrphan(
  container: { labels: Record<string, string> | undefined; createdMs: number },
  engineNowMs: number,
  here: ProcessIdentity,
): boolean {
  const { owner, lifetimeMs } = readLabels(container.labels);
  if (certainlyDead(owner, here)) return true;
  return lifetimeMs !== null && engineNowMs > container.createdMs + lifetimeMs + EXPIRY_MARGIN_MS;
}

export async function reapOrphanedContainers(docker: Docker, options: ReapOptions = {}): Promise<ReapOutcome> {
  const here = options.here ?? currentProcess();
  const containers = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=1`] } });
  const outcome: ReapOutcome = { removed: [], kept: 0, unjudged: 0 };
  if (containers.length === 0) return outcome;
  const engineNowMs = await engineTime(docker);
  for (const info of containers) {
    if (!isOrphan({ labels: info.Labels, createdMs: info.Created * 1000 }, engineNowMs, here)) {
      outcome.kept++;
      if (readLabels(info.Labels).lifetimeMs === null) outcome.unjudged++;
      continue;
    }
    try {
      await docker.getContainer(info.Id).remove({ force: true });
      outcome.removed.push(info.Id);
    } catch (error) {
      if (!isGoneOrStopped(error)) {
        throw new Error(`could not remove leftover sandbox container ${info.Id.slice(0, 12)}: ${errorMessage(error)}`, { cause: error });
      }
    }
  }
  return outcome;
}

/** The engine's current time (`SystemTime` of `docker info`), the clock containers' `Created` is in. */
async function engineTime(docker: Docker): Promise<number> {
  const info = (await docker.info()) as { SystemTime?: string };
  const ms = info.SystemTime ? Date.parse(info.SystemTime) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`the Docker engine did not say what time it is (SystemTime ${JSON.stringify(info.SystemTime)})`);
  return ms;
}
