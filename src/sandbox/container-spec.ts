/**
 * The one place where a sandbox container's flags are decided. Cold jobs and pooled containers
 * both use it, so they get exactly the same walls.
 */
import type Docker from "dockerode";
import type { Config } from "../config.js";
import { RUNNER_COMMAND } from "./image.js";
import { formatOwner, OWNER_LABEL, POOL_LABEL, SANDBOX_LABEL, type Owner } from "./owner.js";

export type SandboxSettings = Config["sandbox"];

/**
 * Host pids-cgroup limit. Under runsc it counts gVisor's own kernel and gofer threads (an idle node
 * sandbox sits near 64; a process bomb held by the nproc limit below peaked at ~200 here), so it
 * needs headroom; what bounds the code inside is the nproc limit.
 */
export const PIDS_LIMIT = 512;
/**
 * RLIMIT_NPROC inside the sandbox: gVisor enforces it per sandbox and counts threads (node itself
 * uses about 8), so spawning processes or Workers fails with EAGAIN beyond it. Under runc it would
 * count every process of uid 1000 on the host; runc is no security boundary anyway.
 */
export const NPROC_LIMIT = 64;
/** Size of the only writable place, /tmp (its pages count against the memory limit too). */
export const TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=16m,mode=1777";
/** The uid:gid the runner runs as (no such user in the image is needed). */
export const SANDBOX_USER = "1000:1000";

export function containerSpec(
  image: string,
  settings: SandboxSettings,
  owner: Owner,
  options: { pooled?: boolean } = {},
): Docker.ContainerCreateOptions {
  const memoryBytes = settings.memoryMb * 1024 * 1024;
  const labels: Record<string, string> = { [SANDBOX_LABEL]: "1", [OWNER_LABEL]: formatOwner(owner) };
  if (options.pooled) labels[POOL_LABEL] = "1";
  return {
    Image: image,
    Cmd: RUNNER_COMMAND,
    User: SANDBOX_USER,
    WorkingDir: "/tmp",
    Env: [], // none of the host's variables
    Labels: labels,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: true,
    HostConfig: {
      Runtime: settings.runtime,
      NetworkMode: "none",
      ReadonlyRootfs: true,
      Tmpfs: { "/tmp": TMPFS_OPTIONS },
      Memory: memoryBytes,
      MemorySwap: memoryBytes, // equal: no swap beyond the limit
      NanoCpus: Math.round(settings.cpus * 1e9),
      PidsLimit: PIDS_LIMIT,
      Ulimits: [{ Name: "nproc", Soft: NPROC_LIMIT, Hard: NPROC_LIMIT }],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      Init: true,
      LogConfig: { Type: "none", Config: {} },
      Binds: [],
      Mounts: [],
      AutoRemove: false, // removed by us, after reading the exit state
      IpcMode: "private",
    },
  };
}
