import { describe, expect, it } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { FORGE_MODEL, MODELS, turn, useGraph } from "../support/graph.js";
import { FORGE_NOTE_NAME } from "../../src/graph/index.js";

const REQUEST = "TOOL_REQUIRED: moon_phase: gives the moon's phase for a date. Input: {date: string}. Output: string.";
const text = (r: OllamaChatRequest) => r.messages.map((m) => m.content).join("\n");
/** The last message of a request: where what changed for this call is said. */
const lastOf = (r: OllamaChatRequest) => r.messages.at(-1)?.content ?? "";

/**
 * BRICK asks for a tool until the forge's note says it failed (or forever, with `stubborn`: each
 * time for another tool, since a tool that failed is not forged again in the turn); the forge's
 * model never writes a code block, so every forge fails before the sandbox; ALFRED says whether
 * it was told about the failure.
 */
function script(options: { stubborn?: boolean } = {}) {
  let asks = 0;
  return (request: OllamaChatRequest): string => {
    if (request.model === FORGE_MODEL) return "I would rather not write code today.";
    if (request.model === MODELS.brick) {
      const failed = request.messages.some((m) => m.role === "user" && m.content.includes("Forging the requested tool failed"));
      if (options.stubborn) return `I need a tool.\n${REQUEST.replace("moon_phase", `moon_phase_${++asks}`)}`;
      return failed ? "Without a moon_phase tool I cannot compute it." : `I need a tool.\n${REQUEST}`;
    }
    if (request.model === MODELS.alfred) {
      return text(request).includes("Tool forge: Forging the requested tool failed")
        ? "I could not build the tool needed to compute the moon's phase, so I cannot give it exactly."
        : "Here is the answer.";
    }
    return `${request.model} notes`;
  };
}

describe("forging from the graph when the forge fails", () => {
  const ctx = useGraph({ checkpointer: false, env: { FORGE_MAX_ATTEMPTS: "2" } });

  it("a failed forge goes back to BRICK with the reason and the turn ends in an answer that says so", async () => {
    ctx.ollama.respondWith(script());
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("What is the moon's phase on 2024-01-01?"));
    const requests = ctx.ollama.chatRequests.slice(before);

    // BRICK, the forge's two attempts, BRICK again, then the cascade.
    expect(requests.map((r) => r.model)).toEqual([
      MODELS.brick,
      FORGE_MODEL,
      FORGE_MODEL,
      MODELS.brick,
      MODELS.robin,
      MODELS.babs,
      MODELS.alfred,
    ]);
    const note = result.messages.find((m) => HumanMessage.isInstance(m) && m.name === FORGE_NOTE_NAME)!;
    expect(String(note.content)).toMatch(/^Forging the requested tool failed after 2 attempts: /);
    expect(text(requests[3]!)).toContain(String(note.content));
    expect(result.forgeOutcome).toMatchObject({ status: "failed", attempts: 2, name: null });
    expect(result.forgeOutcome?.spec).toContain("moon_phase: gives the moon's phase");
    expect(result.toolsCreated).toEqual([]);
    expect(result.answer).toMatch(/^I could not build the tool/);
    const runs = await ctx.h.runtime.store.listForgeRuns();
    expect(runs[0]).toMatchObject({ status: "failed", target: "moon_phase" });
  });

  it("stops a BRICK that keeps asking for tools at the forge cap and still answers", async () => {
    ctx.ollama.respondWith(script({ stubborn: true }));
    const runsBefore = (await ctx.h.runtime.store.listForgeRuns()).length;
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("moon phase please"), { configurable: { maxForgesPerTurn: 2 } });
    const bricks = ctx.ollama.chatRequests.slice(before).filter((r) => r.model === MODELS.brick);

    expect((await ctx.h.runtime.store.listForgeRuns()).length - runsBefore).toBe(2);
    expect(result.forgesThisTurn).toBe(2);
    expect(bricks).toHaveLength(3);
    expect(lastOf(bricks[2]!)).toMatch(/limit of 2 new tools this turn is reached/);
    expect(result.notices.join("\n")).toMatch(/after the cap of 2 forges this turn; it was not forged/);
    expect(result.answer).toMatch(/^I could not build the tool/);
  });

  it("with forging switched off for a run, BRICK is told and no forge runs", async () => {
    ctx.ollama.respondWith(script({ stubborn: true }));
    const runsBefore = (await ctx.h.runtime.store.listForgeRuns()).length;
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("moon phase please"), { configurable: { maxForgesPerTurn: 0 } });
    const requests = ctx.ollama.chatRequests.slice(before);
    expect(requests.map((r) => r.model)).toEqual([MODELS.brick, MODELS.robin, MODELS.babs, MODELS.alfred]);
    expect(lastOf(requests[0]!)).toMatch(/Forging new tools is switched off/);
    expect((await ctx.h.runtime.store.listForgeRuns()).length).toBe(runsBefore);
    expect(result.notices).toHaveLength(1);
    expect(result.answer).toBe("Here is the answer.");
  });
});
