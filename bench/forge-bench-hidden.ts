/**
 * The hidden tests: a HumanEval-X problem's canonical tests, run in the sandbox (never on the host:
 * the tool's code is untrusted) against a forged tool's compiled module.
 *
 * The adapter. HumanEval calls the function positionally, `hasCloseElements([1, 2], 0.5)`; a tool
 * takes one argument object. Each declaration parameter is matched to a property of the tool's
 * schema by name (case and underscores ignored: `gpaList` ~ `gpa_list`). Parameters the model
 * renamed are matched to the properties left over, in the schema's order — only when exactly as
 * many are left over as were renamed; otherwise the tool cannot be called and the problem stops at
 * "interface". Problems solved through a renaming are counted (`renamed`).
 *
 * How a call looks from the tests: the arguments are copied as JSON (a tool call's arguments are
 * JSON), the result is handed back as JSON (what an agent receives: `undefined` becomes null, a
 * value that is not JSON fails the call), and a promise returned by an async tool is awaited — the
 * tests run again with the settled results until a run needs no result it does not have.
 * `Math.random` in the tests is seeded, so every model meets the same random inputs.
 *
 * A composite tool (one that `uses` library tools) gets the context a registry call gives it: the
 * harness hands its own `ctx` on, whose `ctx.tools` are the versions the installed tool is pinned
 * to, brought into the same job (`tools`, from closureOfPins).
 *
 * Grading: `console.assert` only prints, so each one becomes a recording assertion; the problem is
 * solved only when the harness, verified by the runner's per-run token, reports every assertion
 * true and nothing thrown, and every argument object the tests used (the first 200 distinct ones)
 * passes the tool's schema (the registry refuses a call whose arguments do not).
 *
 * Limitation: the tool runs in the same process as the tests, so a module that patches builtins the
 * tests use (JSON.stringify, Array.prototype…) could fake a pass. The audit refuses such patching
 * in installed tools; modules measured with the audit off (false refusals) are not protected by it.
 */
import { compileArgsSchema } from "../src/tools/args.js";
import { errorMessage } from "../src/errors.js";
import type { JsonObject } from "../src/store/types.js";
import type { JobResult, JobTools, Sandbox } from "../src/sandbox/types.js";
import type { BenchProblem } from "./forge-bench-problems.js";

export type Adapter = { ok: true; fields: string[]; renamed: string[] } | { ok: false; reason: string };

const normaliseName = (name: string) => name.toLowerCase().replace(/_/g, "");

/** Which schema property receives each positional argument (see the top of this file). */
export function adaptInput(params: string[], schema: JsonObject | null): Adapter {
  const properties =
    schema && typeof schema["properties"] === "object" && schema["properties"] !== null && !Array.isArray(schema["properties"])
      ? Object.keys(schema["properties"])
      : [];
  const fields: (string | null)[] = params.map((param) => properties.find((p) => normaliseName(p) === normaliseName(param)) ?? null);
  const taken = new Set(fields.filter((f): f is string => f !== null));
  const unmatched = params.filter((_, i) => fields[i] === null);
  const left = properties.filter((p) => !taken.has(p));
  if (unmatched.length > 0 && unmatched.length !== left.length) {
    return {
      ok: false,
      reason:
        `the tool's input fields (${properties.join(", ") || "none"}) do not match the requested (${params.join(", ")}): ` +
        `${unmatched.join(", ")} ${unmatched.length === 1 ? "is" : "are"} missing and ${left.length} other field${left.length === 1 ? "" : "s"} ${left.length === 1 ? "is" : "are"} left to map ${unmatched.length === 1 ? "it" : "them"} to`,
    };
  }
  let next = 0;
  const resolved = fields.map((f) => f ?? left[next++]!);
  return { ok: true, fields: resolved, renamed: unmatched };
}

/** The hidden tests' outcome. `stop` is where a failure stopped: the interface or the tests themselves. */
export type HiddenOutcome =
  | { passed: true; calls: number; ms: number }
  | { passed: false; stop: "interface" | "hidden test"; failure: string; calls?: number; ms: number };

/** What the harness returns (its default export's result). */
interface HarnessReport {
  failed: number[];
  assertions: number;
  calls: number;
  args: unknown[];
}

const SEED = 0x5eed;
const MAX_PASSES = 20;
const MAX_RECORDED_ARGS = 200;

/** The tests' assertions: `console.assert(` → `expectTrue(<id>, `, with each one's source for the report. */
export function instrumentAssertions(test: string): { code: string; sources: string[] } {
  const sources: string[] = [];
  const code = test.replace(/console\.assert\s*\(/g, (match, offset: number) => {
    let depth = 1;
    let end = offset + match.length;
    for (; end < test.length && depth > 0; end++) {
      if (test[end] === "(") depth++;
      else if (test[end] === ")") depth--;
    }
    sources.push(
      test
        .slice(offset + match.length, end - 1)
        .replace(/\s+/g, " ")
        .trim()
        .slice(0, 160),
    );
    return `expectTrue(${sources.length - 1}, `;
  });
  return { code, sources };
}

/** The harness module (plain JavaScript, generated from trusted data plus the tool as a data: URL). */
export function harnessModule(problem: BenchProblem, compiledTool: string, fields: string[], assertions: string): string {
  const toolUrl = `data:text/javascript;base64,${Buffer.from(compiledTool, "utf8").toString("base64")}`;
  return `// Generated by bench/forge-bench-hidden.ts: the hidden tests of ${problem.taskId} against a forged tool.
export const name = "hidden_tests";
export const description = "Runs a problem's hidden tests against a forged tool.";
export const schema = { type: "object" };
export function test() {}

const TOOL_URL = ${JSON.stringify(toolUrl)};
const FIELDS = ${JSON.stringify(fields)};

function seededMath(seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.create(Math, { random: { value: random } });
}

function asDelivered(value) {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError("the tool's result is not JSON (a " + typeof value + ")");
  return JSON.parse(text);
}

export default async function hiddenTests(input, ctx) {
  const tool = (await import(TOOL_URL)).default;
  const settled = new Map();
  const recorded = [];
  const seen = new Set();
  for (let pass = 1; pass <= ${MAX_PASSES}; pass++) {
    const failed = [];
    const pending = [];
    let calls = 0;
    let assertions = 0;
    const candidate = (...positional) => {
      const input = {};
      for (let i = 0; i < positional.length && i < FIELDS.length; i++) if (positional[i] !== undefined) input[FIELDS[i]] = positional[i];
      const args = JSON.parse(JSON.stringify(input));
      const key = JSON.stringify(args);
      if (!seen.has(key) && recorded.length < ${MAX_RECORDED_ARGS}) {
        seen.add(key);
        recorded[recorded.length] = args;
      }
      const index = calls++;
      const known = settled.get(index);
      if (known && known.key === key) return known.value;
      const value = tool(args, ctx);
      if (value !== null && typeof value === "object" && typeof value.then === "function") {
        pending[pending.length] = Promise.resolve(value).then((result) => settled.set(index, { key, value: asDelivered(result) }));
        return undefined;
      }
      return asDelivered(value);
    };
    const expectTrue = (id, condition) => {
      assertions++;
      if (!condition) failed[failed.length] = id;
    };
    let thrown = null;
    try {
      runTests(candidate, expectTrue, seededMath(${SEED}));
    } catch (error) {
      thrown = error;
    }
    if (pending.length > 0) {
      await Promise.all(pending);
      continue;
    }
    if (thrown !== null) throw thrown;
    return { failed, assertions, calls, args: recorded };
  }
  throw new Error("the tool's promises never settled into one complete run of the tests (${MAX_PASSES} runs)");
}

function runTests(${problem.entryPoint}, expectTrue, Math) {
${problem.helperCode}

${assertions}
}
`;
}

/**
 * Runs the problem's hidden tests against `compiledTool` (whose input schema is `schema`) in the
 * sandbox, with the library tools it is pinned to (`tools`) when it uses any.
 */
export async function runHiddenTests(
  sandbox: Sandbox,
  problem: BenchProblem,
  compiledTool: string,
  schema: JsonObject | null,
  toolName: string,
  tools?: JobTools,
): Promise<HiddenOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const adapter = adaptInput(problem.params, schema);
  if (!adapter.ok) return { passed: false, stop: "interface", failure: adapter.reason, ms: ms() };
  const { code, sources } = instrumentAssertions(problem.hiddenTest);
  const job = await sandbox.run({
    action: "call",
    module: harnessModule(problem, compiledTool, adapter.fields, code),
    input: {},
    ...(tools ? { tools } : {}),
  });
  const verdict = judge(job, sources);
  if ("failure" in verdict)
    return {
      passed: false,
      stop: "hidden test",
      failure: verdict.failure,
      ...(verdict.calls !== undefined ? { calls: verdict.calls } : {}),
      ms: ms(),
    };

  let check;
  try {
    check = compileArgsSchema(toolName, schema ?? { type: "object", properties: {} });
  } catch (error) {
    return {
      passed: false,
      stop: "interface",
      failure: `the tool's schema does not compile: ${errorMessage(error)}`,
      calls: verdict.calls,
      ms: ms(),
    };
  }
  for (const args of verdict.args) {
    const checked = check(args);
    if (!checked.ok) {
      return {
        passed: false,
        stop: "interface",
        failure: `the tool's schema refuses the arguments ${JSON.stringify(args).slice(0, 200)}: ${checked.message}`,
        calls: verdict.calls,
        ms: ms(),
      };
    }
  }
  return { passed: true, calls: verdict.calls, ms: ms() };
}

function judge(job: JobResult, sources: string[]): { failure: string; calls?: number } | { calls: number; args: unknown[] } {
  if (job.timedOut) return { failure: "the hidden tests did not finish within the sandbox's time limit" };
  if (job.oomKilled) return { failure: "the hidden tests ran out of memory in the sandbox" };
  const report = job.report;
  if (report === null)
    return { failure: `no valid report from the sandbox (${job.reportProblem ?? "none"}; exit code ${job.exitCode ?? "none"})` };
  if (!report.ok) {
    const error = report.error;
    return {
      failure: error ? `the tests threw ${error.name}: ${error.message}`.slice(0, 500) : `the run failed in its ${report.phase} phase`,
    };
  }
  if (job.exitCode !== 0) return { failure: `the sandbox exited with code ${job.exitCode ?? "none"}` };
  const result = report.result as Partial<HarnessReport> | null;
  if (
    !result ||
    !Array.isArray(result.failed) ||
    typeof result.calls !== "number" ||
    typeof result.assertions !== "number" ||
    !Array.isArray(result.args)
  ) {
    return { failure: "the harness's result is malformed" };
  }
  if (result.assertions === 0) return { failure: "no assertion ran", calls: result.calls };
  if (result.failed.length > 0) {
    const first = sources[result.failed[0]!] ?? `assertion ${result.failed[0]}`;
    return { failure: `${result.failed.length} of ${result.assertions} assertions failed; the first: ${first}`, calls: result.calls };
  }
  return { calls: result.calls, args: result.args };
}
