import { describe, expect, it } from "vitest";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { isPlanRequest, startGraph, turn, useGraph } from "../support/graph.js";
import { PLAN_JSON_SCHEMA } from "../../src/personas/index.js";

/** Plan requests get a plan naming the model; answers echo the model. */
function planner(badPlanFor?: string) {
  return (request: OllamaChatRequest) => {
    if (isPlanRequest(request)) {
      if (request.model === badPlanFor) return "this is not json";
      return JSON.stringify({ goal: `goal of ${request.model}`, steps: [`step one of ${request.model}`, "step two"] });
    }
    return `${request.model} answers`;
  };
}

describe("metacognition", () => {
  const ctx = useGraph({ checkpointer: false });

  it("is off by default: one request per persona, none with a format", async () => {
    ctx.ollama.respondWith(planner());
    const before = ctx.ollama.chatRequests.length;
    await ctx.h.graph.invoke(turn("What is 2+2?"));
    const requests = ctx.ollama.chatRequests.slice(before);
    expect(requests).toHaveLength(4);
    expect(requests.some(isPlanRequest)).toBe(false);
  });

  it("on for a run: each persona first asks for a plan with the JSON Schema in `format`, then answers following it", async () => {
    ctx.ollama.respondWith(planner());
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("What is 2+2?"), { configurable: { metacognition: true } });
    const requests = ctx.ollama.chatRequests.slice(before);
    const { models } = ctx.h.config;
    expect(requests.map((r) => [r.model, isPlanRequest(r)])).toEqual([
      [models.brick, true],
      [models.brick, false],
      [models.robin, true],
      [models.robin, false],
      [models.babs, true],
      [models.babs, false],
      [models.alfred, true],
      [models.alfred, false],
    ]);
    for (let i = 0; i < requests.length; i += 2) {
      const [plan, answer] = [requests[i]!, requests[i + 1]!];
      expect(plan.format).toEqual(PLAN_JSON_SCHEMA);
      expect(plan.messages.at(-1)!.content).toMatch(/write your plan as JSON/);
      // The answer repeats the plan request and the plan (the cache serves them), then follows it.
      expect(answer.messages.slice(0, plan.messages.length)).toEqual(plan.messages);
      expect(answer.messages.at(-1)!.content).toContain(`Goal: goal of ${plan.model}`);
      expect(answer.messages.at(-1)!.content).toContain(`1. step one of ${plan.model}`);
    }
    expect(Object.keys(result.plans).sort()).toEqual(["alfred", "babs", "brick", "robin"]);
    expect(result.plans.brick).toEqual({ goal: `goal of ${models.brick}`, steps: [`step one of ${models.brick}`, "step two"] });
  });

  it("comes from METACOG=on in the environment", async () => {
    ctx.ollama.respondWith(planner());
    const h2 = await startGraph({ ollama: ctx.ollama, env: { METACOG: "on" }, checkpointer: false });
    try {
      const before = ctx.ollama.chatRequests.length;
      await h2.graph.invoke(turn("hi"));
      expect(ctx.ollama.chatRequests.slice(before).filter(isPlanRequest)).toHaveLength(4);
      // ...and a run can switch it off again.
      const mid = ctx.ollama.chatRequests.length;
      await h2.graph.invoke(turn("hi"), { configurable: { metacognition: false } });
      expect(ctx.ollama.chatRequests.slice(mid).filter(isPlanRequest)).toHaveLength(0);
    } finally {
      await h2.close();
    }
  });

  it("a plan that is not JSON is noted and the persona answers without one", async () => {
    ctx.ollama.respondWith(planner(ctx.h.config.models.robin));
    const before = ctx.ollama.chatRequests.length;
    const events: unknown[] = [];
    const stream = await ctx.h.graph.stream(turn("hi"), { configurable: { metacognition: true }, streamMode: ["custom", "values"] });
    let final: { notices?: string[]; answer?: string | null } = {};
    for await (const [mode, chunk] of stream) {
      if (mode === "custom") events.push(chunk);
      else final = chunk;
    }
    const robinAnswer = ctx.ollama.chatRequests.slice(before).find((r) => r.model === ctx.h.config.models.robin && !isPlanRequest(r))!;
    expect(robinAnswer.messages.map((m) => m.content).join("\n")).not.toContain("Your plan for this answer");
    expect(final.notices?.join("\n")).toMatch(/ROBIN's plan could not be used: the plan is not JSON/);
    expect(events).toContainEqual(expect.objectContaining({ type: "plan.failed", persona: "robin" }));
    expect(final.answer).toBe(`${ctx.h.config.models.alfred} answers`);
  });
});
