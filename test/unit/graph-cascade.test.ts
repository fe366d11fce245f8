import { describe, expect, it } from "vitest";
import { AIMessage } from "@langchain/core/messages";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { systemOf, turn, useGraph } from "../support/graph.js";
import { PERSONAS } from "../../src/personas/index.js";

/** Each persona answers with a line naming itself and its model, so the conversation shows who said what. */
function byModel(request: OllamaChatRequest): string {
  return `reply of ${request.model} #${Math.random().toString(36).slice(2, 8)}`;
}

describe("the persona cascade", () => {
  const ctx = useGraph({ respond: byModel, checkpointer: false });

  it("sends a question through BRICK, ROBIN, BABS and ALFRED in that order, each with its model and role", async () => {
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("How many legs do three spiders have?"));
    const requests = ctx.ollama.chatRequests.slice(before);

    const { models } = ctx.h.config;
    expect(requests.map((r) => r.model)).toEqual([models.brick, models.robin, models.babs, models.alfred]);
    const roles = [PERSONAS.brick, PERSONAS.robin, PERSONAS.babs, PERSONAS.alfred].map((p) => p.role);
    requests.forEach((request, i) => expect(systemOf(request).startsWith(roles[i]!)).toBe(true));

    // Every persona sees the user's question.
    for (const request of requests) {
      expect(request.messages.some((m) => m.role === "user" && m.content.includes("three spiders"))).toBe(true);
    }
    // BRICK binds no tools when the registry has none.
    expect(requests[0]!.tools ?? []).toEqual([]);

    // The answer is ALFRED's message: in `answer` and as the last AI message.
    const aiMessages = result.messages.filter((m) => AIMessage.isInstance(m));
    expect(aiMessages.map((m) => m.name)).toEqual(["brick", "robin", "babs", "alfred"]);
    expect(result.answer).toBe(aiMessages.at(-1)!.content);
    expect(result.answer).toMatch(new RegExp(`^reply of ${models.alfred.replace(/[.:]/g, "\\$&")}`));
  });

  it("shows each later persona what the ones before it said", async () => {
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("Is 91 prime?"));
    const [, robinRequest, babsRequest, alfredRequest] = ctx.ollama.chatRequests.slice(before);
    const said = (name: string) => String(result.messages.find((m) => AIMessage.isInstance(m) && m.name === name)!.content);
    const text = (r: OllamaChatRequest) => r.messages.map((m) => m.content).join("\n");

    expect(text(robinRequest!)).toContain(`BRICK: ${said("brick")}`);
    expect(text(babsRequest!)).toContain(`BRICK: ${said("brick")}`);
    expect(text(babsRequest!)).toContain(`ROBIN: ${said("robin")}`);
    expect(text(alfredRequest!)).toContain(`ROBIN: ${said("robin")}`);
    expect(text(alfredRequest!)).toContain(`BABS: ${said("babs")}`);
    // The cascade gets plain text, never tool-protocol messages.
    expect(alfredRequest!.messages.every((m) => m.role === "system" || m.role === "user" || m.role === "assistant")).toBe(true);
  });

  it("lets a run choose other persona models through configurable", async () => {
    const before = ctx.ollama.chatRequests.length;
    await ctx.h.graph.invoke(turn("hello"), { configurable: { robinModel: "robin-alt:1b", alfredModel: "alfred-alt:2b" } });
    const models = ctx.ollama.chatRequests.slice(before).map((r) => r.model);
    expect(models).toEqual([ctx.h.config.models.brick, "robin-alt:1b", ctx.h.config.models.babs, "alfred-alt:2b"]);
  });

  it("refuses a configurable value outside the schema before any model is called", async () => {
    const before = ctx.ollama.chatRequests.length;
    await expect(ctx.h.graph.invoke(turn("hello"), { configurable: { maxToolRounds: 500 } })).rejects.toThrow(/maxToolRounds/);
    expect(ctx.ollama.chatRequests.length).toBe(before);
  });
});
