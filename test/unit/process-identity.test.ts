import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readLabels } from "../../src/sandbox/labels.js";
import { isOrphan } from "../../src/sandbox/reaper.js";
import { certainlyDead, currentProcess, formatIdentity, parseIdentity, processStartTicks } from "../../src/util/process-identity.js";

const exitedPid = () => spawnSync(process.execPath, ["-e", "0"]).pid;

describe("a process's identity", () => {
  it("round-trips through its label text", () => {
    const identity = { host: "box-1.example", bootId: "b00t", pidNamespace: "pid:[4026531836]", pid: 4242, startTicks: 987654 };
    expect(parseIdentity(formatIdentity(identity))).toEqual(identity);
    expect(parseIdentity(formatIdentity({ ...identity, bootId: null, startTicks: null }))).toEqual({
      ...identity,
      bootId: null,
      startTicks: null,
    });
  });

  it("reads nothing from a missing, foreign or older label (host/pid/ticks)", () => {
    expect(parseIdentity(undefined)).toBeNull();
    expect(parseIdentity("someone else's label")).toBeNull();
    expect(parseIdentity("box-1/4242/987654")).toBeNull();
    expect(parseIdentity('{"host":"h","pid":-1}')).toBeNull();
  });

  it("knows this process's boot, PID namespace and start time here", () => {
    const me = currentProcess();
    expect(me.pid).toBe(process.pid);
    expect(me.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(me.pidNamespace).toMatch(/^pid:\[\d+\]$/);
    expect(me.startTicks).toBeGreaterThan(0);
  });
});

describe("judging whether a process is certainly dead", () => {
  it("judges the current process alive", () => {
    expect(certainlyDead(currentProcess())).toBe(false);
  });

  it("judges a process of this PID namespace that has exited dead", () => {
    expect(certainlyDead({ ...currentProcess(), pid: exitedPid(), startTicks: 1 })).toBe(true);
  });

  it("judges a reused pid (same pid, another start time) dead", () => {
    const me = currentProcess();
    expect(certainlyDead({ ...me, startTicks: me.startTicks! + 1 })).toBe(true);
  });

  it("never judges a process of another PID namespace or boot dead, whatever its pid and host name", () => {
    const me = currentProcess();
    const gone = exitedPid();
    expect(certainlyDead({ ...me, pidNamespace: "pid:[1]", pid: gone })).toBe(false);
    expect(certainlyDead({ ...me, bootId: "another-boot", pid: gone })).toBe(false);
    expect(certainlyDead({ ...me, pidNamespace: null, pid: gone })).toBe(false);
    expect(certainlyDead(null)).toBe(false);
  });

  it("reads a start time for a live pid and none for a missing one", () => {
    expect(processStartTicks(process.pid)).toBeGreaterThan(0);
    expect(processStartTicks(exitedPid())).toBeNull();
  });
});

describe("the reaper's judgement of a sandbox container", () => {
  const here = currentProcess();
  const elsewhere = formatIdentity({ ...here, pidNamespace: "pid:[1]", pid: exitedPid() });
  const created = 1_000_000_000_000;

  it("removes a container whose owner is certainly dead at once", () => {
    const labels = { "toolforge.owner": formatIdentity({ ...here, pid: exitedPid() }), "toolforge.lifetime-ms": "600000" };
    expect(isOrphan({ labels, createdMs: created }, created + 1_000, here)).toBe(true);
  });

  it("keeps a container of an owner it cannot judge until its lifetime (and a margin) has passed", () => {
    const labels = { "toolforge.owner": elsewhere, "toolforge.lifetime-ms": "60000" };
    expect(isOrphan({ labels, createdMs: created }, created + 60_000, here)).toBe(false);
    expect(isOrphan({ labels, createdMs: created }, created + 10 * 60_000, here)).toBe(true);
  });

  it("never judges a container of an older ToolForge (host/pid label, no lifetime)", () => {
    const labels = { "toolforge.owner": `${here.host}/1/1` };
    expect(readLabels(labels)).toEqual({ owner: null, lifetimeMs: null });
    expect(isOrphan({ labels, createdMs: created }, created + 365 * 24 * 3_600_000, here)).toBe(false);
  });
});
