import { describe, expect, it } from "vitest";
import { HumanMessage } from "@langchain/core/messages";
import type { OllamaChatRequest } from "../support/scripted-ollama.js";
import { FORGE_MODEL, MODELS, turn, useGraph } from "../support/graph.js";
import { FORGE_NOTE_NAME } from "../../src/graph/index.js";
import type { GraphStreamEvent } from "../../src/graph/events.js";
import type { GraphState } from "../../src/graph/state.js";

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

/** A turn with one failed forge: BRICK, the forge's two attempts, BRICK again, then the cascade. */
const ONE_FAILED_FORGE = [MODELS.brick, FORGE_MODEL, FORGE_MODEL, MODELS.brick, MODELS.robin, MODELS.babs, MODELS.alfred];

describe("forging from the graph when the forge fails", () => {
  const ctx = useGraph({ checkpointer: false, env: { FORGE_MAX_ATTEMPTS: "2" } });

  it("a failed forge goes back to BRICK with the reason and the turn ends in an answer that says so", async () => {
    ctx.ollama.respondWith(script());
    const before = ctx.ollama.chatRequests.length;
    const result = await ctx.h.graph.invoke(turn("What is the moon's phase on 2024-01-01?"));
    const requests = ctx.ollama.chatRequests.slice(before);

    expect(requests.map((r) => r.model)).toEqual(ONE_FAILED_FORGE);
    const note = result.messages.find((m) => HumanMessage.isInstance(m) && m.name === FORGE_NOTE_NAME)!;
    expect(String(note.content)).toMatch(
      /^Forging the requested tool failed: no module passed in 2 attempts; attempt 2 had no module in the reply: /,
    );
    expect(text(requests[3]!)).toContain(String(note.content));
    expect(result.forgeOutcome).toMatchObject({ status: "failed", attempts: 2, name: null });
    expect(result.forgeOutcome?.spec).toContain("moon_phase: gives the moon's phase");
    expect(result.toolsCreated).toEqual([]);
    expect(result.answer).toMatch(/^I could not build the tool/);
    const runs = await ctx.h.runtime.store.listForgeRuns();
    expect(runs[0]).toMatchObject({ status: "failed", target: "moon_phase" });
  });

  it("tells once why a tool BRICK asks for again failed, without forging it again or claiming the cap", async () => {
    // BRICK asks for moon_phase whatever it is told: the forge fails every attempt, BRICK asks again.
    ctx.ollama.respondWith((request) => {
      if (request.model === FORGE_MODEL) return "I would rather not write code today.";
      if (request.model === MODELS.brick) return `I need a tool.\n${REQUEST}`;
      return `${request.model} notes`;
    });
    const runsBefore = (await ctx.h.runtime.store.listForgeRuns()).length;
    const before = ctx.ollama.chatRequests.length;
    const events: GraphStreamEvent[] = [];
    let final: GraphState | undefined;
    const stream = await ctx.h.graph.stream(turn("What is the moon's phase on 2024-01-01?"), { streamMode: ["custom", "values"] });
    for await (const [mode, payload] of stream as AsyncIterable<[string, unknown]>) {
      if (mode === "custom") events.push(payload as GraphStreamEvent);
      else final = payload as GraphState;
    }
    const requests = ctx.ollama.chatRequests.slice(before);

    expect(requests.map((r) => r.model)).toEqual(ONE_FAILED_FORGE);
    expect((await ctx.h.runtime.store.listForgeRuns()).length - runsBefore).toBe(1);
    expect(final!.forgesThisTurn).toBe(1);
    // One note from the forge, saying why, with the number of attempts said once.
    const notes = final!.messages.filter((m) => HumanMessage.isInstance(m) && m.name === FORGE_NOTE_NAME).map((m) => String(m.content));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^Forging the requested tool failed: no module passed in 2 attempts; attempt 2 had no module in the reply: No /,
    );
    expect(notes[0]!.match(/attempts/g)).toHaveLength(1);
    // One notice for the repeat, with the reason; no cap.
    const reason = final!.forgeOutcome!.reason!;
    expect(final!.notices).toEqual([
      `BRICK asked again for the tool "moon_phase", which was already tried this turn and failed: ${reason}. It was not forged again.`,
    ]);
    expect(events.filter((e) => e.type === "guard")).toEqual([]);
    expect(events.filter((e) => e.type === "notice").map((e) => (e as { text: string }).text)).toEqual(final!.notices);
    expect(events.filter((e) => e.type === "forge.failed")).toHaveLength(1);
    // The team reads the forge's note once, said to be the forge's, and the notice once.
    const alfred = text(requests.at(-1)!);
    expect(alfred.split("Tool forge: ").length - 1).toBe(1);
    expect(alfred).not.toContain("Tool forge: Tool forge:");
    expect(alfred.split(final!.notices[0]!).length - 1).toBe(1);
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
    expect(result.notices).toHaveLength(1);
    expect(result.notices[0]).toMatch(/after the cap of 2 forges this turn; it was not forged/);
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
