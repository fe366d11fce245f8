/**
 * A composite forged through the chat endpoint (the real server: scripted models, real forge, audit
 * and gVisor sandbox, SQLite): the library holds `factorize` and `sum_list` (added over HTTP); BRICK
 * asks for the sum of the prime factors; the forge's request offers both as building blocks; the
 * stand-in model's module uses them; it is installed with both pins, called through the sandbox for
 * the answer, and still answers after a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OllamaChatRequest, ScriptedReply } from "../support/scripted-ollama.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";
import { speakerOf, startTestServer, type TestServer } from "./test-server.js";

const FACTORIZE = `import assert from "node:assert/strict";
export const name = "factorize";
export const description = "The prime factors of a whole number n, in ascending order, with repeats.";
export const schema = { type: "object", properties: { n: { type: "integer", description: "A whole number of 2 or more." } }, required: ["n"] };
export default function factorize({ n }: { n: number }): number[] {
  const out: number[] = [];
  for (let p = 2; p * p <= n; p++) while (n % p === 0) { out.push(p); n /= p; }
  if (n > 1) out.push(n);
  return out;
}
export function test(): void { assert.deepEqual(factorize({ n: 60 }), [2, 2, 3, 5]); }
`;

const SUM_LIST = `import assert from "node:assert/strict";
export const name = "sum_list";
export const description = "The sum of a list of numbers.";
export const schema = { type: "object", properties: { values: { type: "array", items: { type: "number" } } }, required: ["values"] };
export default function sum_list({ values }: { values: number[] }): number { return values.reduce((a, b) => a + b, 0); }
export function test(): void { assert.equal(sum_list({ values: [1, 2, 3] }), 6); }
`;

const COMPOSITE = [
  "Both exist already, so the module builds on them.",
  "```typescript",
  'import assert from "node:assert/strict";',
  'export const name = "sum_prime_factors";',
  'export const description = "The sum of the prime factors of n (with repeats).";',
  'export const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };',
  'export const uses = ["factorize", "sum_list"];',
  "type Tools = { factorize(args: { n: number }): Promise<number[]>; sum_list(args: { values: number[] }): Promise<number> };",
  "export default async function sum_prime_factors({ n }: { n: number }, ctx: { tools: Tools }): Promise<number> {",
  "  return ctx.tools.sum_list({ values: await ctx.tools.factorize({ n }) });",
  "}",
  "export async function test(ctx: { tools: Tools }): Promise<void> {",
  "  assert.equal(await sum_prime_factors({ n: 60 }, ctx), 12);",
  "  assert.equal(await sum_prime_factors({ n: 13 }, ctx), 13);",
  "}",
  "```",
].join("\n");

const REQUEST = "TOOL_REQUIRED: sum_prime_factors: the sum of the prime factors of n, with repeats. Input: {n: integer}. Output: number.";

describeSandbox("a composite forged through the chat endpoint", (sandbox) => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  let dir: string;
  const env = () => ({ DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools") });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-compose-chat-"));
    ollama = await ScriptedOllama.start({
      respond: (request: OllamaChatRequest): ScriptedReply | string => {
        const speaker = speakerOf(request);
        if (speaker === "forge") return COMPOSITE;
        const tool = request.messages.filter((m) => m.role === "tool").at(-1);
        if (speaker === "brick") {
          if (tool) return `The sum is ${tool.content}.`;
          if (request.tools?.some((t) => t.function.name === "sum_prime_factors")) {
            return { toolCalls: [{ name: "sum_prime_factors", arguments: { n: 360 } }] };
          }
          return `No tool sums prime factors yet.\n${REQUEST}`;
        }
        if (speaker === "alfred")
          return /The sum is \d+/.exec(request.messages.map((m) => m.content).join("\n"))?.[0] ?? "I could not tell.";
        return `${speaker.toUpperCase()} notes: nothing to add.`;
      },
    });
    served = await startTestServer({ ollama, sandbox: sandbox(), env: env() });
    for (const source of [FACTORIZE, SUM_LIST]) {
      const added = await fetch(`${served.url}/tools`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source }),
      });
      expect(added.status, await added.clone().text()).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await served?.close();
    await ollama?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("offers the library tools to the forge, installs the composite with both pins, and answers through them", async () => {
    const response = await fetch(`${served.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "toolforge", messages: [{ role: "user", content: "What is the sum of the prime factors of 360?" }] }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { choices: { message: { content: string } }[] };
    // 360 = 2 · 2 · 2 · 3 · 3 · 5
    expect(answer.choices[0]?.message.content).toBe("The sum is 17");

    const forgeRequest = ollama.chatRequests.find((r) => speakerOf(r) === "forge");
    const asked = forgeRequest?.messages.map((m) => m.content).join("\n") ?? "";
    expect(asked).toContain("- factorize({ n: integer }): The prime factors of a whole number n");
    expect(asked).toContain("- sum_list({ values: array }): The sum of a list of numbers.");
    const detail = (await (await fetch(`${served.url}/tools/sum_prime_factors`)).json()) as { uses: unknown; origin: string };
    expect(detail).toMatchObject({
      origin: "forged",
      uses: [
        { name: "factorize", version: 1 },
        { name: "sum_list", version: 1 },
      ],
    });
    const factorize = (await (await fetch(`${served.url}/tools/factorize`)).json()) as { used_by: unknown };
    expect(factorize.used_by).toEqual([{ name: "sum_prime_factors", version: 1, pinned: 1 }]);
  });

  it("still calls the composite on its pins after a restart", async () => {
    await served.close();
    served = await startTestServer({ ollama, sandbox: sandbox(), env: env() });
    const called = await fetch(`${served.url}/tools/sum_prime_factors/call`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ args: { n: 60 } }),
    });
    expect(await called.json()).toMatchObject({ ok: true, result: 12, version: 1 });
  });
});
