/**
 * Who a process is, in a form another process can judge later: the kernel boot, the PID
 * namespace, the pid and the pid's start time (plus the host name, for people to read).
 *
 * A process can tell that another one is CERTAINLY dead only when both share the boot and the PID
 * namespace: only then does the pid name the same process for both. The host name decides nothing:
 * containers sharing one Docker engine or one data directory repeat host names across PID
 * namespaces (CI runners, dev containers, Kubernetes pods), so "same host name, pid gone" can be a
 * live process in another namespace. Whatever cannot be judged is treated as possibly alive.
 */
import { readFileSync, readlinkSync } from "node:fs";
import os from "node:os";

export interface ProcessIdentity {
  /** For people to read; never used to judge. */
  host: string;
  /** /proc/sys/kernel/random/boot_id: which boot of which kernel; null where unreadable. */
  bootId: string | null;
  /** The PID namespace, e.g. "pid:[4026531836]"; null where unreadable. */
  pidNamespace: string | null;
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null where unreadable. */
  startTicks: number | null;
}

let current: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  if (current?.pid !== process.pid) {
    current = {
      host: os.hostname(),
      bootId: readTrimmed("/proc/sys/kernel/random/boot_id"),
      pidNamespace: readLink("/proc/self/ns/pid"),
      pid: process.pid,
      startTicks: processStartTicks(process.pid),
    };
  }
  return current;
}

/** The identity as compact JSON (a Docker label value, a store column). */
export function formatIdentity(identity: ProcessIdentity): string {
  return JSON.stringify({
    host: identity.host,
    boot: identity.bootId,
    pidns: identity.pidNamespace,
    pid: identity.pid,
    start: identity.startTicks,
  });
}

/** The identity `formatIdentity` wrote, or null for anything else (an older format, a foreign value). */
export function parseIdentity(text: string | null | undefined): ProcessIdentity | null {
  if (!text || !text.startsWith("{")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const { host, boot, pidns, pid, start } = value as Record<string, unknown>;
  const nullableString = (v: unknown) => v === null || typeof v === "string";
  if (typeof host !== "string" || !nullableString(boot) || !nullableString(pidns)) return null;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return null;
  if (start !== null && !Number.isSafeInteger(start)) return null;
  return {
    host,
    bootId: boot,
    pidNamespace: pidns,
    pid: pid as number,
    startTicks: start as number | null,
  };
}

/**
 * True only when the process is known to be gone: same boot, same PID namespace, and the pid is
 * free or now belongs to a process that started at another time. Everything else (another
 * namespace or machine, an unreadable identity) is "may be alive".
 */
export function certainlyDead(identity: ProcessIdentity | null, here: ProcessIdentity = currentProcess()): boolean {
  if (!identity || identity.bootId === null || identity.pidNamespace === null) return false;
  if (identity.bootId !== here.bootId || identity.pidNamespace !== here.pidNamespace) return false;
  if (!pidExists(identity.pid)) return true;
  if (identity.startTicks === null) return false;
  const now = processStartTicks(identity.pid);
  return now !== null && now !== identity.startTicks; // the pid was reused by a newer process
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
  const ticks = Number(fields[19]); // field 22 overall: the 1st field after ")" is field 3
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

function readTrimmed(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim() || null;
  } catch {
    return null;
  }
}

function readLink(file: string): string | null {
  try {
    return readlinkSync(file) || null;
  } catch {
    return null;
  }
}
