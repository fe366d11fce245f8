/**
 * Tool calls written as text. Small models served by Ollama often write the call into the content
 * instead of Ollama's `tool_calls` (when the template does not parse what they produce):
 *
 *   {"name": "word_count", "arguments": {"text": "a b"}}                 bare JSON (qwen2.5-coder)
 *   <tool_call>{"name": …, "arguments": …}</tool_call>                  qwen's template format
 *   <|python_tag|>{"name": …, "parameters": …}<|eom_id|>                llama 3.1's format
 *   ```json\n{"name": …, "arguments": …}\n```                            a fenced block, with prose
 *
 * `findTextToolCalls` finds every JSON value in the words (thinking ignored) shaped like a call —
 * an object with `name` and `arguments` (or `parameters`, `args`, `input`), OpenAI's
 * `{"function": {"name", "arguments"}}`, or an array of them; arguments given as a JSON string are
 * parsed — and returns them with the words that remain once they (and their wrappers) are taken
 * out. Whether a call may run (a bound tool, arguments that validate) is the caller's decision.
 */
import { splitThinking } from "../util/thinking.js";

export interface TextToolCall {
  name: string;
  args: Record<string, unknown>;
}

export interface FoundToolCalls {
  calls: TextToolCall[];
  /** The words without the calls and their wrappers (tags, fences), trimmed. */
  rest: string;
}

const WRAPPERS = /<\/?tool_call>|<\|python_tag\|>|<\|eom_id\|>|<\|eot_id\|>/g;
const ARGUMENT_KEYS = ["arguments", "parameters", "args", "input"] as const;

export function findTextToolCalls(text: string): FoundToolCalls {
  const content = splitThinking(text).content;
  const calls: TextToolCall[] = [];
  const spans: [number, number][] = [];
  for (let i = 0; i < content.length; i++) {
    const ch = content[i];
    if (ch !== "{" && ch !== "[") continue;
    const end = balancedEnd(content, i);
    if (end === -1) continue;
    const value = parseJson(content.slice(i, end + 1));
    if (value === undefined) continue; // not JSON: look inside it
    const found = asCalls(value);
    if (found.length > 0) {
      calls.push(...found);
      spans.push([i, end + 1]);
    }
    i = end; // JSON that is not a call is data: a call nested in it is not one either
  }
  if (calls.length === 0) return { calls, rest: content };
  let rest = "";
  let from = 0;
  for (const [start, end] of spans) {
    rest += content.slice(from, start);
    from = end;
  }
  rest += content.slice(from);
  rest = rest
    .replace(WRAPPERS, "")
    .replace(/(^|\n)\s*(`{3,}|~{3,})[\w-]*\s*\n\s*\2\s*(?=\n|$)/g, "$1") // a fence left empty
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { calls, rest };
}

/** The index of the bracket that closes the one at `start` (strings respected), or -1. */
function balancedEnd(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") stack.push(ch === "{" ? "}" : "]");
    else if (ch === "}" || ch === "]") {
      if (stack.pop() !== ch) return -1;
      if (stack.length === 0) return i;
    }
  }
  return -1;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asCalls(value: unknown): TextToolCall[] {
  const items = Array.isArray(value) ? value : [value];
  const calls = items.map(asCall);
  return calls.length > 0 && calls.every((c): c is TextToolCall => c !== null) ? calls : [];
}

function asCall(value: unknown): TextToolCall | null {
  if (!isObject(value)) return null;
  const target = isObject(value.function) ? value.function : value;
  if (typeof target.name !== "string" || !target.name.trim()) return null;
  const key = ARGUMENT_KEYS.find((k) => k in target);
  if (!key) return null;
  // Nothing but the name and the arguments (and a type): an object that merely has a `name` is data.
  const extra = Object.keys(target).filter((k) => k !== "name" && k !== key && k !== "type" && k !== "id");
  if (extra.length > 0) return null;
  let args = target[key];
  if (typeof args === "string") args = parseJson(args);
  if (args === null) args = {};
  if (!isObject(args)) return null;
  return { name: target.name.trim(), args };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
