import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { currentOwner, formatOwner, ownerIsDead, parseOwner, processStartTicks } from "../../src/sandbox/owner.js";

describe("the owner label of a sandbox container", () => {
  it("round-trips host, pid and start time through the label", () => {
    const owner = { host: "box-1.example", pid: 4242, startTicks: 987654 };
    expect(parseOwner(formatOwner(owner))).toEqual(owner);
  });

  it("reads no owner from a missing or foreign label", () => {
    expect(parseOwner(undefined)).toBeNull();
    expect(parseOwner("someone else's label")).toBeNull();
  });

  it("judges the current process alive", () => {
    expect(ownerIsDead(currentOwner())).toBe(false);
  });

  it("judges a process that has exited dead", () => {
    const child = spawnSync(process.execPath, ["-e", "0"]);
    const owner = { host: currentOwner().host, pid: child.pid!, startTicks: 1 };
    expect(ownerIsDead(owner)).toBe(true);
  });

  it("judges a reused pid (same pid, another start time) dead", () => {
    const me = currentOwner();
    expect(me.startTicks).not.toBeNull();
    expect(ownerIsDead({ ...me, startTicks: me.startTicks! + 1 })).toBe(true);
  });

  it("never judges an owner on another host, or an unreadable owner, dead", () => {
    const child = spawnSync(process.execPath, ["-e", "0"]);
    expect(ownerIsDead({ host: "another-host", pid: child.pid!, startTicks: 1 })).toBe(false);
    expect(ownerIsDead(null)).toBe(false);
  });

  it("reads a start time for a live pid and none for a missing one", () => {
    expect(processStartTicks(process.pid)).toBeGreaterThan(0);
    const child = spawnSync(process.execPath, ["-e", "0"]);
    expect(processStartTicks(child.pid!)).toBeNull();
  });
});
