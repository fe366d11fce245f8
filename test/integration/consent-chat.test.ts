/**
 * A forged tool that reaches the world, through the OpenAI-compatible chat endpoint of the real
 * server (scripted models, real forge and audit, real gVisor sandbox, SQLite): BRICK asks for the
 * tool, the forge writes one that declares its host and uses ctx.fetch, and the turn answers with
 * what is asked and how to grant it (the endpoint's clients cannot answer an interrupt) — nothing
 * reached the host. A person grants over HTTP; the next turn on the thread calls the tool, whose
 * request the host makes, and the answer carries the value the outside world gave.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OllamaChatRequest, ScriptedReply } from "../support/scripted-ollama.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { describeSandbox } from "../support/sandbox.js";
import { json, startServer, type TestServer as OutsideServer } from "./egress-servers.js";
import { speakerOf, startTestServer, type TestServer } from "./test-server.js";

function rateModule(host: string): string {
  return [
    "```typescript",
    'import assert from "node:assert/strict";',
    'export const name = "eur_rate";',
    'export const description = "The euro\'s exchange rate to a currency, from the rates service.";',
    'export const schema = { type: "object", properties: { currency: { type: "string", description: "e.g. USD" } }, required: ["currency"] };',
    `export const hosts = [${JSON.stringify(host)}];`,
    "export default async function eur_rate({ currency }: { currency: string }, ctx: { fetch: typeof fetch }): Promise<number> {",
    `  const response = await ctx.fetch(\`http://${host}/latest?from=EUR&to=\${encodeURIComponent(currency)}\`);`,
    "  if (!response.ok) throw new Error(`the rates service answered ${response.status}`);",
    "  const data = (await response.json()) as { rates: Record<string, number> };",
    "  return data.rates[currency];",
    "}",
    "export async function test(): Promise<void> {",
    "  const fake = { fetch: (async () => new Response(JSON.stringify({ rates: { USD: 2 } }))) as typeof fetch };",
    '  assert.equal(await eur_rate({ currency: "USD" }, fake), 2);',
    "}",
    "```",
  ].join("\n");
}

const REQUEST =
  "TOOL_REQUIRED: eur_rate: the euro's exchange rate to a currency from the rates service at the given host. Input: {currency: string}. Output: number.";

describeSandbox("a forged tool that asks for a host, through the chat endpoint", (sandbox) => {
  let ollama: ScriptedOllama;
  let served: TestServer;
  let rates: OutsideServer;

  beforeAll(async () => {
    rates = await startServer(json({ base: "EUR", rates: { USD: 1.0842 } }));
    ollama = await ScriptedOllama.start({
      respond: (request: OllamaChatRequest): ScriptedReply | string => {
        const speaker = speakerOf(request);
        if (speaker === "forge") return `Here is the module.\n\n${rateModule(rates.host)}`;
        const lastTool = request.messages.filter((m) => m.role === "tool").at(-1);
        if (speaker === "brick") {
          const asked = request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
          if (
            lastTool &&
            request.messages.lastIndexOf(lastTool) > request.messages.findLastIndex((m) => m.role === "user" && m.content === asked)
          ) {
            return lastTool.content.includes("needs to reach")
              ? "The rate tool needs a person's grant first."
              : `The rate is ${lastTool.content}.`;
          }
          if (request.tools?.some((t) => t.function.name === "eur_rate"))
            return { toolCalls: [{ name: "eur_rate", arguments: { currency: "USD" } }] };
          return `There is no rate tool yet.\n${REQUEST}`;
        }
        if (speaker === "alfred") {
          const said = request.messages.map((m) => m.content).join("\n");
          return /The rate is \d+(?:\.\d+)?/.exec(said)?.[0] ?? "A person must allow the rate tool to reach its service first.";
        }
        return `${speaker.toUpperCase()} notes: nothing to add.`;
      },
    });
    served = await startTestServer({ ollama, sandbox: sandbox(), env: { EGRESS_ALLOW_LOOPBACK: "true" } });
  }, 120_000);

  afterAll(async () => {
    await served?.close();
    await ollama?.close();
    await rates?.close();
  });

  const ask = async (text: string) => {
    const response = await fetch(`${served.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-thread-id": "rates-thread" },
      body: JSON.stringify({ model: "toolforge", messages: [{ role: "user", content: text }] }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as {
      choices: { message: { content: string } }[];
      toolforge: { consent: { tool: string; missing: string[] }[] };
    };
  };

  it("forges the tool, and answers with what it asks and how to grant it, reaching nothing", async () => {
    const answer = await ask("What is one euro in US dollars?");
    expect(answer.toolforge.consent).toEqual([expect.objectContaining({ tool: "eur_rate", missing: [rates.host] })]);
    expect(answer.choices[0]?.message.content).toContain("allow the rate tool");
    expect((await served.server.runtime.store.getTool("eur_rate"))?.hosts).toEqual([rates.host]);
    expect(rates.seen).toHaveLength(0);
  });

  it("answers the next question with the outside world's value once a person granted the host", async () => {
    const granted = await fetch(`${served.url}/tools/eur_rate/grants`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ decision: "grant", private_network: true }),
    });
    expect(granted.status).toBe(201);
    const answer = await ask("And now, with the grant: one euro in US dollars?");
    expect(answer.toolforge.consent).toEqual([]);
    expect(answer.choices[0]?.message.content).toBe("The rate is 1.0842");
    expect(rates.seen.map((r) => r.url)).toEqual(["/latest?from=EUR&to=USD"]);
  });
});
