/**
 * Who holds the work in flight. Every open of a store is an OWNER: it registers itself (a random
 * id, its process identity, a lease), renews the lease while it is open, and marks each message
 * and forge run it creates with its id. A process that dies (SIGKILL, crash, power cut) stops
 * renewing; its work is then resolved by another process's `recoverInterruptedWork()`:
 *   - a pending message (never started) is taken over and delivered again;
 *   - a running message is failed with INTERRUPTED_MESSAGE and never run again (a method may
 *     already have changed its object);
 *   - a running forge run is failed with INTERRUPTED_FORGE_RUN.
 * An owner is dead when its lease has expired, or at once when it is certainly dead (same boot and
 * PID namespace, pid gone: see util/process-identity.ts); a live owner's work is never touched.
 * Moves are guarded in the store: only the holder may start or finish a message, and only a
 * pending message starts, so a message taken over can never run in two processes.
 */
import { ToolForgeError } from "../errors.js";
import type { MessagePatch, MessageStatus } from "./types.js";
import { certainlyDead, parseIdentity, type ProcessIdentity } from "../util/process-identity.js";

/** How long an owner stays alive without renewing its lease (renewed every third of it). */
export const DEFAULT_LEASE_MS = 30_000;

export const INTERRUPTED_MESSAGE =
  "interrupted by a restart: the process running this message stopped before it finished, and it is not run again " +
  "because its method may already have changed the object; send it again if that is safe";

export const INTERRUPTED_FORGE_RUN = "interrupted by a restart: the process running this forge stopped before it finished";

/** An owner as the recovery reads it. */
export interface OwnerLease {
  id: string;
  /** The formatted ProcessIdentity (see formatIdentity). */
  identity: string;
  /** True when the lease ran out (judged by the store's clock). */
  expired: boolean;
}

/** The owners (other than `self`) whose work may be taken over now. */
export function deadOwners(owners: readonly OwnerLease[], self: string, here?: ProcessIdentity): string[] {
  return owners
    .filter((owner) => owner.id !== self && (owner.expired || certainlyDead(parseIdentity(owner.identity), here)))
    .map((o) => o.id);
}

/** A message or forge run this owner no longer holds (finished, or taken over by another process). */
export class WorkNotHeldError extends ToolForgeError {
  constructor(what: string, reason: string) {
    super("work_not_held", `${what} is not held by this process: ${reason}`, {
      hint: "another process took it over after this process stopped renewing its lease; its record there is the one that counts",
    });
  }
}

/**
 * Refuses an update of a message this owner does not hold (another owner's, or nobody's), of a
 * finished message, and a start of a message that is not pending: the guard that keeps a message
 * taken over from running twice.
 */
export function checkMessageHeld(
  id: string,
  held: { status: MessageStatus; ownerId: string | null },
  self: string,
  patch: MessagePatch,
): void {
  if (held.status === "done" || held.status === "failed")
    throw new WorkNotHeldError(`message "${id}"`, `it has already finished (${held.status})`);
  if (held.ownerId !== self) throw new WorkNotHeldError(`message "${id}"`, "another process holds it now");
  if (patch.status === "running" && held.status !== "pending") throw new WorkNotHeldError(`message "${id}"`, "it has already started");
}

export function checkLeaseMs(leaseMs: number): number {
  if (!Number.isInteger(leaseMs) || leaseMs < 100) throw new RangeError(`a store lease of ${leaseMs} ms is too short: use 100 ms or more`);
  return leaseMs;
}
