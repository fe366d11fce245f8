/**
 * File walking and hashing for chronicles: every regular file under a directory (paths relative,
 * with `/`), refusing anything that is not a regular file or a directory (links, devices, sockets),
 * and the sha256 of a file.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { InvalidInputError } from "../errors.js";

/** Relative paths (with `/`) of the regular files under `root`, sorted. A missing root has none. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join("/");
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push(relative);
      else throw new InvalidInputError(`${relative} in ${root} is not a regular file or directory`, "chronicles hold regular files only");
    }
  }
  if (await isDirectory(root)) await walk(root);
  return out.sort();
}

export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await lstat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}
