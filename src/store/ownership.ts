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
import type { Diagnostics } from "../diagnostics.js";
import { ToolForgeError, errorMessage } from "../errors.js";
import type { OpenStoreOptions } from "./options.js";
import type { MessagePatch, MessageStatus } from "./types.js";
import { certainlyDead, parseIdentity } from "../util/process-identity.js";

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

/**
 * The owners (other than `self`) whose work may be taken over now, and the ids of the others with
 * `self` added: work whose owner is not `live` is nobody's.
 */
export function judgeOwners(owners: readonly OwnerLease[], self: string): { dead: string[]; live: string[] } {
  const dead: string[] = [];
  const live: string[] = [];
  for (const owner of owners) {
    if (owner.id !== self && (owner.expired || certainlyDead(parseIdentity(owner.identity)))) dead.push(owner.id);
    else live.push(owner.id);
  }
  live.push(self);
  return { dead, live };
}

/**
 * Calls `renew` every third of the lease (every 50 ms at least), warning `diagnostics` when a
 * renewal fails (the next one tries again; a lease that runs out only lets others take over this
 * owner's work). The timer does not keep the process alive.
 */
export function renewEvery(owner: string, leaseMs: number, renew: () => void | Promise<void>, diagnostics: Diagnostics): NodeJS.Timeout {
  const timer = setInterval(
    () =>
      void (async () => {
        try {
          await renew();
        } catch (error) {
          diagnostics.warn("store", `could not renew the store lease of owner ${owner}: ${errorMessage(error)}`, { ownerId: owner });
        }
      })(),
    Math.max(50, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  return timer;
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

/** The lease of an open of the store: `options.leaseMs`, or DEFAULT_LEASE_MS. */
export function leaseMsOf(options: OpenStoreOptions): number {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isInteger(leaseMs) || leaseMs < 100) throw new RangeError(`a store lease of ${leaseMs} ms is too short: use 100 ms or more`);
  return leaseMs;
}
