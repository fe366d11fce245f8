/**
 * The labels on every sandbox container: that it is one (`toolforge.sandbox`), who made it (the
 * process identity, util/process-identity.ts), whether a pool started it ahead of its job, and the
 * lifetime it enforces on itself (deadline.ts), from which the reaper knows when an orphan whose
 * owner it cannot judge may be removed.
 */
import { formatIdentity, parseIdentity, type ProcessIdentity } from "../util/process-identity.js";

export const SANDBOX_LABEL = "toolforge.sandbox";
export const OWNER_LABEL = "toolforge.owner";
/** Set on containers a pool started ahead of their job. */
export const POOL_LABEL = "toolforge.pool";
/** Milliseconds from its creation within which the container ends itself. */
export const LIFETIME_LABEL = "toolforge.lifetime-ms";

export function sandboxLabels(owner: ProcessIdentity, lifetimeMs: number, pooled: boolean): Record<string, string> {
  const labels: Record<string, string> = {
    [SANDBOX_LABEL]: "1",
    [OWNER_LABEL]: formatIdentity(owner),
    [LIFETIME_LABEL]: String(Math.ceil(lifetimeMs)),
  };
  if (pooled) labels[POOL_LABEL] = "1";
  return labels;
}

export interface ReadLabels {
  /** Null for a label this version did not write (an older ToolForge's host/pid label). */
  owner: ProcessIdentity | null;
  /** Null when the container carries no lifetime (made by an older ToolForge). */
  lifetimeMs: number | null;
}

export function readLabels(labels: Record<string, string> | undefined): ReadLabels {
  const lifetime = Number(labels?.[LIFETIME_LABEL]);
  return {
    owner: parseIdentity(labels?.[OWNER_LABEL]),
    lifetimeMs: labels?.[LIFETIME_LABEL] !== undefined && Number.isSafeInteger(lifetime) && lifetime > 0 ? lifetime : null,
  };
}
