import { describe, expect, it } from "vitest";
import { AIMessage } from "@langchain/core/messages";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { systemOf, turn, useGraph } from "../support/graph.js";
import { PERSONAS } from "../../src/personas/index.js";
import { cueText, TEAM_PROMPT } from "../../src/personas/team.js";
import { isCue } from "../../src/graph/conversation.js";

/** Each persona answers with a line naming itself and its model, so the conversation shows who said what. */
function byModel(request: OllamaChatRequest): string {
  return `reply of ${request.model} #${Math.random().toString(36).slice(2, 8)}`;
}

describe("the persona cascade", () => {
  const ctx = useGraph({ respond: byModel, checkpointer: false });

  it("sends a question through BRICK, ROBIN, BABS and ALFRED in that order, each with its model, the team's prompt and its cue", async () => {
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("How many legs do three spiders have?"));
    const requests = ctx.ollama.chatRequests.slice(before);

    const { models } = ctx.h.config;
    expect(requests.map((r) => r.model)).toEqual([models.brick, models.robin, models.babs, models.alfred]);
    for (const request of requests) expect(systemOf(request)).toBe(TEAM_PROMPT);
    // BRICK speaks right after the question; each later persona after its cue.
    expect(requests[0]!.messages.at(-1)).toMatchObject({ role: "user", content: "How many legs do three spiders have?" });
    [PERSONAS.robin, PERSONAS.babs, PERSONAS.alfred].forEach((persona, i) =>
      expect(requests[i + 1]!.messages.at(-1)).toMatchObject({ role: "user", content: cueText(persona) }),
    );
    // BRICK binds no tools when the registry has none.
    expect(requests[0]!.tools ?? []).toEqual([]);

    // The answer is ALFRED's message: in `answer` and as the last AI message; the cues are in the conversation too.
    const aiMessages = result.messages.filter((m) => AIMessage.isInstance(m));
    expect(aiMessages.map((m) => m.name)).toEqual(["brick", "robin", "babs", "alfred"]);
    expect(result.messages.filter(isCue)).toHaveLength(3);
    expect(result.answer).toBe(aiMessages.at(-1)!.content);
    expect(result.answer).toMatch(new RegExp(`^reply of ${models.alfred.replace(/[.:]/g, "\\$&")}`));
  });

  it("shows each later persona what the ones before it said, in the order they said it", async () => {
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("Is 91 prime?"));
    const [, robinRequest, babsRequest, alfredRequest] = ctx.ollama.chatRequests.slice(before);
    const said = (name: string) => String(result.messages.find((m) => AIMessage.isInstance(m) && m.name === name)!.content);
    const assistants = (r: OllamaChatRequest) => r.messages.filter((m) => m.role === "assistant").map((m) => m.content);

    expect(assistants(robinRequest!).slice(-1)).toEqual([said("brick")]);
    expect(assistants(babsRequest!).slice(-2)).toEqual([said("brick"), said("robin")]);
    expect(assistants(alfredRequest!).slice(-3)).toEqual([said("brick"), said("robin"), said("babs")]);
    // Personas on other models than BRICK's get plain text, never tool-protocol messages.
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
