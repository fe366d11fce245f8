import { describe, expect, it } from "vitest";
import { AUDIT_RULES, auditModule, formatFindings, hasSecurityFindings, type AuditOptions } from "../../src/admission/audit.js";
import { transpileModule } from "../../src/admission/transpile.js";
import type { AuditFinding } from "../../src/store/types.js";
import { APPENDED_LINE as LINE, auditTypeScript, judgeAppended as judge, SAMPLE_CONTRACT as CONTRACT } from "../fixtures/hostile/corpus.js";

async function findings(source: string, options: AuditOptions = { contract: "tool" }): Promise<AuditFinding[]> {
  const outcome = await auditTypeScript(source, options);
  if (outcome.stage !== "audit") throw new Error(`did not compile: ${JSON.stringify(outcome.errors)}`);
  return outcome.findings;
}

describe("audit positions", () => {
  it("reports lines and 1-based columns of the TypeScript even when types moved the compiled code", async () => {
    const source = `${CONTRACT}interface Shape {\n  a: number;\n  b: string;\n}\ntype Alias = Shape;\nconst read = (x: Alias): unknown =>    process.env;\n`;
    const found = await findings(source);
    expect(found).toEqual([expect.objectContaining({ rule: "process", line: LINE + 5, column: 40 })]);
  });

  it("reports positions of the compiled JavaScript when no source map is given", async () => {
    const compiled = await transpileModule(`${CONTRACT}\n\n\nconst x = process;\n`);
    if (!compiled.ok) throw new Error(compiled.failure);
    const [finding] = auditModule("", compiled.code, undefined, { contract: "tool" }).filter((f) => f.rule === "process");
    const compiledLine = compiled.code.split("\n").findIndex((line) => line.includes("const x = process")) + 1;
    expect(finding).toMatchObject({ line: compiledLine, column: 11 });
  });

  it("sorts findings by line, then column", async () => {
    const found = await findings(`${CONTRACT}const b = process; const a = require;\nconst c = eval;\n`);
    expect(found.map((f) => `${f.line}:${f.column}`)).toEqual([`${LINE}:11`, `${LINE}:30`, `${LINE + 1}:11`]);
  });
});

describe("audit scope resolution", () => {
  it("accepts locals and parameters that share a name with a forbidden global", async () => {
    expect(
      await judge("function handle(process: { env: string }, module: number, self: object) { return [process.env, module, self]; }"),
    ).toEqual([]);
  });

  it("still refuses the global in a scope where the local is not visible", async () => {
    expect(await judge("function a(process: number) { return process; }\nfunction b() { return process; }")).toEqual([
      `process @ ${LINE + 1}:23`,
    ]);
  });

  it("judges a global object's named members by what they name", async () => {
    expect(await judge("const m = globalThis.Math.max(1, 2);")).toEqual([]);
    expect(await judge("const p = globalThis.process;")).toEqual([`process @ ${LINE}:22`]);
    expect(await judge("const g = global.globalThis;")).toEqual([`global-object @ ${LINE}:18`]);
  });
});

describe("audit rules on globals and members", () => {
  it("allows Reflect.ownKeys and Reflect.has, refuses the rest of Reflect", async () => {
    expect(await judge("Reflect.ownKeys({}); Reflect.has({}, 'a');")).toEqual([]);
    expect(await judge("Reflect.get({}, 'a');")).toEqual([`reflect-proxy @ ${LINE}:1`]);
    expect(await judge("const R = Reflect;")).toEqual([`reflect-proxy @ ${LINE}:11`]);
  });

  it("allows `instanceof Function` but no other use of Function", async () => {
    expect(await judge("const isFn = (x: unknown) => x instanceof Function;")).toEqual([]);
    expect(await judge("const proto = Function.prototype;")).toEqual([`function-constructor @ ${LINE}:15`]);
  });

  it("refuses writes to builtins and to foreign prototypes, allows the module's own", async () => {
    expect(await judge("Math.random = () => 4;")).toEqual([`builtin-prototype-mutation @ ${LINE}:1`]);
    expect(await judge("Object.assign(Array.prototype, { x: 1 });")).toEqual([`builtin-prototype-mutation @ ${LINE}:8`]);
    expect(await judge("const A = Array; A.prototype.first = 1;")).toEqual([`builtin-prototype-mutation @ ${LINE}:18`]);
    expect(await judge("class Own {} (Own as any).prototype.extra = 1; delete (Own as any).prototype.extra;")).toEqual([]);
  });

  it("refuses assigning to a global builtin and to a name that is never declared", async () => {
    expect(await judge("(globalThis as any).JSON; JSON = {} as any;")).toEqual([`builtin-prototype-mutation @ ${LINE}:27`]);
    expect(await judge("total = 3;")).toEqual([`undeclared-assignment @ ${LINE}:1`]);
  });

  it("refuses passing console or the imported assert around as values", async () => {
    expect(await judge("const c = console; c.log('x');")).toEqual([`imported-binding-mutation @ ${LINE}:11`]);
    expect(await judge("[true].forEach(assert);")).toEqual([`imported-binding-mutation @ ${LINE}:16`]);
    expect(await judge("Object.defineProperty(assert, 'ok', { value: () => 1 });")).toEqual([
      `imported-binding-mutation @ ${LINE}:8`,
      `imported-binding-mutation @ ${LINE}:23`,
    ]);
  });

  it("refuses computed access with a run-time key on globals, imports and functions", async () => {
    expect(await judge("const k = String(Date.now()); const v = (Math as any)[k];")).toEqual([`global-computed @ ${LINE}:55`]);
    expect(await judge("const k = String(Date.now()); const v = (assert as any)[k];")).toEqual([`global-computed @ ${LINE}:57`]);
    expect(await judge("const k = String(Date.now()); const v = (sample_tool as any)[k];")).toEqual([`constructor-access @ ${LINE}:62`]);
  });

  it("lets numeric run-time keys through anywhere", async () => {
    expect(await judge("let i = 0; i += 2; const v = [(sample_tool as any)[i], (Math as any)[i * 2]];")).toEqual([]);
  });
});

describe("audit constant folding and run-time keys", () => {
  it.each([
    ['obj[["con", "structor"].join("")]', "constructor-access"],
    ['obj["constr" + "uctor"]', "constructor-access"],
    ['obj[atob("Y29uc3RydWN0b3I=")]', "constructor-access"],
    ['obj["rotcurtsnoc".split("").reverse().join("")]', "constructor-access"],
    ["obj[String.fromCharCode(95, 95, 112, 114, 111, 116, 111, 95, 95)]", "proto"],
    ['obj[`__${"proto"}__`]', "proto"],
  ])("sees through %s", async (expression, rule) => {
    const found = await judge(`const obj: any = {};\nconst v = ${expression};`);
    expect(found.map((f) => f.split(" @ ")[0])).toContain(rule);
  });

  it("follows const bindings to the string they hold", async () => {
    expect(await judge('const a = "__pro";\nconst b = a + "to__";\nconst v = ({} as any)[b];')).toContain(`proto @ ${LINE + 1}:11`);
  });

  it("flags run-time keys assembled from pieces of forbidden names, through variables", async () => {
    const found = await judge('let k = "con";\nk += "structor";\nconst v = ({} as any)[k];');
    expect(found).toEqual([`computed-key @ ${LINE + 2}:23`]);
  });

  it("flags run-time keys converted from numbers with a radix", async () => {
    const found = await judge("let n = 0;\nn = Date.now();\nconst v = ({} as any)[n.toString(36)];");
    expect(found).toEqual([`computed-key @ ${LINE + 2}:23`]);
  });

  it("flags run-time keys decoded from character codes", async () => {
    const found = await judge("const codes: number[] = [];\nconst v = ({} as any)[String.fromCharCode(...codes)];");
    expect(found).toEqual([`computed-key @ ${LINE + 1}:23`]);
  });
});

describe("audit of compiler helper code", () => {
  it("refuses syntax that esbuild lowers into helpers, at the line that needs them", async () => {
    const found = await judge("function f() {\n  using res = { [Symbol.dispose]() {} };\n}");
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found.map((f) => f.split(" @ ")[0]))).toEqual(new Set(["unsupported-syntax"]));
    expect(found.every((f) => f.includes(` @ ${LINE + 1}:`))).toBe(true);
  });
});

describe("audit of the contract", () => {
  const tool = (overrides: Record<string, string | null>) => {
    const parts: Record<string, string | null> = {
      name: 'export const name = "sample_tool";',
      description: 'export const description = "A sample.";',
      schema: 'export const schema = { type: "object", properties: { a: { type: "string" } } };',
      main: "export default function sample_tool(): number { return 1; }",
      test: "export function test(): void {}",
      ...overrides,
    };
    return (
      Object.values(parts)
        .filter((part) => part !== null)
        .join("\n") + "\n"
    );
  };
  const rules = async (source: string, options: AuditOptions = { contract: "tool" }) =>
    (await findings(source, options)).map((f) => `${f.rule} @ ${f.line}`);

  it("accepts the contract in its different spellings", async () => {
    expect(await rules(tool({}))).toEqual([]);
    expect(
      await rules(tool({ main: "function impl() { return 1; }\nexport default impl;", test: "export const test = async () => {};" })),
    ).toEqual([]);
    expect(await rules(tool({ main: "const impl = (x: unknown) => x;\nexport { impl as default };" }))).toEqual([]);
  });

  it("reports each missing export of a tool at line 1", async () => {
    expect(await rules("export default function f() {}\n")).toEqual([
      "contract-description @ 1",
      "contract-name @ 1",
      "contract-schema @ 1",
      "contract-test @ 1",
    ]);
  });

  it("requires only the default function of a method", async () => {
    expect(await rules("export default function greet(self: object) { return self; }\n", { contract: "method" })).toEqual([]);
    expect(await rules('export const name = "greet";\n', { contract: "method" })).toEqual(["contract-default @ 1"]);
  });

  it("checks the name: a snake_case literal, and the requested one", async () => {
    expect(await rules(tool({ name: 'export const name = "SampleTool";' }))).toEqual(["contract-name @ 1"]);
    expect(await rules(tool({ name: 'export let name = "sample_tool";' }))).toEqual(["contract-name @ 1"]);
    expect(await rules(tool({ name: "export const name = String(1);" }))).toEqual(["contract-name @ 1"]);
    expect(await rules(tool({}), { contract: "tool", expectedName: "other_tool" })).toEqual(["contract-name @ 1"]);
    expect(await rules(tool({}), { contract: "tool", expectedName: "sample_tool" })).toEqual([]);
  });

  it("requires a non-empty description string", async () => {
    expect(await rules(tool({ description: 'export const description = "  ";' }))).toEqual(["contract-description @ 2"]);
  });

  it("requires the schema to be a plain JSON object literal of type object", async () => {
    expect(await rules(tool({ schema: 'export const schema = { type: "array" };' }))).toEqual(["contract-schema @ 3"]);
    expect(await rules(tool({ schema: "export const schema = JSON.parse('{}');" }))).toEqual(["contract-schema @ 3"]);
    expect(await rules(tool({ schema: 'export const schema = { type: "object", get properties() { return {}; } };' }))).toEqual([
      "contract-schema @ 3",
    ]);
    expect(await rules(tool({ schema: 'const p = {};\nexport const schema = { type: "object", properties: p };' }))).toEqual([
      "contract-schema @ 4",
    ]);
  });

  it("requires the default export and test to be functions, not classes or generators", async () => {
    expect(await rules(tool({ main: "export default class Sample {}" }))).toEqual(["contract-default @ 4"]);
    expect(await rules(tool({ main: "export default function* sample() { yield 1; }" }))).toEqual(["contract-default @ 4"]);
    expect(await rules(tool({ test: "export const test = 42;" }))).toEqual(["contract-test @ 5"]);
  });
});

describe("audit output", () => {
  it("reports a module acorn cannot parse as a parse finding instead of throwing", () => {
    const found = auditModule("", "const broken = ;", undefined, { contract: "tool" });
    expect(found).toEqual([expect.objectContaining({ rule: "parse", line: 1, column: 16 })]);
  });

  it("formats findings for the model with rule, line, column and the offending line", async () => {
    const source = `${CONTRACT}const leaked = process.env;\n`;
    const found = await findings(source);
    const text = formatFindings(found, source);
    expect(text).toContain("The static audit refused the module (1 finding)");
    expect(text).toContain(`- line ${LINE}, column 16 [process]: \`process\` is the running process`);
    expect(text).toContain(`    ${LINE} | const leaked = process.env;`);
  });

  it("tells security findings from contract problems", async () => {
    expect(hasSecurityFindings(await findings("export default function f() {}\n"))).toBe(false);
    expect(hasSecurityFindings(await findings(`${CONTRACT}process;\n`))).toBe(true);
  });

  it("uses only rule ids from the published catalogue", async () => {
    const { loadHostileCorpus } = await import("../fixtures/hostile/corpus.js");
    for (const fixture of loadHostileCorpus()) {
      const outcome = await auditTypeScript(fixture.source);
      if (outcome.stage !== "audit") continue;
      for (const finding of outcome.findings) expect(Object.keys(AUDIT_RULES), fixture.file).toContain(finding.rule);
    }
  });
});
