/** The version of this ToolForge, from its package.json (written into every chronicle). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../config.js";

export function toolforgeVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
