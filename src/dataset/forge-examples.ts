/**
 * Dataset examples from the forge: for every installed forge run, the prompt the forge asks with
 * (rebuilt from the recorded spec by the forge's own prompt builder) → the model reply that passed.
 * When the passing attempt followed a refused one, a second example teaches the repair: the retry
 * prompt with the previous attempt's exact failure → the passing reply.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { buildMethodPrompt, buildToolPrompt, type AttemptFeedback } from "../forge/prompt.js";
import { MAX_LIST_LIMIT } from "../store/record-input.js";
import type { ForgeAttempt, ForgeRun, Store } from "../store/types.js";
import { toChatMessages, type ChatExample } from "./chat-format.js";

export async function forgeExamples(store: Store): Promise<ChatExample[]> {
  // The store lists at most MAX_LIST_LIMIT runs (the newest): far more than a dataset needs.
  const runs = await store.listForgeRuns({ status: "installed", limit: MAX_LIST_LIMIT });
  const examples: ChatExample[] = [];
  for (const run of runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    const attempts = [...run.attempts].sort((a, b) => a.number - b.number);
    const passing = attempts.find((a) => a.outcome === "passed");
    if (!passing) continue;
    const prompt = await promptFor(store, run);
    examples.push(example(prompt(undefined), passing));
    const previous = attempts.filter((a) => a.number < passing.number).at(-1);
    if (previous) examples.push(example(prompt(feedbackOf(previous)), passing));
  }
  return examples;
}

type PromptBuilder = (previous: AttemptFeedback | undefined) => BaseMessage[];

async function promptFor(store: Store, run: ForgeRun): Promise<PromptBuilder> {
  if (run.kind === "tool") {
    return (previous) => buildToolPrompt({ spec: run.spec, requestedName: run.target, existingTools: { names: [], total: 0 }, previous });
  }
  const [objectId = "", selector = ""] = (run.target ?? "").split("#");
  // The receiver as it is now: the run does not record the attributes it was forged against.
  const receiver = (await store.getObject(objectId))?.attributes ?? {};
  return (previous) => buildMethodPrompt({ objectId, selector, spec: run.spec, receiver, previous });
}

function feedbackOf(attempt: ForgeAttempt): AttemptFeedback {
  return {
    attempt: attempt.number,
    stage: attempt.stage,
    code: attempt.code,
    reply: attempt.reply,
    failure: attempt.failure ?? "",
    findings: attempt.findings,
  };
}

function example(prompt: BaseMessage[], passing: ForgeAttempt): ChatExample {
  return { messages: [...toChatMessages(prompt), { role: "assistant", content: passing.reply }] };
}
