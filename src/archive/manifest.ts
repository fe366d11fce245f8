/**
 * `manifest.json` of a chronicle: why and when it was made, by which ToolForge, from which kind of
 * store, and the sha256 and size of every other file in the archive. Restore trusts nothing in an
 * archive that this manifest does not vouch for.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { InvalidInputError, errorMessage } from "../errors.js";
import { listFiles, sha256File } from "./files.js";

export const MANIFEST_NAME = "manifest.json";
const CHRONICLE_FORMAT = 1;
/** Top-level folders of a chronicle. */
export const STORE_FOLDER = "store";
export const TOOLS_FOLDER = "dynamic_tools";

const relativePath = z
  .string()
  .min(1)
  .refine((p) => isSafeRelative(p), { message: "is not a plain relative path inside the archive" });

const ChronicleManifestSchema = z.strictObject({
  format: z.literal(CHRONICLE_FORMAT),
  reason: z.string(),
  createdAt: z.string(),
  toolforgeVersion: z.string(),
  storeKind: z.enum(["sqlite", "arango"]),
  files: z.record(relativePath, z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().min(0) })),
});

export type ChronicleManifest = z.infer<typeof ChronicleManifestSchema>;

/** A path with `/` separators, no `..`, no leading `/`, not the manifest itself. */
function isSafeRelative(p: string): boolean {
  if (p.startsWith("/") || p.includes("\\") || p.includes("\0")) return false;
  const parts = p.split("/");
  return parts.every((part) => part !== "" && part !== "." && part !== "..") && p !== MANIFEST_NAME;
}

/** Hashes every file under `dir` (the manifest excluded) into a manifest. */
export async function buildManifest(
  dir: string,
  meta: Pick<ChronicleManifest, "reason" | "createdAt" | "toolforgeVersion" | "storeKind">,
): Promise<ChronicleManifest> {
  const files: ChronicleManifest["files"] = {};
  for (const file of await listFiles(dir)) {
    if (file === MANIFEST_NAME) continue;
    const full = path.join(dir, file);
    files[file] = { sha256: await sha256File(full), size: (await stat(full)).size };
  }
  return { format: CHRONICLE_FORMAT, ...meta, files };
}

export function parseManifest(text: string, where: string): ChronicleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `${where}: ${MANIFEST_NAME} is not valid JSON (${errorMessage(error)})`,
      "the archive is damaged; use another one",
    );
  }
  const parsed = ChronicleManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join(".") || "manifest" : "manifest";
    throw new InvalidInputError(
      `${where}: ${MANIFEST_NAME} is not a chronicle manifest (${field}: ${issue?.message ?? "invalid"})`,
      "the archive is damaged or not a ToolForge chronicle",
    );
  }
  return parsed.data;
}

/**
 * Checks an extracted chronicle against its manifest: every listed file present with its size and
 * sha256, and no file that the manifest does not list. Throws naming the first offending file.
 */
export async function verifyExtracted(dir: string, archive: string): Promise<ChronicleManifest> {
  const manifest = parseManifest(await readManifestText(dir, archive), archive);
  const present = new Set((await listFiles(dir)).filter((f) => f !== MANIFEST_NAME));
  for (const file of present) {
    if (!(file in manifest.files)) throw tampered(archive, file, "is not listed in the manifest");
  }
  for (const [file, expected] of Object.entries(manifest.files)) {
    if (!present.has(file)) throw tampered(archive, file, "is listed in the manifest but missing");
    const full = path.join(dir, file);
    const size = (await stat(full)).size;
    if (size !== expected.size) throw tampered(archive, file, `has ${size} bytes, the manifest says ${expected.size}`);
    const sha256 = await sha256File(full);
    if (sha256 !== expected.sha256) throw tampered(archive, file, `has sha256 ${sha256}, the manifest says ${expected.sha256}`);
  }
  return manifest;
}

async function readManifestText(dir: string, archive: string): Promise<string> {
  try {
    return await readFile(path.join(dir, MANIFEST_NAME), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new InvalidInputError(
        `${archive} has no ${MANIFEST_NAME}: it is not a ToolForge chronicle`,
        "pass an archive written by `toolforge archive create`",
      );
    }
    throw error;
  }
}

export class TamperedArchiveError extends InvalidInputError {
  readonly file: string;

  constructor(archive: string, file: string, problem: string) {
    super(
      `refusing to restore ${archive}: ${file} ${problem}; nothing was changed`,
      "the archive was altered or damaged after it was written; use another one",
    );
    this.file = file;
  }
}

function tampered(archive: string, file: string, problem: string): TamperedArchiveError {
  return new TamperedArchiveError(archive, file, problem);
}
