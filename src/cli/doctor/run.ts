/**
 * `toolforge doctor`: every check, run concurrently and printed in a fixed order, one line each
 * with ✓/✗ (or ! for a warning) and, under each failure, the command that fixes it.
 */
import type { Config } from "../../config.js";
import { mark, paint } from "../output.js";
import { checkModels } from "./models.js";
import { checkNode } from "./node.js";
import { checkSandboxPrerequisites } from "./sandbox.js";
import { checkStore } from "./store.js";
import type { DoctorCheck } from "./types.js";

export async function runDoctor(config: Config): Promise<DoctorCheck[]> {
  const [sandbox, store, models] = await Promise.all([checkSandboxPrerequisites(config), checkStore(config), checkModels(config)]);
  return [checkNode(), ...sandbox, store, ...models];
}

export function formatChecks(checks: DoctorCheck[], stream: NodeJS.WriteStream = process.stdout): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const check of checks) {
    const symbol = check.ok ? mark.ok(stream) : check.essential ? mark.fail(stream) : mark.warn(stream);
    lines.push(`${symbol} ${check.name.padEnd(width)}  ${check.detail}`);
    if (!check.ok && check.fix) lines.push(`  ${" ".repeat(width)}  ${paint("dim", "fix:", stream)} ${check.fix}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Doctor passes when no essential check failed. */
export function doctorPassed(checks: DoctorCheck[]): boolean {
  return checks.every((c) => c.ok || !c.essential);
}
