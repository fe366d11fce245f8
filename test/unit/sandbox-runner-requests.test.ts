/**
 * A tool's outside requests over the runner's channel: sandbox/runner.mjs run as a bare node process
 * (as in sandbox-runner.test.ts) with the host's end of the channel (src/sandbox/request-channel.ts)
 * between its stdout and stdin. No network is involved: the handler stands for the host's egress.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_OPEN_REQUESTS, MAX_REQUESTS_PER_CALL, REQUEST_PREFIX } from "../../src/contract.js";
import { PROJECT_ROOT } from "../../src/config.js";
import { parseReport } from "../../src/sandbox/output.js";
import { RequestChannel, withoutRequestLines, type RequestHandler } from "../../src/sandbox/request-channel.js";
import type { RunnerReport } from "../../src/sandbox/types.js";

const RUNNER = path.join(PROJECT_ROOT, "sandbox", "runner.mjs");

interface ChannelRun {
  report: RunnerReport | null;
  /** The job's own stdout, request lines taken out. */
  stdout: string;
}

function runWithChannel(job: Record<string, unknown>, onRequest: RequestHandler | undefined): Promise<ChannelRun> {
  const token = randomBytes(16).toString("hex");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER], { stdio: ["pipe", "pipe", "pipe"], env: {} });
    const channel = new RequestChannel({ token, onRequest, answer: (line) => child.stdin.write(line) });
    let stdout = "";
    let partial = "";
    child.stdout.setEncoding("utf8");
    // Whole lines go to the channel, as the container's output router hands them on.
    child.stdout.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      for (const line of lines) if (!channel.receiveLine(line)) stdout += `${line}\n`;
    });
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", () => {
      stdout += partial;
      channel.close();
      child.stdin.destroy();
      resolve({ report: parseReport(stdout, token).report, stdout });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.write(JSON.stringify({ token, ...job }) + "\n");
  });
}

const toolModule = (body: string, extra = "") => `
export const name = "outside";
export const description = "Reaches the world.";
export const schema = { type: "object", properties: {}, required: [] };
export const hosts = ["api.example.com"];
export default async function (args, ctx) { ${body} }
export function test(ctx) { ${extra} }
`;

const ok = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) => ({
  ok: true,
  status: 200,
  statusText: "OK",
  headers,
  body,
  bodyEncoding: "utf8",
  url: "https://api.example.com/rates",
  redirected: false,
});

describe("a tool's outside requests over the runner's channel", () => {
  it("hands ctx.fetch's request to the host and the host's answer back as a standard Response", async () => {
    const seen: unknown[] = [];
    const run = await runWithChannel(
      {
        action: "call",
        contract: "tool",
        outside: true,
        input: {},
        module: toolModule(`
          const response = await ctx.fetch("https://api.example.com/rates?base=EUR", { method: "POST", headers: { "x-one": "1" }, body: "q" });
          return { status: response.status, ok: response.ok, type: response.headers.get("content-type"), url: response.url, data: await response.json() };`),
      },
      async (request) => {
        seen.push(request);
        return ok(JSON.stringify({ rate: 1.08 }));
      },
    );
    expect(seen).toEqual([{ id: 1, url: "https://api.example.com/rates?base=EUR", method: "POST", headers: { "x-one": "1" }, body: "q" }]);
    expect(run.report).toMatchObject({
      ok: true,
      result: { status: 200, ok: true, type: "application/json", url: "https://api.example.com/rates", data: { rate: 1.08 } },
    });
    expect(run.stdout).not.toContain(REQUEST_PREFIX);
  });

  it("decodes a binary answer (base64) into the Response's bytes", async () => {
    const run = await runWithChannel(
      {
        action: "call",
        contract: "tool",
        outside: true,
        input: {},
        module: toolModule(`const r = await ctx.fetch("https://api.example.com/b"); return [...new Uint8Array(await r.arrayBuffer())];`),
      },
      async () => ({ ...ok(Buffer.from([0, 255, 7]).toString("base64")), bodyEncoding: "base64" }),
    );
    expect(run.report).toMatchObject({ ok: true, result: [0, 255, 7] });
  });

  it("rejects ctx.fetch with the host's reason when the host refuses the request", async () => {
    const run = await runWithChannel(
      { action: "call", contract: "tool", outside: true, input: {}, module: toolModule(`await ctx.fetch("https://elsewhere.example/");`) },
      async () => ({ ok: false, refused: 'elsewhere.example is not a host a person granted "outside"' }),
    );
    expect(run.report).toMatchObject({ ok: false, phase: "call", error: { name: "TypeError" } });
    expect(run.report?.error?.message).toBe('ctx.fetch refused: elsewhere.example is not a host a person granted "outside"');
  });

  it("refuses every request of a job the host does not answer for, without asking anyone", async () => {
    let asked = 0;
    const run = await runWithChannel(
      { action: "call", contract: "tool", outside: false, input: {}, module: toolModule(`await ctx.fetch("https://api.example.com/");`) },
      async () => {
        asked += 1;
        return ok("{}");
      },
    );
    expect(asked).toBe(0);
    expect(run.report?.error?.message).toMatch(/^ctx\.fetch: this tool may not reach any host here/);
  });

  it("gives test() a context whose fetch refuses and says to pass a fake one", async () => {
    const run = await runWithChannel(
      {
        action: "validate",
        contract: "tool",
        outside: true,
        module: toolModule("return 1;", `return ctx.fetch("https://api.example.com/");`),
      },
      async () => ok("{}"),
    );
    expect(run.report).toMatchObject({ ok: false, phase: "test" });
    expect(run.report?.error?.message).toContain("give the default export a fake ctx with a fetch of your own in test()");
  });

  it("passes a test that hands the default export a fake fetch, and reports the declared hosts", async () => {
    const module = `
      import assert from "node:assert/strict";
      export const name = "outside";
      export const description = "Reaches the world.";
      export const schema = { type: "object", properties: {}, required: [] };
      export const hosts = ["api.example.com"];
      export default async function outside(args, ctx) { const r = await ctx.fetch("https://api.example.com/"); return (await r.json()).n; }
      export async function test() {
        const fake = { fetch: async () => new Response(JSON.stringify({ n: 3 })) };
        assert.equal(await outside({}, fake), 3);
      }`;
    const run = await runWithChannel({ action: "validate", contract: "tool", module }, undefined);
    expect(run.report).toMatchObject({ ok: true, testCompleted: true, exports: { hosts: ["api.example.com"] } });
  });

  it(`keeps at most ${MAX_OPEN_REQUESTS} requests open at once and sends the rest as answers come`, async () => {
    let open = 0;
    let most = 0;
    const run = await runWithChannel(
      {
        action: "call",
        contract: "tool",
        outside: true,
        input: {},
        module: toolModule(`
          const all = await Promise.all(Array.from({ length: 10 }, (_, i) => ctx.fetch("https://api.example.com/" + i).then((r) => r.text())));
          return all;`),
      },
      async (request) => {
        open += 1;
        most = Math.max(most, open);
        await new Promise((resolve) => setTimeout(resolve, 20));
        open -= 1;
        return ok(request.url.slice(-1));
      },
    );
    expect(run.report).toMatchObject({ ok: true, result: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] });
    expect(most).toBe(MAX_OPEN_REQUESTS);
  });

  it(`refuses the request after the ${MAX_REQUESTS_PER_CALL}th of one call`, async () => {
    let asked = 0;
    const run = await runWithChannel(
      {
        action: "call",
        contract: "tool",
        outside: true,
        input: {},
        module: toolModule(`for (let i = 0; i <= ${MAX_REQUESTS_PER_CALL}; i++) await ctx.fetch("https://api.example.com/");`),
      },
      async () => {
        asked += 1;
        return ok("");
      },
    );
    expect(asked).toBe(MAX_REQUESTS_PER_CALL);
    expect(run.report?.error?.message).toBe(`ctx.fetch: a call may make at most ${MAX_REQUESTS_PER_CALL} outside requests`);
  });

  it("still reports a module whose promise never settles once no request is waiting", async () => {
    const run = await runWithChannel(
      {
        action: "call",
        contract: "tool",
        outside: true,
        input: {},
        module: toolModule(`await ctx.fetch("https://api.example.com/"); await new Promise(() => {});`),
      },
      async () => ok(""),
    );
    expect(run.report?.error?.message).toMatch(/never finished/);
  });
});

describe("the host's end of the channel against a hostile runner", () => {
  const token = "a".repeat(32);
  const line = (json: unknown) => `${REQUEST_PREFIX}${token} ${JSON.stringify(json)}`;

  function channel(onRequest?: RequestHandler) {
    const answers: unknown[] = [];
    const c = new RequestChannel({ token, onRequest, answer: (text) => answers.push(JSON.parse(text)) });
    return { c, answers };
  }

  it("treats a request line with another token as the job's own output", () => {
    const { c, answers } = channel(async () => ok(""));
    expect(c.receiveLine(`${REQUEST_PREFIX}${"b".repeat(32)} {"id":1,"url":"https://x.example/"}`)).toBe(false);
    expect(c.receiveLine("hello")).toBe(false);
    expect(answers).toEqual([]);
  });

  it("writes no answer once the job has ended", async () => {
    const { c, answers } = channel(async () => ok("fine"));
    expect(c.receiveLine(line({ id: 1, url: "https://api.example.com/" }))).toBe(true);
    c.close();
    await Promise.all(c.pending);
    expect(answers).toEqual([]);
  });

  it("answers a malformed request with a refusal naming what is wrong", async () => {
    const { c, answers } = channel(async () => ok(""));
    c.receiveLine(line({ id: 4, url: 42 }));
    c.receiveLine(`${REQUEST_PREFIX}${token} not json`);
    c.receiveLine(line({ id: 5, url: "https://api.example.com/", headers: { a: 1 } }));
    expect(answers).toEqual([
      { id: 4, ok: false, refused: "the request has no url" },
      { id: null, ok: false, refused: "the request line is not JSON" },
      { id: 5, ok: false, refused: "a request header's value is not text" },
    ]);
  });

  it(`refuses a runner that opens more than ${MAX_OPEN_REQUESTS} requests at once`, async () => {
    const { c, answers } = channel(() => new Promise(() => undefined));
    for (let id = 1; id <= MAX_OPEN_REQUESTS + 1; id++) c.receiveLine(line({ id, url: "https://api.example.com/" }));
    expect(answers).toEqual([
      { id: MAX_OPEN_REQUESTS + 1, ok: false, refused: `at most ${MAX_OPEN_REQUESTS} outside requests may be open at once` },
    ]);
  });

  it("turns a handler that throws into a refusal instead of leaving the runner waiting", async () => {
    const { c, answers } = channel(async () => {
      throw new Error("store closed");
    });
    c.receiveLine(line({ id: 9, url: "https://api.example.com/" }));
    await Promise.all(c.pending);
    expect(answers).toEqual([{ id: 9, ok: false, refused: "the host could not make the request: store closed" }]);
  });

  it("sends a body that would make an answer line too long for the supervisor in base64", async () => {
    const body = "\u0001".repeat(1024 * 1024); // 6 characters each once escaped in JSON
    const { c, answers } = channel(async () => ok(body));
    c.receiveLine(line({ id: 2, url: "https://api.example.com/" }));
    await Promise.all(c.pending);
    const [answer] = answers as { bodyEncoding: string; body: string }[];
    expect(answer?.bodyEncoding).toBe("base64");
    expect(Buffer.from(answer!.body, "base64").toString("utf8")).toBe(body);
  });

  it("keeps request lines out of the stdout people read, a cut one at the end too", () => {
    const request = line({ id: 1, url: "https://api.example.com/" });
    expect(withoutRequestLines(`one\n\n${request}\ntwo\n\n${request.slice(0, 60)}`, token)).toBe("one\ntwo\n");
    expect(withoutRequestLines(`one\n\n${request.slice(0, 30)}`, token)).toBe("one\n");
    expect(withoutRequestLines("nothing to take out\n", token)).toBe("nothing to take out\n");
  });
});
