/**
 * Work a dead process left in the store (messages, forge runs: see store/ownership.ts) is resolved
 * when the server starts, and then on a timer: a process that died moments before this one started
 * may still hold a lease for a while (when it cannot be judged dead at once), and another server
 * sharing the store may die at any time.
 */
import type { Logger } from "pino";
import { errorMessage } from "../errors.js";
import type { ObjectSpace } from "../objects/index.js";
import { DEFAULT_LEASE_MS } from "../store/ownership.js";
import type { RecoveredWork } from "../store/types.js";

/** How often the server looks for work of dead owners after the first look at start. */
const RECOVERY_INTERVAL_MS = DEFAULT_LEASE_MS / 2;

export interface Recovery {
  stop(): void;
}

/** Recovers once now (failures are thrown: the server should not start on a store it cannot use), then every interval. */
export async function startRecovery(objects: ObjectSpace, logger: Logger, intervalMs = RECOVERY_INTERVAL_MS): Promise<Recovery> {
  report(await objects.recover(), logger);
  const timer = setInterval(() => {
    objects.recover().then(
      (work) => report(work, logger),
      (error: unknown) => logger.warn({ reason: errorMessage(error) }, "could not look for interrupted work; trying again later"),
    );
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function report(work: RecoveredWork, logger: Logger): void {
  const counts = {
    requeued: work.requeued.length,
    interruptedMessages: work.interruptedMessages.length,
    interruptedForgeRuns: work.interruptedForgeRuns.length,
  };
  if (counts.requeued + counts.interruptedMessages + counts.interruptedForgeRuns === 0) return;
  logger.info(counts, "resolved work a stopped process left: pending messages delivered again, running ones failed as interrupted");
}
