/**
 * sandbox/runner.mjs runs alone in the container and carries a copy of the contract's constants
 * between its `BEGIN CONTRACT` and `END CONTRACT` lines. This test pins that copy to src/contract.ts:
 * any value that drifts, any constant added to the block without a counterpart, and any marker
 * spelled out again elsewhere in the runner fails it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import * as contract from "../../src/contract.js";
import { PROJECT_ROOT } from "../../src/config.js";

const RUNNER = readFileSync(path.join(PROJECT_ROOT, "sandbox", "runner.mjs"), "utf8");
const BEGIN = /^\/\/ ---- BEGIN CONTRACT\b.*$/m;
const END = /^\/\/ ---- END CONTRACT\b.*$/m;

function contractBlock(source: string): { block: string; outside: string } {
  const begin = BEGIN.exec(source);
  const end = END.exec(source);
  if (!begin || !end || end.index < begin.index) throw new Error("runner.mjs has no BEGIN CONTRACT … END CONTRACT block");
  return {
    block: source.slice(begin.index, end.index),
    outside: source.slice(0, begin.index) + source.slice(end.index + end[0].length),
  };
}

/** The block's constants, evaluated on their own (the block may use nothing else). */
function runnerConstants(block: string): Record<string, unknown> {
  const names = [...block.matchAll(/^const ([A-Z_][A-Z0-9_]*) =/gm)].map((match) => match[1]!);
  return runInNewContext(`${block}\n({ ${names.join(", ")} })`) as Record<string, unknown>;
}

function comparable(value: unknown): unknown {
  // Regular expressions from another context: compare what they match.
  if (Object.prototype.toString.call(value) === "[object RegExp]") {
    const re = value as RegExp;
    return { source: re.source, flags: re.flags };
  }
  return value;
}

describe("the runner's copy of the contract", () => {
  const { block, outside } = contractBlock(RUNNER);
  const copied = runnerConstants(block);

  it("holds the markers, the report and request limits and the name pattern", () => {
    expect(Object.keys(copied).sort()).toEqual(
      [
        "MAX_OPEN_REQUESTS",
        "MAX_REQUEST_LINE_CHARS",
        "MAX_REQUESTS_PER_CALL",
        "NAME_PATTERN",
        "READY_MARKER",
        "REPORT_MAX_CHARS",
        "REPORT_PREFIX",
        "REQUEST_PREFIX",
        "STDERR_END_PREFIX",
      ].sort(),
    );
  });

  it.each(Object.keys(runnerConstants(contractBlock(RUNNER).block)))("has %s equal to src/contract.ts", (name) => {
    expect(Object.hasOwn(contract, name), `${name} is not exported by src/contract.ts`).toBe(true);
    expect(comparable(copied[name])).toEqual(comparable((contract as Record<string, unknown>)[name]));
  });

  it("spells no marker out again outside the block (comments aside)", () => {
    const code = outside
      .split("\n")
      .filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line))
      .join("\n");
    for (const marker of [contract.READY_MARKER.trim(), contract.REPORT_MARKER, contract.STDERR_END_PREFIX.trim()]) {
      expect(code, marker).not.toContain(marker);
    }
  });

  it("would catch a drifted value (the check itself can fail)", () => {
    const drifted = runnerConstants(block.replace("{0,63}", "{0,127}"));
    expect(comparable(drifted.NAME_PATTERN)).not.toEqual(comparable(contract.NAME_PATTERN));
  });
});
