/**
 * The forge prompt: the forged-module contract with a complete example (tool or method flavour),
 * the spec, the tools that already exist, and on a retry the previous code with its exact failure
 * (audit findings with line and column, the assertion message, the trimmed stack, stderr), so the
 * model repairs what actually broke. Also the chat model the forge talks to: FORGE_MODEL through
 * ChatOllama, injectable so tests point a real ChatOllama at a scripted server.
 *
 * Every request is fitted to the model's window (forgeWindow) before it is sent, as the personas'
 * are: Ollama silently drops the START of a longer prompt — the contract first. When the estimate
 * (util/tokens.ts) leaves less than the reply's room, what is quoted is cut, step by step
 * (FIT_STEPS): the previous code and failure, the current version's source, the receiver and the
 * example call, and last the spec itself. The contract and its example are never cut.
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { DEFAULT_NUM_CTX, type Config } from "../config.js";
import { MAX_DECLARED_HOSTS, MAX_SPEC_CHARS } from "../contract.js";
import { contextWindow, type ModelFacts } from "../personas/model-info.js";
import { createPersonaModel } from "../personas/model.js";
import { thinkParam } from "../personas/thinking.js";
import type { AuditFinding, ForgeStage, JsonObject, JsonValue } from "../store/types.js";
import { truncate } from "../util/text.js";
import { estimateTextTokens, replyReserve, TOKENS_PER_MESSAGE } from "../util/tokens.js";

/** A chat model, or a function that makes one (called once per forge run). */
export type ForgeModelSource = BaseChatModel | (() => BaseChatModel);

type ForgeModelConfig = Pick<Config, "ollamaHost" | "models"> & Partial<Pick<Config, "numCtx" | "thinking" | "keepAlive">>;

/**
 * FORGE_MODEL through ChatOllama. Low temperature: code that must pass its own tests, not prose.
 * The window is the one every call to this model asks for (NUM_CTX at most the model's maximum,
 * as the personas ask: one num_ctx per model, so the forge never reloads a model the personas
 * use), and `think` follows FORGE_THINK where the model can think.
 */
function createForgeModel(config: ForgeModelConfig, facts: ModelFacts | null = null): BaseChatModel {
  const think = config.thinking ? thinkParam(config.thinking.forge, facts) : undefined;
  return createPersonaModel({ ...config, numCtx: config.numCtx ?? DEFAULT_NUM_CTX }, "forge", {
    numCtx: forgeWindow(config, facts),
    temperature: 0.2,
    ...(think !== undefined ? { think } : {}),
  });
}

/** The window (tokens) every forge request asks for and is fitted to: NUM_CTX, at most the model's maximum. */
export function forgeWindow(config: Partial<Pick<Config, "numCtx">>, facts: ModelFacts | null = null): number {
  return contextWindow({ numCtx: config.numCtx ?? DEFAULT_NUM_CTX }, facts);
}

export function resolveForgeModel(
  source: ForgeModelSource | undefined,
  config: ForgeModelConfig,
  facts: ModelFacts | null = null,
): BaseChatModel {
  if (source === undefined) return createForgeModel(config, facts);
  return typeof source === "function" ? source() : source;
}

export const TOOL_EXAMPLE = `\`\`\`typescript
import assert from "node:assert/strict";

export const name = "word_count";
export const description = "Counts the words in a text.";
export const schema = {
  type: "object",
  properties: { text: { type: "string", description: "The text to count words in." } },
  required: ["text"],
};

export default function word_count({ text }: { text: string }): number {
  return text.trim().split(/\\s+/).filter(Boolean).length;
}

export function test(): void {
  assert.equal(word_count({ text: "a b  c" }), 3);
  assert.equal(word_count({ text: "   " }), 0);
}
\`\`\``;

export const METHOD_EXAMPLE = `\`\`\`typescript
import assert from "node:assert/strict";

export const name = "greet";
export const description = "Greets someone by name and counts the greetings in self.greetings.";

export default function greet(self: { greetings?: number }, who: string): string {
  self.greetings = (self.greetings ?? 0) + 1;
  return \`Hello, \${who}!\`;
}

export function test(): void {
  const self: { greetings?: number } = {};
  assert.equal(greet(self, "Ada"), "Hello, Ada!");
  assert.equal(self.greetings, 1);
}
\`\`\``;

/** Where the common rules allow a tool's one way out (methods have none). */
function commonRules(outside: string): string {
  return `Rules:
- Answer with exactly ONE fenced \`\`\`typescript block holding the whole module, and nothing else that matters.
- The only import allowed is node:assert/strict (or node:assert). No require, no dynamic import(), no eval or Function, no process, no globalThis tricks, no network of its own (no global fetch, http, sockets), no file system, no timers that outlive the call.
- The code runs in a locked-down sandbox with no network and no files: compute the answer from the input alone${outside}.
- Plain, deterministic TypeScript; results must be JSON values (strings, numbers, booleans, null, arrays, plain objects).
- test() must exercise the default export with assert (normal cases and an edge case) and throw when something is wrong. A module whose test fails is refused.`;
}

/**
 * How a tool reaches a web API: declared hosts and the context's fetch, which the host makes only
 * once a person granted each host (src/contract.ts HOSTS_EXPORT). test() never reaches the network.
 */
const OUTSIDE_WORLD = `A tool that must read something from the internet (a web API) — and only such a tool — also exports:
- hosts: the host names it calls, e.g. \`export const hosts = ["api.frankfurter.app"];\` (the host alone: no https://, no path; at most ${MAX_DECLARED_HOSTS}).
Its default export then takes a second argument, ctx, and makes every request with \`await ctx.fetch(url, init)\`: the standard fetch (a Response with status, ok, headers, json(), text()), HTTPS only, to the declared hosts only. There is no global fetch. A person must grant each host before the tool runs, so declare only the hosts it needs; never put an API key in the code (a person attaches one to the grant).
test() never reaches the network: it calls the default export with a fake ctx whose fetch returns a canned Response.`;

/** The outside world's example (left out of a request only when the model's window is tight). */
const OUTSIDE_WORLD_EXAMPLE = `Such a tool, and its test with a fake ctx:
\`\`\`typescript
export default async function eur_rate({ currency }: { currency: string }, ctx: { fetch: typeof fetch }): Promise<number> {
  const response = await ctx.fetch(\`https://api.frankfurter.app/latest?from=EUR&to=\${encodeURIComponent(currency)}\`);
  if (!response.ok) throw new Error(\`frankfurter answered \${response.status}\`);
  const data = (await response.json()) as { rates: Record<string, number> };
  return data.rates[currency];
}

export async function test(): Promise<void> {
  const fake = { fetch: (async () => new Response(JSON.stringify({ rates: { USD: 1.08 } }))) as typeof fetch };
  assert.equal(await eur_rate({ currency: "USD" }, fake), 1.08);
}
\`\`\``;

/**
 * How a tool builds on library tools: the names in `uses`, the calls through `ctx.tools`, the test
 * run against the real ones (the validation brings them into the job).
 */
const BUILDING_ON_TOOLS = `A tool may build on tools the library already holds (the request lists the closest ones, when there are any). To use one:
- export \`const uses = ["factorize"];\` — a literal array of the tools' names;
- call it through the default export's second argument: \`const factors = (await ctx.tools.factorize({ n })) as number[];\` — it takes the tool's argument object and returns its JSON result (it throws when the tool fails);
- test() gets the same ctx with the real tools: pass it on, \`assert.equal(await sum_prime_factors({ n: 12 }, ctx), 7);\`.
Use only tools from that list, by their exact names; write everything else yourself.`;

/** The tool forge's system prompt; `compact` leaves the outside world's example out (for tight windows). */
function toolSystemPrompt(compact: boolean): string {
  return `You are the forge of ToolForge: you write one TypeScript module that implements a tool an AI agent will call.

The module must export:
- name: the tool's name, snake_case (lowercase letters, digits, underscores), starting with a letter.
- description: one or two sentences saying what the tool does, for the agent that will choose it.
- schema: the JSON Schema of the tool's single argument object, as an object literal with type "object", its properties (each with a type and a description) and required.
- default: the function itself; it receives the argument object described by schema and returns a JSON value (it may be async).
- test: a function (may be async) that checks the default export with assert and throws on failure.

${commonRules(", or from what ctx.fetch brings back (below)")}

A complete example:
${TOOL_EXAMPLE}

${BUILDING_ON_TOOLS}

${OUTSIDE_WORLD}${compact ? "" : `\n${OUTSIDE_WORLD_EXAMPLE}`}`;
}

export const TOOL_SYSTEM_PROMPT = toolSystemPrompt(false);

const METHOD_SYSTEM_PROMPT = `You are the forge of ToolForge: you write one TypeScript module that implements a method of a living object.

The module must export:
- name: the method's selector, exactly as asked.
- description: one sentence saying what the method does.
- default: the method; it is called as method(self, ...args) and, when keyword arguments were given, with one more last argument holding them as an object. self is the object's attributes as a plain JSON object; the method may read and change self (the changes are kept only when the call succeeds) and returns a JSON value (it may be async).
- test: a function (may be async) that calls the default export on a self object of its own with assert and throws on failure.
- schema is optional for methods.

${commonRules("")}

A complete example:
${METHOD_EXAMPLE}`;

/** What went wrong with one attempt, as the forge tells the model on the next one. */
export interface AttemptFeedback {
  attempt: number;
  stage: ForgeStage;
  /** The module the model wrote (empty when none could be extracted). */
  code: string;
  /** The model's whole reply (shown when no code could be extracted). */
  reply: string;
  /** The exact failure: assertion message, trimmed stack, stderr… */
  failure: string;
  findings: AuditFinding[];
}

export interface ToolPromptInput {
  spec: string;
  /** The name the spec asks for, when it names one. */
  requestedName: string | null;
  /**
   * The library's tools closest to the spec (the new one must not take their names unless it
   * improves one) and how many tools the library holds in all.
   */
  existingTools: { names: string[]; total: number };
  /**
   * The closest library tools the new one may build on: each with its one-line description and its
   * input as a signature (`factorize({ n: integer })`), offered in the prompt with how to use them.
   */
  buildingBlocks?: BuildingBlock[] | undefined;
  /** When improving: the active version's source and number. */
  improve?: { name: string; version: number; source: string } | undefined;
  previous?: AttemptFeedback | undefined;
}

/** A library tool the forge offers as a building block. */
export interface BuildingBlock {
  name: string;
  description: string;
  schema: JsonObject;
}

/** `name({ a: integer, b?: string })`: a tool's input in one line, from its JSON Schema. */
function signatureOf(block: BuildingBlock): string {
  const properties = (block.schema["properties"] ?? {}) as Record<string, { type?: unknown }>;
  const required = new Set(Array.isArray(block.schema["required"]) ? (block.schema["required"] as string[]) : []);
  const fields = Object.entries(properties).map(([key, property]) => {
    const type = typeof property?.type === "string" ? property.type : Array.isArray(property?.type) ? property.type.join(" | ") : "any";
    return `${key}${required.has(key) ? "" : "?"}: ${type}`;
  });
  return `${block.name}({ ${fields.join(", ")} })`;
}

export interface MethodPromptInput {
  objectId: string;
  selector: string;
  spec: string;
  receiver: JsonObject;
  example?: { args: JsonValue[]; kwargs: JsonObject } | undefined;
  previous?: AttemptFeedback | undefined;
}

/** How much of each quoted part a request keeps, from whole to tight; the first step that fits is sent. */
interface Quoting {
  /** The spec: what was asked for. */
  spec: number;
  /** Code and failures: the previous attempt's, the current version's source. */
  quoted: number;
  /** The previous reply, when no code could be taken from it. */
  reply: number;
  /** A method's receiver and example call, as JSON. */
  receiver: number;
  /** The system prompt without the outside world's example. */
  compact?: boolean;
}

const FIT_STEPS: readonly Quoting[] = [
  { spec: MAX_SPEC_CHARS, quoted: 6_000, reply: 2_000, receiver: 3_000 },
  { spec: MAX_SPEC_CHARS, quoted: 3_000, reply: 1_000, receiver: 1_500 },
  { spec: MAX_SPEC_CHARS, quoted: 1_500, reply: 500, receiver: 600 },
  { spec: 2_000, quoted: 600, reply: 300, receiver: 300 },
  { spec: 1_000, quoted: 300, reply: 200, receiver: 200, compact: true },
  { spec: 500, quoted: 150, reply: 100, receiver: 100, compact: true },
];
const WHOLE = FIT_STEPS[0]!;

/** The forge's estimate of a request: each message's text and its chat template. */
function estimateTokens(messages: BaseMessage[]): number {
  return messages.reduce((sum, message) => sum + TOKENS_PER_MESSAGE + estimateTextTokens(String(message.content)), 0);
}

/** The first step's messages that fit `window` less the reply's room (the tightest when none does); whole without a window. */
function fitted(window: number | undefined, render: (quoting: Quoting) => BaseMessage[]): BaseMessage[] {
  if (window === undefined) return render(WHOLE);
  const budget = window - replyReserve(window);
  let messages: BaseMessage[] = [];
  for (const step of FIT_STEPS) {
    messages = render(step);
    if (estimateTokens(messages) <= budget) return messages;
  }
  return messages;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters cut)`;
}

function fence(code: string): string {
  return "```typescript\n" + code.trimEnd() + "\n```";
}

/** The retry section: the previous code and exactly how it failed. */
export function feedbackSection(previous: AttemptFeedback, quoting: Quoting = WHOLE): string {
  const parts = [`Your previous answer (attempt ${previous.attempt}) was refused at the ${previous.stage} stage.`];
  parts.push(`The failure:\n${clip(previous.failure, quoting.quoted)}`);
  // An audit failure's text already lists every finding with its rule, line, column and code line.
  if (previous.code.trim()) parts.push(`Your module was:\n${fence(clip(previous.code, quoting.quoted))}`);
  else parts.push(`Your reply was:\n"""\n${clip(previous.reply, quoting.reply)}\n"""`);
  parts.push("Fix exactly what failed and answer with the complete corrected module, again as one ```typescript block.");
  return parts.join("\n\n");
}

/** The tool request; fitted to `window` (tokens) when given (see the top of this file). */
export function buildToolPrompt(input: ToolPromptInput, window?: number): BaseMessage[] {
  return fitted(window, (quoting) => toolPrompt(input, quoting));
}

function toolPrompt(input: ToolPromptInput, quoting: Quoting): BaseMessage[] {
  const lines = [`Write a tool for this spec:\n"""\n${clip(input.spec.trim(), quoting.spec)}\n"""`];
  if (input.improve) {
    lines.push(
      `This is an improved version ${input.improve.version + 1} of the existing tool ${input.improve.name}: keep the name "${input.improve.name}" and its input compatible where the spec allows. The current version ${input.improve.version} is:\n${fence(clip(input.improve.source, quoting.quoted))}`,
    );
  } else if (input.requestedName) {
    lines.push(`The tool's name must be exactly "${input.requestedName}".`);
  }
  const blocks = (input.buildingBlocks ?? []).filter((b) => b.name !== input.improve?.name);
  if (blocks.length > 0) {
    lines.push(
      `Library tools you may build on (use one rather than rewrite what it does; \`uses\` and \`ctx.tools\` as the rules say):\n${blocks
        .map((b) => `- ${signatureOf(b)}: ${clip(b.description.replace(/\s+/g, " "), 200)}`)
        .join("\n")}`,
    );
  }
  const { names, total } = input.existingTools;
  const others = names.filter((n) => n !== input.improve?.name);
  if (others.length > 0) {
    const more = total > names.length ? ` (the library holds ${total} tools; a name that is taken is refused)` : "";
    lines.push(`Tools that already exist with a similar purpose (do not reuse these names)${more}: ${others.join(", ")}.`);
  } else {
    lines.push(total > 0 ? "No existing tool is close to this spec." : "No other tools exist yet.");
  }
  if (input.previous) lines.push(feedbackSection(input.previous, quoting));
  return [new SystemMessage(quoting.compact ? toolSystemPrompt(true) : TOOL_SYSTEM_PROMPT), new HumanMessage(lines.join("\n\n"))];
}

/** The method request; fitted to `window` (tokens) when given (see the top of this file). */
export function buildMethodPrompt(input: MethodPromptInput, window?: number): BaseMessage[] {
  return fitted(window, (quoting) => methodPrompt(input, quoting));
}

function methodPrompt(input: MethodPromptInput, quoting: Quoting): BaseMessage[] {
  const lines = [
    `Write the method "${input.selector}" for the object "${input.objectId}".`,
    `What it must do:\n"""\n${clip(input.spec.trim(), quoting.spec)}\n"""`,
    `The module's name must be exactly "${input.selector}".`,
    `The object's attributes (self) are now:\n${clip(JSON.stringify(input.receiver, null, 2), quoting.receiver)}`,
  ];
  if (input.example) {
    lines.push(
      `It will be called right away with args ${clip(JSON.stringify(input.example.args), quoting.receiver)}` +
        (Object.keys(input.example.kwargs).length > 0
          ? ` and keyword arguments ${clip(JSON.stringify(input.example.kwargs), quoting.receiver)} (passed as the last argument)`
          : "") +
        ": that call must succeed.",
    );
  }
  if (input.previous) lines.push(feedbackSection(input.previous, quoting));
  return [new SystemMessage(METHOD_SYSTEM_PROMPT), new HumanMessage(lines.join("\n\n"))];
}

/** How much of each part of the example call a derived spec quotes. */
const EXAMPLE_IN_SPEC_CHARS = 300;

/** A default spec for a method when the caller gave none: from the selector and the example call. */
export function defaultMethodSpec(selector: string, example?: { args: JsonValue[]; kwargs: JsonObject }): string {
  const words = selector.replace(/_/g, " ");
  // The example call as a short preview: the spec is stored with the run and listed (the call is whole in the prompt).
  const call = example
    ? ` It is called with args ${truncate(JSON.stringify(example.args), EXAMPLE_IN_SPEC_CHARS)} and kwargs ${truncate(JSON.stringify(example.kwargs), EXAMPLE_IN_SPEC_CHARS)}.`
    : "";
  return `A method named ${selector} that does what its name says: ${words}.${call}`;
}

/** The text of a chat model's reply (string content, or the text parts of a content array). */
export function replyText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        typeof part === "string"
          ? part
          : typeof part === "object" && part && "text" in part
            ? String((part as { text: unknown }).text)
            : "",
      )
      .join("");
  }
  return "";
}
