/**
 * The mirror of installed tool versions in DYNAMIC_TOOLS_DIR. The store is the truth; the mirror
 * is rebuilt from it wherever a file is missing or differs. Per version:
 *   <name>/v<version>/source.ts   the TypeScript the model wrote
 *   <name>/v<version>/module.mjs  the compiled module (only ever executed inside the sandbox)
 *   <name>/v<version>/loader.mjs  generated from the fixed template in ./loader-template.ts
 * Every file is written atomically: a temp file in the same directory, then rename.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { InvalidInputError } from "../errors.js";
import { isToolName } from "../contract.js";
import { sha256Hex } from "../store/artifact.js";
import type { ToolVersion } from "../store/types.js";
import { renderLoader } from "./loader-template.js";

export type MirrorFile = "source.ts" | "module.mjs" | "loader.mjs";

export interface MirrorPaths {
  dir: string;
  source: string;
  module: string;
  loader: string;
}

/** The parts of a tool version the mirror is made of. */
export type MirrorableVersion = Pick<ToolVersion, "toolName" | "version" | "description" | "schema" | "source" | "compiled" | "sha256">;

export interface ToolMirror {
  readonly root: string;
  paths(name: string, version: number): MirrorPaths;
  /** Writes all three files (atomically, each). */
  write(version: MirrorableVersion): Promise<MirrorPaths>;
  /** Rewrites only the files that are missing or differ from what the store says; returns those rewritten. */
  ensure(version: MirrorableVersion): Promise<MirrorFile[]>;
}

/** The exact content every mirror file of `version` must have. */
function mirrorContents(version: MirrorableVersion): Record<MirrorFile, string> {
  return {
    "source.ts": version.source,
    "module.mjs": version.compiled,
    "loader.mjs": renderLoader({
      name: version.toolName,
      version: version.version,
      description: version.description,
      schema: version.schema,
      sha256: version.sha256,
    }),
  };
}

/** Writes `content` to `file` atomically: a temp file beside it, then rename over it. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, content, { encoding: "utf8", flag: "wx" });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

export function createToolMirror(root: string): ToolMirror {
  const resolvedRoot = path.resolve(root);

  const paths = (name: string, version: number): MirrorPaths => {
    // Names come from the store; refuse anything that is not snake_case (no path tricks).
    if (!isToolName(name)) throw new InvalidInputError(`not a tool name: ${JSON.stringify(name)}`);
    if (!Number.isSafeInteger(version) || version < 1) throw new InvalidInputError(`not a version: ${version}`);
    const dir = path.join(resolvedRoot, name, `v${version}`);
    return {
      dir,
      source: path.join(dir, "source.ts"),
      module: path.join(dir, "module.mjs"),
      loader: path.join(dir, "loader.mjs"),
    };
  };

  const fileOf = (p: MirrorPaths, file: MirrorFile): string =>
    file === "source.ts" ? p.source : file === "module.mjs" ? p.module : p.loader;

  return {
    root: resolvedRoot,
    paths,
    async write(version) {
      const p = paths(version.toolName, version.version);
      const contents = mirrorContents(version);
      // The module before the loader: a loader never points at a missing module.
      for (const file of ["source.ts", "module.mjs", "loader.mjs"] as const) {
        await writeFileAtomic(fileOf(p, file), contents[file]);
      }
      return p;
    },
    async ensure(version) {
      const p = paths(version.toolName, version.version);
      const contents = mirrorContents(version);
      const rewritten: MirrorFile[] = [];
      for (const file of ["source.ts", "module.mjs", "loader.mjs"] as const) {
        const existing = await readIfExists(fileOf(p, file));
        if (existing === null || sha256Hex(existing) !== sha256Hex(contents[file])) {
          await writeFileAtomic(fileOf(p, file), contents[file]);
          rewritten.push(file);
        }
      }
      return rewritten;
    },
  };
}
