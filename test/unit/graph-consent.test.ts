/**
 * A tool that declares hosts, called through the real graph (ChatOllama against the scripted
 * Ollama server, SQLite store and checkpointer): with consent "ask" the run interrupts with the
 * documented payload before anything runs, and `Command({ resume })` records the person's answer
 * and goes on; with "explain" the call is not made and the turn says what is asked. The tool is
 * installed straight into the store and the sandbox only counts the jobs that reach it (the real
 * sandbox's side of a granted call is in test/integration/consent-sandbox.test.ts).
 */
import { Command, INTERRUPT, isInterrupted } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import type { ConsentInterrupt } from "../../src/graph/nodes/tools.js";
import { scriptBrick, turn, useGraph } from "../support/graph.js";
import { recordingRefusingSandbox } from "../support/refusing-sandbox.js";
import { toolVersion } from "../support/store.js";

/** Keeps the jobs that reach it and refuses them (nothing forged runs in these tests). */
const sandbox = recordingRefusingSandbox();

describe("a tool that reaches hosts, through the graph", () => {
  const ctx = useGraph({ sandbox });
  let installed = false;

  async function install(name: string, hosts: string[]): Promise<void> {
    await ctx.h.runtime.store.installToolVersion({ ...toolVersion(name), hosts });
    await ctx.h.runtime.registry.refresh();
  }

  function script(toolName: string): void {
    ctx.ollama.respondWith(
      scriptBrick((request) =>
        request.messages.some((m) => m.role === "tool") ? "Done." : { toolCalls: [{ name: toolName, arguments: {} }] },
      ),
    );
  }

  it("interrupts before the call with what is asked, and runs nothing until a person answers", async () => {
    if (!installed) await install("eur_rate", ["api.frankfurter.app"]);
    installed = true;
    script("eur_rate");
    const thread = ctx.h.thread("consent-ask");
    const result = await ctx.h.graph.invoke(turn("What is the euro worth in dollars?"), thread);
    expect(isInterrupted(result)).toBe(true);
    const payload = (result as unknown as Record<string, { value: ConsentInterrupt }[]>)[INTERRUPT]![0]!.value;
    expect(payload).toMatchObject({
      type: "consent",
      requests: [{ tool: "eur_rate", version: 1, hosts: ["api.frankfurter.app"], missing: ["api.frankfurter.app"], denied: [] }],
    });
    expect(payload.answer).toContain("Command({ resume");
    expect(sandbox.jobs).toHaveLength(0);
    const state = await ctx.h.graph.getState(thread);
    expect(state.next).toEqual(["tools"]);
  });

  it("records a grant given on resume, for this version and later ones, and then makes the call", async () => {
    const thread = ctx.h.thread("consent-ask");
    const before = sandbox.jobs.length;
    const result = await ctx.h.graph.invoke(new Command({ resume: { decision: "grant" } }), thread);
    expect(isInterrupted(result)).toBe(false);
    const grants = await ctx.h.runtime.store.listGrants("eur_rate");
    expect(grants.map((g) => [g.host, g.decision, g.version, g.onlyThisVersion])).toEqual([["api.frankfurter.app", "granted", 1, false]]);
    // Past consent, the call went to the sandbox (which refused it here): granted, nothing else held it back.
    expect(sandbox.jobs.length - before).toBe(1);
    expect(sandbox.jobs.at(-1)).toMatchObject({ action: "call", contract: "tool" });
    expect(typeof sandbox.jobs.at(-1)?.onRequest).toBe("function");
    const events = await ctx.h.runtime.store.listEvents();
    expect(events.filter((e) => e.type === "tool.granted").map((e) => e.payload)).toEqual([
      { name: "eur_rate", host: "api.frankfurter.app", version: 1, onlyThisVersion: false, privateNetwork: false, credential: null },
    ]);
  });

  it("asks again after a revocation, and a denial on resume makes no call and tells the model why", async () => {
    await ctx.h.runtime.store.revokeGrants("eur_rate", "api.frankfurter.app");
    script("eur_rate");
    const thread = ctx.h.thread("consent-deny");
    const asked = await ctx.h.graph.invoke(turn("Rates again please"), thread);
    expect(isInterrupted(asked)).toBe(true);
    const before = sandbox.jobs.length;
    const result = await ctx.h.graph.invoke(new Command({ resume: { decision: "deny" } }), thread);
    expect(sandbox.jobs.length).toBe(before);
    const toolMessage = result.messages.find((m: { getType(): string }) => m.getType() === "tool");
    expect(String(toolMessage?.content)).toMatch(/A person denied "eur_rate" access to api\.frankfurter\.app/);
    expect(result.answer).toBeTruthy();
  });

  it('with consent "explain" makes no call, puts the request in the state and a notice, and never interrupts', async () => {
    await install("weather_now", ["api.open-meteo.com"]);
    script("weather_now");
    const before = sandbox.jobs.length;
    const result = await ctx.h.graph.invoke(turn("Weather in Lyon?"), ctx.h.thread("consent-explain", { consent: "explain" }));
    expect(isInterrupted(result)).toBe(false);
    expect(sandbox.jobs.length).toBe(before);
    expect(result.consentRequests).toMatchObject([{ tool: "weather_now", missing: ["api.open-meteo.com"] }]);
    expect(result.notices.join("\n")).toContain("toolforge tools grant weather_now api.open-meteo.com");
    expect(await ctx.h.runtime.store.listGrants("weather_now")).toEqual([]);
  });

  it("grants for one version only when resumed with grant_version: the next version asks again", async () => {
    await install("geo_lookup", ["nominatim.openstreetmap.org"]);
    script("geo_lookup");
    const thread = ctx.h.thread("consent-version");
    expect(isInterrupted(await ctx.h.graph.invoke(turn("Where is Lyon?"), thread))).toBe(true);
    await ctx.h.graph.invoke(new Command({ resume: { decisions: { geo_lookup: "grant_version" } } }), thread);
    expect((await ctx.h.runtime.store.listGrants("geo_lookup")).map((g) => [g.version, g.onlyThisVersion])).toEqual([[1, true]]);
    await ctx.h.runtime.store.installToolVersion({ ...toolVersion("geo_lookup", "return 2;"), hosts: ["nominatim.openstreetmap.org"] });
    await ctx.h.runtime.registry.refresh();
    script("geo_lookup");
    expect(isInterrupted(await ctx.h.graph.invoke(turn("And Paris?"), ctx.h.thread("consent-version-2")))).toBe(true);
  });
});
