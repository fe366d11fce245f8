/**
 * What Ollama's prompt cache could serve of a request. Ollama keeps, per loaded model, the last
 * prompt and the reply generated after it, and evaluates only what follows the longest common
 * prefix of that and the new prompt; its `prompt_eval_count` counts just those tokens. So a small
 * count means either a prompt cut at the start (it did not fit `num_ctx`) or a prefix served from
 * the cache — and once the personas share one transcript, the cache is the usual case.
 *
 * This log remembers, per Ollama host and model, the last request this process sent and the reply
 * it got, and estimates how many tokens of the next request Ollama can have cached. It is only an
 * estimate (another client of the same Ollama changes the cache without us knowing), used to tell
 * the two cases apart in the truncation check; it never changes what is sent.
 */
import type { BaseMessage } from "@langchain/core/messages";

/** The parts of a request in the order a chat template renders them. */
export interface PromptParts {
  system: string;
  /** The tool definitions as sent (any stable serialisation; "" without tools). */
  tools: string;
  messages: readonly BaseMessage[];
}

/** How much of a request Ollama's cache can serve (see PromptCacheLog.note). */
export interface CachedPrefix {
  system: boolean;
  tools: boolean;
  /** Messages at the start of the request that match whole. */
  messages: number;
  /** Characters of the next message that match still. */
  partialChars: number;
}

/** A reply that thought first: the template does not repeat the thinking, so the cache ends there. */
const THOUGHT = "\u0000thought";

class PromptCacheLog {
  private readonly held = new Map<string, string[]>();

  /**
   * Records a request about to be sent; returns how much of it the cache holds: whether the system
   * prompt and the tools match, how many messages match whole, and the characters of the first
   * message that differs that match still.
   */
  note(host: string, model: string, prompt: PromptParts): CachedPrefix {
    const key = `${host}\u0000${model}`;
    const segments = [`system:${prompt.system}`, `tools:${prompt.tools}`, ...prompt.messages.map(segmentOf)];
    const held = this.held.get(key) ?? [];
    this.held.set(key, segments);
    let same = 0;
    while (same < segments.length && same < held.length && segments[same] === held[same]) same++;
    const partialChars = same < segments.length && same < held.length ? commonPrefix(segments[same]!, held[same]!) : 0;
    return {
      system: same >= 1,
      tools: same >= 2,
      messages: Math.max(0, same - 2),
      partialChars: same >= 2 ? partialChars : 0,
    };
  }

  /** Records the reply to the last request noted for this model: the cache holds it after the prompt. */
  noteReply(host: string, model: string, reply: BaseMessage): void {
    const held = this.held.get(`${host}\u0000${model}`);
    if (!held) return;
    const thought = Boolean(reply.additional_kwargs?.reasoning_content) || /^\s*<think>/.test(String(reply.content));
    held.push(thought ? THOUGHT : segmentOf(reply));
  }
}

function segmentOf(message: BaseMessage): string {
  const calls = "tool_calls" in message && Array.isArray(message.tool_calls) ? message.tool_calls.map((c) => [c.name, c.args]) : [];
  return `${message.getType()}:${JSON.stringify(message.content)}:${calls.length ? JSON.stringify(calls) : ""}`;
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The process's log: Ollama's cache is per server, whoever in this process sends to it. */
export const promptCacheLog = new PromptCacheLog();
