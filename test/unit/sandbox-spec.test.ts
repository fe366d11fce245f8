import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { containerSpec, NPROC_LIMIT, PIDS_LIMIT, SCRATCH_DIRS, SHM_SIZE_BYTES } from "../../src/sandbox/container-spec.js";
import { DEFAULT_TIMING, lifetimeMs } from "../../src/sandbox/deadline.js";
import { imageTagFor, installId, parseLddOutput, SUPERVISOR_PATH_IN_IMAGE } from "../../src/sandbox/image.js";
import { LIFETIME_LABEL, OWNER_LABEL, POOL_LABEL, SANDBOX_LABEL } from "../../src/sandbox/labels.js";
import { formatIdentity } from "../../src/util/process-identity.js";

const owner = { host: "h", bootId: "b", pidNamespace: "pid:[1]", pid: 1, startTicks: 2 };
const settings = loadConfig({ SANDBOX_MEMORY_MB: "300", SANDBOX_CPUS: "0.75" }).sandbox;
const deadlines = { idleMs: 70_000, maxJobMs: 5_000, acceptMs: 80_000, maxJobs: 7 };

describe("the sandbox container's flags", () => {
  const spec = containerSpec("img:1", settings, owner, deadlines, DEFAULT_TIMING);
  const host = spec.HostConfig!;

  it("runs under the configured runtime (runsc by default) with no network", () => {
    expect(host.Runtime).toBe("runsc");
    expect(host.NetworkMode).toBe("none");
    expect(spec.NetworkDisabled).toBe(true);
  });

  it("has a read-only root, a small noexec, nosuid, nodev tmpfs at /tmp and a small /dev/shm", () => {
    expect(host.ReadonlyRootfs).toBe(true);
    expect(Object.keys(host.Tmpfs ?? {})).toEqual(["/tmp"]);
    expect(host.Tmpfs!["/tmp"]).toMatch(/noexec/);
    expect(host.Tmpfs!["/tmp"]).toMatch(/nosuid/);
    expect(host.Tmpfs!["/tmp"]).toMatch(/nodev/);
    expect(host.Tmpfs!["/tmp"]).toMatch(/size=\d+m/);
    expect(host.ShmSize).toBe(SHM_SIZE_BYTES);
  });

  it("limits memory with memory+swap equal to memory, and CPU by the configured quota", () => {
    expect(host.Memory).toBe(300 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(750_000_000);
  });

  it("bounds pids with headroom for gVisor's threads and processes inside by nproc", () => {
    expect(host.PidsLimit).toBe(PIDS_LIMIT);
    expect(PIDS_LIMIT).toBeGreaterThanOrEqual(128);
    expect(host.Ulimits).toContainEqual({ Name: "nproc", Soft: NPROC_LIMIT, Hard: NPROC_LIMIT });
  });

  it("drops every capability but the three its supervisor needs, forbids new privileges, and makes the supervisor PID 1", () => {
    expect(host.CapDrop).toEqual(["ALL"]);
    expect([...(host.CapAdd ?? [])].sort()).toEqual(["KILL", "SETGID", "SETUID"]);
    expect(host.SecurityOpt).toContain("no-new-privileges");
    expect(host.Privileged).toBe(false);
    // Root only for the supervisor, which starts each job as 1000:1000 (the walls suite checks the code's uid).
    expect(spec.User).toBe("0:0");
    expect(host.Init).toBe(false); // the supervisor reaps; docker-init would cost every cold start an exec
  });

  it("runs the supervisor with the container's own deadlines and every writable place to empty after each job", () => {
    expect(spec.Cmd).toEqual(["perl", SUPERVISOR_PATH_IN_IMAGE, "70000", "5000", "80000", "7", "/tmp", "/dev/shm"]);
    expect([...SCRATCH_DIRS].sort()).toEqual(["/dev/shm", ...Object.keys(host.Tmpfs ?? {})].sort());
  });

  it("passes none of the host's environment, mounts nothing and keeps no logs", () => {
    expect(spec.Env).toEqual([]);
    expect(host.Binds ?? []).toEqual([]);
    expect(host.Mounts ?? []).toEqual([]);
    expect(spec.Volumes).toBeUndefined();
    expect(host.LogConfig?.Type).toBe("none");
    expect(JSON.stringify(spec)).not.toContain("docker.sock");
  });

  it("takes its job on stdin and is labelled with its owner and the lifetime it enforces", () => {
    expect(spec.OpenStdin).toBe(true);
    expect(spec.StdinOnce).toBe(true);
    expect(spec.Tty).toBe(false);
    expect(spec.Labels).toEqual({
      [SANDBOX_LABEL]: "1",
      [OWNER_LABEL]: formatIdentity(owner),
      [LIFETIME_LABEL]: String(lifetimeMs(deadlines, DEFAULT_TIMING)),
    });
    expect(lifetimeMs(deadlines, DEFAULT_TIMING)).toBeGreaterThan(
      DEFAULT_TIMING.startAllowanceMs + deadlines.acceptMs + deadlines.maxJobMs,
    );
  });

  it("marks pooled containers and otherwise keeps the very same flags", () => {
    const pooled = containerSpec("img:1", settings, owner, deadlines, DEFAULT_TIMING, { pooled: true });
    expect(pooled.Labels?.[POOL_LABEL]).toBe("1");
    expect(pooled.HostConfig).toEqual(spec.HostConfig);
  });

  it("uses runc only when configured", () => {
    const runc = containerSpec("img:1", loadConfig({ SANDBOX_RUNTIME: "runc" }).sandbox, owner, deadlines, DEFAULT_TIMING);
    expect(runc.HostConfig?.Runtime).toBe("runc");
  });
});

describe("reading ldd's output for the offline image", () => {
  it("lists the resolved libraries and the dynamic loader, without the vDSO", () => {
    const output = [
      "\tlinux-vdso.so.1 (0x00007ffd)",
      "\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f1)",
      "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2)",
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f3)",
    ].join("\n");
    expect(parseLddOutput(output)).toEqual([
      "/lib/x86_64-linux-gnu/libdl.so.2",
      "/lib/x86_64-linux-gnu/libc.so.6",
      "/lib64/ld-linux-x86-64.so.2",
    ]);
  });

  it("refuses output with a library that is not found", () => {
    expect(() => parseLddOutput("\tlibfoo.so.1 => not found\n")).toThrow(/cannot resolve/);
  });
});

describe("the sandbox image's tag", () => {
  const inputs = {
    runner: "runner v1",
    supervisor: "supervisor v1",
    dockerfile: "FROM node:20-slim",
    node: "v20.20.2",
    perl: "/usr/bin/perl v5.36.0",
    arch: "x64",
    install: "0123456789ab",
  };

  it("stays the same for the same runner and recipe", () => {
    expect(imageTagFor(inputs)).toBe(imageTagFor({ ...inputs }));
    expect(imageTagFor(inputs)).toMatch(/^toolforge-sandbox:[0-9a-f]{12}$/);
  });

  it("changes when the runner or its supervisor changes, so a changed one is rebuilt", () => {
    expect(imageTagFor({ ...inputs, runner: "runner v2" })).not.toBe(imageTagFor(inputs));
    expect(imageTagFor({ ...inputs, supervisor: "supervisor v2" })).not.toBe(imageTagFor(inputs));
  });

  it("differs between two installs, so that neither prunes an image the other uses", () => {
    expect(imageTagFor({ ...inputs, install: "ba9876543210" })).not.toBe(imageTagFor(inputs));
    expect(installId("/opt/a")).not.toBe(installId("/opt/b"));
    expect(installId("/opt/a")).toMatch(/^[0-9a-f]{12}$/);
  });

  it("changes when the Dockerfile, the node or the perl carried changes", () => {
    expect(imageTagFor({ ...inputs, dockerfile: "FROM node:22-slim" })).not.toBe(imageTagFor(inputs));
    expect(imageTagFor({ ...inputs, node: "v20.21.0" })).not.toBe(imageTagFor(inputs));
    expect(imageTagFor({ ...inputs, perl: "/usr/bin/perl v5.38.0" })).not.toBe(imageTagFor(inputs));
  });
});
