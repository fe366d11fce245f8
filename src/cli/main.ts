#!/usr/bin/env node
/**
 * Entry point of the `toolforge` command (bin/toolforge.js runs this). Errors go to stderr with
 * a non-zero exit: a ConfigError exits 2, anything else 1.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../config.js";
import { reportFailure } from "./failure.js";
import { buildProgram } from "./program.js";

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "0.0.0";
}

export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    const program = await buildProgram(packageVersion());
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportFailure(error);
  }
}

await main();
