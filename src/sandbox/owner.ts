/**
 * Who owns a sandbox container: the host name, the pid and the pid's start time, written into a
 * label at creation. The reaper removes a container only when that process is certainly dead (same
 * host, and the pid is gone or now belongs to a process that started at another time), so it never
 * touches the containers of another live process sharing the Docker engine.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

export const SANDBOX_LABEL = "toolforge.sandbox";
export const OWNER_LABEL = "toolforge.owner";
/** Set on containers a pool started ahead of their job. */
export const POOL_LABEL = "toolforge.pool";

export interface Owner {
  host: string;
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null where /proc is missing. */
  startTicks: number | null;
}

export function currentOwner(): Owner {
  return { host: os.hostname(), pid: process.pid, startTicks: processStartTicks(process.pid) };
}

export function formatOwner(owner: Owner): string {
  return `${owner.host}/${owner.pid}/${owner.startTicks ?? "?"}`;
}

export function parseOwner(label: string | undefined): Owner | null {
  const match = label ? /^(.+)\/(\d+)\/(\d+|\?)$/.exec(label) : null;
  if (!match) return null;
  return { host: match[1]!, pid: Number(match[2]), startTicks: match[3] === "?" ? null : Number(match[3]) };
}

/** Reads the start time of a pid, or null when the process does not exist or /proc cannot tell. */
export function processStartTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]); // field 22 overall: 3rd field after ")" is field 3
  return Number.isFinite(ticks) ? ticks : null;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * True only when the owner is known to be dead. A container of another host, or with an owner
 * label we cannot read, is never judged dead: it may belong to a live process we cannot see.
 */
export function ownerIsDead(owner: Owner | null, here: string = os.hostname()): boolean {
  if (!owner || owner.host !== here) return false;
  if (!pidExists(owner.pid)) return true;
  if (owner.startTicks === null) return false;
  const now = processStartTicks(owner.pid);
  return now !== null && now !== owner.startTicks; // the pid was reused by a newer process
}
