/**
 * Removes sandbox containers left behind by processes that died (SIGKILL, crash, power cut) without
 * cleaning up. Only containers whose owner label names a process that is certainly dead are
 * removed: other engineers' and other servers' live sandboxes on the same engine are left alone.
 */
import type Docker from "dockerode";
import { isGoneOrStopped } from "./docker-errors.js";
import { OWNER_LABEL, ownerIsDead, parseOwner, SANDBOX_LABEL } from "./owner.js";
import { errorMessage } from "../errors.js";

export interface ReapOutcome {
  /** Ids of the containers removed. */
  removed: string[];
  /** Sandbox containers left in place because their owner is alive (or cannot be judged). */
  kept: number;
}

export async function reapDeadOwnersContainers(docker: Docker): Promise<ReapOutcome> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=1`] } });
  const outcome: ReapOutcome = { removed: [], kept: 0 };
  for (const info of containers) {
    if (!ownerIsDead(parseOwner(info.Labels?.[OWNER_LABEL]))) {
      outcome.kept++;
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
