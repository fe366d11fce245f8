/**
 * The sandbox image: `toolforge-sandbox:<hash>`, where the hash covers the runner and its
 * supervisor, the Dockerfile, the offline recipe, the node and perl it carries and the install (the
 * directory ToolForge runs from), so a changed runner means a new tag (and a rebuild), and the
 * images an install no longer uses are pruned by it alone (image-prune.ts).
 * When the image is missing it is built offline (`docker import` of a minimal root: the host's
 * node and perl, the libraries `ldd` lists for them, the runner and the supervisor); where that
 * cannot work (no glibc node or no perl on the host) it falls back to `sandbox/Dockerfile`, which
 * needs a registry. Two processes building at once
 * both end with the image: each stages its own root and the daemon keeps the last tag.
 */
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { create as createTar } from "tar";
import { PROJECT_ROOT } from "../config.js";
import { SandboxUnavailableError, errorMessage } from "../errors.js";
import { statusOf } from "./docker-errors.js";

const execFileAsync = promisify(execFile);

const SANDBOX_DIR = path.join(PROJECT_ROOT, "sandbox");
export const IMAGE_REPOSITORY = "toolforge-sandbox";
/** Where the runner and its supervisor live inside the image (the Dockerfile and the offline build agree). */
export const RUNNER_PATH_IN_IMAGE = "/opt/toolforge/runner.mjs";
export const SUPERVISOR_PATH_IN_IMAGE = "/opt/toolforge/supervisor.pl";
/** The files of sandbox/ that go into the image, and into its tag's hash. */
const SANDBOX_FILES = { "runner.mjs": RUNNER_PATH_IN_IMAGE, "supervisor.pl": SUPERVISOR_PATH_IN_IMAGE } as const;
/** Where the offline image puts the host's perl (the supervisor's interpreter; it loads no module). */
const PERL_PATH_IN_IMAGE = "/usr/bin/perl";
/** The image's default command, for running it by hand; containers of a sandbox set their own (with deadlines). */
const DEFAULT_COMMAND = ["node", RUNNER_PATH_IN_IMAGE];
/** Bump when the offline staging below changes in a way the hashed files do not show. */
const OFFLINE_RECIPE_REVISION = "offline-root-v3";
const IMAGE_CHANGES = ["USER 1000:1000", "WORKDIR /tmp", "ENV PATH=/usr/local/bin:/usr/bin:/bin", `CMD ${JSON.stringify(DEFAULT_COMMAND)}`];

/** The tag this checkout's runner and recipe produce, e.g. `toolforge-sandbox:3f2a9c0d1e4b`. */
export async function defaultImageTag(): Promise<string> {
  const [runner, supervisor, dockerfile] = await Promise.all(
    ["runner.mjs", "supervisor.pl", "Dockerfile"].map((file) => readFile(path.join(SANDBOX_DIR, file))),
  );
  return imageTagFor({
    runner: runner!,
    supervisor: supervisor!,
    dockerfile: dockerfile!,
    node: process.version,
    perl: await perlIdentity(),
    arch: process.arch,
    install: installId(),
  });
}

let perlIdentityOnce: Promise<string> | undefined;

/** Which perl the offline image would carry (its path and version), or "none" when the host has none. */
function perlIdentity(): Promise<string> {
  perlIdentityOnce ??= (async () => {
    try {
      const binary = await findPerl();
      const { stdout } = await execFileAsync(binary, ["-e", "print $^V"]);
      return `${binary} ${stdout.trim()}`;
    } catch {
      return "none";
    }
  })();
  return perlIdentityOnce;
}

/** The host's perl, resolved to the real file (`docker import` needs the file, not a link). */
async function findPerl(): Promise<string> {
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean).concat(["/usr/bin", "/bin"]);
  for (const dir of dirs) {
    try {
      return await realpath(path.join(dir, "perl"));
    } catch {
      // not in this directory
    }
  }
  throw new Error("the host has no perl (the sandbox's supervisor runs on it): install perl-base (Debian/Ubuntu) or perl");
}

/** On every image this install builds: which install made it, so that it prunes only its own (image-prune.ts). */
export const INSTALL_LABEL = "toolforge.install";

/**
 * This install: the checkout or package directory ToolForge runs from. Part of the image's tag, so
 * two installs sharing one engine never share (and never prune) each other's images.
 */
export function installId(root: string = PROJECT_ROOT): string {
  let where = root;
  try {
    where = realpathSync(root);
  } catch {
    // a root that cannot be resolved is still a stable name for this install
  }
  return createHash("sha256").update(where).digest("hex").slice(0, 12);
}

/** The tag for these inputs: any change to the runner, its supervisor, the recipe, the node or perl carried or the install gives a new tag. */
export function imageTagFor(inputs: {
  runner: Buffer | string;
  supervisor: Buffer | string;
  dockerfile: Buffer | string;
  node: string;
  perl: string;
  arch: string;
  install: string;
}): string {
  const hash = createHash("sha256");
  const part = (label: string, value: Buffer | string) => hash.update(`${label}\0${Buffer.byteLength(value)}\0`).update(value);
  part("runner.mjs", inputs.runner);
  part("supervisor.pl", inputs.supervisor);
  part("Dockerfile", inputs.dockerfile);
  part("recipe", `${OFFLINE_RECIPE_REVISION}\n${IMAGE_CHANGES.join("\n")}`);
  part("node", `${inputs.node} ${inputs.arch}`);
  part("perl", inputs.perl);
  part("install", inputs.install);
  return `${IMAGE_REPOSITORY}:${hash.digest("hex").slice(0, 12)}`;
}

export async function imageExists(docker: Docker, reference: string): Promise<boolean> {
  try {
    await docker.getImage(reference).inspect();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw error;
  }
}

const ensuring = new Map<string, Promise<string>>();

/**
 * Returns the image reference to run, building the default image when it is missing.
 * `configured` (SANDBOX_IMAGE) is used as given and never built.
 */
export function ensureImage(docker: Docker, configured: string | undefined): Promise<string> {
  const key = configured ?? "<default>";
  let pending = ensuring.get(key);
  if (!pending) {
    pending = resolveImage(docker, configured);
    ensuring.set(key, pending);
    pending.catch(() => ensuring.delete(key));
  }
  return pending;
}

async function resolveImage(docker: Docker, configured: string | undefined): Promise<string> {
  if (configured) {
    if (await imageExists(docker, configured)) return configured;
    throw new SandboxUnavailableError(
      `the sandbox image ${configured} (SANDBOX_IMAGE) is not present in the Docker engine`,
      `pull or build it (e.g. \`docker build -t ${configured} sandbox/\`), or unset SANDBOX_IMAGE so ToolForge builds its own image offline`,
    );
  }
  const tag = await defaultImageTag();
  if (await imageExists(docker, tag)) return tag;
  await buildImage(docker, tag);
  return tag;
}

/** Builds `tag` offline, or from the Dockerfile when the offline build is impossible here. */
async function buildImage(docker: Docker, tag: string): Promise<void> {
  let offlineFailure: unknown;
  try {
    await buildOfflineImage(docker, tag);
    return;
  } catch (error) {
    offlineFailure = error;
  }
  try {
    await buildFromDockerfile(docker, tag);
  } catch (dockerfileFailure) {
    throw new SandboxUnavailableError(
      `the sandbox image ${tag} could not be built.\n` +
        `  offline build (docker import of the host's node): ${errorMessage(offlineFailure)}\n` +
        `  Dockerfile build (FROM node:20-slim): ${errorMessage(dockerfileFailure)}`,
      "on Linux with a glibc node at hand the offline build needs only `ldd` (package libc-bin); " +
        "elsewhere build sandbox/Dockerfile on a machine that reaches a registry and set SANDBOX_IMAGE to it",
      dockerfileFailure,
    );
  }
}

/** `docker import` of a minimal root: node and perl, their shared libraries, the runner and supervisor, an empty /tmp. */
export async function buildOfflineImage(docker: Docker, tag: string): Promise<void> {
  if (process.platform !== "linux") throw new Error(`the host is ${process.platform}; the offline build copies a Linux node binary`);
  const nodeBinary = await realpath(process.execPath);
  const perlBinary = await findPerl();
  const libraries = [...new Set([...(await sharedLibrariesOf(nodeBinary)), ...(await sharedLibrariesOf(perlBinary))])];
  const stage = await mkdtemp(path.join(os.tmpdir(), "toolforge-image-"));
  try {
    const place = async (from: string, to: string, mode: number) => {
      const target = path.join(stage, to);
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(from, target); // copyFile follows symlinks: the image gets real files
      await chmod(target, mode);
    };
    await place(nodeBinary, "usr/bin/node", 0o755);
    await place(perlBinary, PERL_PATH_IN_IMAGE.replace(/^\//, ""), 0o755);
    for (const library of libraries) await place(library, library.replace(/^\//, ""), 0o755);
    for (const [file, inImage] of Object.entries(SANDBOX_FILES))
      await place(path.join(SANDBOX_DIR, file), inImage.replace(/^\//, ""), 0o644);
    await mkdir(path.join(stage, "tmp"));
    await chmod(path.join(stage, "tmp"), 0o1777);
    // Not `portable`: node-tar then strips group/other write bits, and /tmp must stay 1777.
    const archive = createTar({ cwd: stage }, ["."]);
    const [repo, version] = splitTag(tag);
    const progress = await docker.importImage(archive as unknown as NodeJS.ReadableStream, {
      repo,
      tag: version,
      changes: [...IMAGE_CHANGES, `LABEL ${INSTALL_LABEL}=${installId()}`],
    });
    await followProgress(docker, progress);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  if (!(await imageExists(docker, tag))) throw new Error(`docker import finished but ${tag} is not there`);
}

/** The absolute paths of the shared objects `ldd` says the binary loads (the vDSO excluded). */
async function sharedLibrariesOf(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync("ldd", [binary]));
  } catch (error) {
    throw new Error(`\`ldd ${binary}\` failed: ${errorMessage(error)}`, { cause: error });
  }
  return parseLddOutput(stdout);
}

export function parseLddOutput(stdout: string): string[] {
  const paths = new Set<string>();
  for (const line of stdout.split("\n")) {
    const resolved = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    if (resolved?.[1]) paths.add(resolved[1]);
    if (/=>\s+not found/.test(line)) throw new Error(`ldd cannot resolve a library: ${line.trim()}`);
  }
  if (paths.size === 0) throw new Error("ldd listed no libraries (a static or non-glibc binary?)");
  return [...paths];
}

async function buildFromDockerfile(docker: Docker, tag: string): Promise<void> {
  const progress = await docker.buildImage(
    { context: SANDBOX_DIR, src: ["Dockerfile", ...Object.keys(SANDBOX_FILES)] },
    { t: tag, rm: true, forcerm: true, labels: { "toolforge.build": randomBytes(4).toString("hex"), [INSTALL_LABEL]: installId() } },
  );
  await followProgress(docker, progress);
  if (!(await imageExists(docker, tag))) throw new Error(`docker build finished but ${tag} is not there`);
}

function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
      if (error) return reject(error);
      const failed = output.find((event) => event.error || event.errorDetail);
      if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
      resolve();
    });
  });
}

function splitTag(reference: string): [string, string] {
  const colon = reference.lastIndexOf(":");
  if (colon <= reference.lastIndexOf("/")) return [reference, "latest"];
  return [reference.slice(0, colon), reference.slice(colon + 1)];
}
