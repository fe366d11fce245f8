/**
 * The one place where a sandbox container's flags are decided. Cold jobs and pooled containers
 * both use it, so they get exactly the same walls.
 */
import type Docker from "dockerode";
import type { Config } from "../config.js";
import type { ProcessIdentity } from "../util/process-identity.js";
import { lifetimeMs, supervisorCommand, type ContainerDeadlines, type SandboxTiming } from "./deadline.js";
import { SUPERVISOR_PATH_IN_IMAGE } from "./image.js";
import { sandboxLabels } from "./labels.js";

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
/** Size of /tmp, the job's scratch space (its pages count against the memory limit too). */
const TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size=16m,mode=1777";
/** Size of /dev/shm, the only other writable place (the engine mounts it noexec,nosuid,nodev). */
export const SHM_SIZE_BYTES = 16 * 1024 * 1024;
/** The writable places the supervisor empties (and checks empty) after every job. */
export const SCRATCH_DIRS = ["/tmp", "/dev/shm"] as const;
/**
 * The container's user: root, for the supervisor only (sandbox/supervisor.pl), which starts each
 * job (and so the forged code) as RUNNER_UID:RUNNER_GID with no capabilities at all. Root here has
 * only the three capabilities below, inside gVisor, with no-new-privileges.
 */
const CONTAINER_USER = "0:0";
/**
 * SETUID and SETGID: to start each job as the unprivileged user; KILL: to end it at its deadline
 * (signalling another user's process needs it). The job gets none of them: a process that changes
 * to a non-zero uid loses every capability, and no-new-privileges keeps it so.
 */
const SUPERVISOR_CAPABILITIES = ["SETUID", "SETGID", "KILL"];

export function containerSpec(
  image: string,
  settings: SandboxSettings,
  owner: ProcessIdentity,
  deadlines: ContainerDeadlines,
  timing: SandboxTiming,
  options: { pooled?: boolean } = {},
): Docker.ContainerCreateOptions {
  const memoryBytes = settings.memoryMb * 1024 * 1024;
  return {
    Image: image,
    Cmd: supervisorCommand(SUPERVISOR_PATH_IN_IMAGE, deadlines, SCRATCH_DIRS),
    User: CONTAINER_USER,
    WorkingDir: "/tmp",
    Env: [], // none of the host's variables
    Labels: sandboxLabels(owner, lifetimeMs(deadlines, timing), options.pooled ?? false),
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
      ShmSize: SHM_SIZE_BYTES,
      Memory: memoryBytes,
      MemorySwap: memoryBytes, // equal: no swap beyond the limit
      NanoCpus: Math.round(settings.cpus * 1e9),
      PidsLimit: PIDS_LIMIT,
      Ulimits: [{ Name: "nproc", Soft: NPROC_LIMIT, Hard: NPROC_LIMIT }],
      CapDrop: ["ALL"],
      CapAdd: SUPERVISOR_CAPABILITIES,
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      // No docker-init: the supervisor is PID 1 itself. It reaps every process that becomes its
      // child, and when it exits the kernel ends the container. (An init of its own costs a cold
      // start about 30 ms under gVisor with the CPU quota.)
      Init: false,
      LogConfig: { Type: "none", Config: {} },
      Binds: [],
      Mounts: [],
      AutoRemove: false, // removed by us, after reading the exit state
      IpcMode: "private",
    },
  };
}
