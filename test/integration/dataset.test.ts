/**
 * The fine-tuning dataset from a real SQLite store: accepted forge results with their prompts (and
 * the repair prompt when the passing attempt followed a refused one), refused runs left out, and
 * persona turns from the newest checkpoint of each thread, all as chat-format JSONL.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { AIMessage, HumanMessage, ToolMessage } from "@langchain/core/messages";
import { emptyCheckpoint } from "@langchain/langgraph-checkpoint";
import { afterEach, describe, expect, it } from "vitest";
import { exportDataset, type ChatExample } from "../../src/dataset/index.js";
import type { ForgeAttempt, Store } from "../../src/store/types.js";
import { PERSONAS } from "../../src/personas/registry.js";
import { cueText, TEAM_PROMPT } from "../../src/personas/team.js";
import { cueMessage } from "../../src/graph/conversation.js";
import { tempStore, type TempStore } from "../support/store.js";

let temp: TempStore | undefined;
afterEach(async () => {
  await temp?.cleanup();
  temp = undefined;
});

function attempt(number: number, outcome: "passed" | "failed", reply: string, failure: string | null = null): ForgeAttempt {
  return {
    number,
    reply,
    code: reply.replace(/```typescript\n|```/g, ""),
    stage: outcome === "passed" ? "install" : "sandbox",
    outcome,
    failure,
    findings: [],
    sandbox: null,
    durations: {},
    createdAt: new Date().toISOString(),
  };
}

async function forgeRun(
  store: Store,
  spec: string,
  target: string | null,
  kind: "tool" | "method",
  attempts: ForgeAttempt[],
  status: "installed" | "failed",
) {
  const run = await store.createForgeRun({ kind, spec, target });
  for (const a of attempts) await store.addForgeAttempt(run.id, a);
  await store.finishForgeRun(
    run.id,
    status === "installed" ? { status, result: { name: target ?? "x", version: 1 } } : { status, error: "refused" },
  );
}

async function conversation(store: Store, thread: string, messages: unknown[]) {
  const saver = store.checkpointer();
  const checkpoint = emptyCheckpoint();
  checkpoint.channel_values = { messages };
  await saver.put({ configurable: { thread_id: thread, checkpoint_ns: "" } }, checkpoint, { source: "loop", step: 1, parents: {} }, {});
}

function readJsonl(file: string): ChatExample[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as ChatExample);
}

describe("dataset export", () => {
  it("writes accepted forge results with their prompts and the persona turns as chat JSONL", async () => {
    temp = await tempStore();
    const { store, config, dataDir } = temp;
    await store.ensureObject({ id: "system", attributes: { greetings: 0 } });
    const good = "```typescript\nexport default function word_count() { return 1; }\n```";
    await forgeRun(
      store,
      "word_count: counts words",
      "word_count",
      "tool",
      [attempt(1, "failed", "```typescript\nbroken\n```", "AssertionError: expected 3, got 2"), attempt(2, "passed", good)],
      "installed",
    );
    await forgeRun(store, "leaky: lists files", "leaky", "tool", [attempt(1, "failed", "import fs from 'node:fs'", "audit")], "failed");
    await forgeRun(
      store,
      "greets someone",
      "system#greet",
      "method",
      [attempt(1, "passed", "```typescript\nexport default (self, who) => who;\n```")],
      "installed",
    );
    await conversation(store, "thread-1", [
      new HumanMessage({ content: "How many words in 'a b c'?" }),
      new AIMessage({ content: "", name: "brick", tool_calls: [{ id: "c1", name: "word_count", args: { text: "a b c" } }] }),
      new ToolMessage({ content: "3", tool_call_id: "c1", name: "word_count" }),
      new AIMessage({ content: "The tool says 3.", name: "brick" }),
      cueMessage(cueText(PERSONAS.alfred)),
      new AIMessage({ content: "Three words.", name: "alfred" }),
    ]);

    const out = path.join(dataDir, "out", "dataset.jsonl");
    const written = await exportDataset(config, store, { out });
    const examples = readJsonl(out);
    expect(written).toMatchObject({ file: out, forgeExamples: 3, personaExamples: 3 });
    expect(examples).toHaveLength(6);
    for (const example of examples) {
      expect(example.messages.at(-1)!.role).toBe("assistant");
      for (const message of example.messages) expect(typeof message.content).toBe("string");
    }

    const forge = examples.slice(0, 3);
    expect(forge[0]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(forge[0]!.messages[1]!.content).toContain("word_count: counts words");
    expect(forge[0]!.messages[2]!.content).toBe(good);
    expect(forge[1]!.messages[1]!.content).toContain("AssertionError: expected 3, got 2");
    expect(forge[2]!.messages[1]!.content).toContain('Write the method "greet" for the object "system"');
    expect(JSON.stringify(examples)).not.toContain("lists files");

    const personas = examples.slice(3);
    // Each persona turn: the team's prompt and the transcript it was given (ALFRED's ends with its cue).
    expect(personas.map((e) => e.messages[0]!.content)).toEqual([TEAM_PROMPT, TEAM_PROMPT, TEAM_PROMPT]);
    expect(personas[2]!.messages.at(-2)).toMatchObject({ role: "user", content: cueText(PERSONAS.alfred) });
    const call = personas[0]!.messages.at(-1)!;
    expect(call).toMatchObject({
      role: "assistant",
      tool_calls: [{ function: { name: "word_count", arguments: JSON.stringify({ text: "a b c" }) } }],
    });
    expect(personas[1]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool", "assistant"]);
    expect(personas[2]!.messages.at(-1)!.content).toBe("Three words.");
  });
});
