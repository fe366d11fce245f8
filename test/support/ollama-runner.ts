/**
 * What an Ollama model runner costs, imitated for the scripted server: the loaded models, their
 * context windows, and each runner's prompt cache. The rules are Ollama's as documented and as its
 * runner implements them (runner/ollamarunner/cache.go, server/sched.go):
 *
 * - The prompt is what the chat template renders: here a ChatML template like qwen3's — the
 *   system prompt, then the tool definitions (inside the system block), then the messages, then
 *   the generation prompt (`<|im_start|>assistant\n`).
 * - Tokens: one per 4 characters of the rendered text (English text in Qwen's and Llama 3's
 *   tokenizers runs at 4 to 4.5 characters a token; one constant, consistent with itself).
 * - One cache slot per loaded model (`OLLAMA_NUM_PARALLEL=1`, the default since mid-2025). The
 *   slot holds the last prompt AND what was generated after it (the runner appends each generated
 *   token to the slot's inputs). A new prompt's longest common prefix with the slot is not
 *   evaluated again; the rest is. At least one token is always evaluated.
 * - A request for a model loaded with another `num_ctx` reloads it (the scheduler's needsReload
 *   compares the options that size the runner); a reload empties the slot. Up to
 *   `maxLoadedModels` models stay loaded side by side (`OLLAMA_MAX_LOADED_MODELS`, 3 per GPU).
 * - `prompt_eval_count` counts the tokens evaluated (not the cached ones); `eval_count` the tokens
 *   generated, thinking included; durations follow from the speeds given.
 */
import type { OllamaChatMessage, OllamaChatRequest } from "./scripted-ollama.js";

export const CHARS_PER_TOKEN = 4;

/** How fast the imitated machine runs one model; durations in Ollama's replies are derived from it. */
export interface RunnerSpeed {
  promptTokensPerSecond: number;
  generatedTokensPerSecond: number;
  /** Seconds to load the model (from the page cache onto the GPU). */
  loadSeconds: number;
}

/**
 * An 8B Q4 model on an RTX 3080 with llama.cpp (public figures: 3,807 prompt tokens/s, 112
 * generated tokens/s); a load of ~5 GB of weights from the page cache taken as 3 s.
 */
export const RTX_3080_8B_Q4: RunnerSpeed = { promptTokensPerSecond: 3_807, generatedTokensPerSecond: 112, loadSeconds: 3 };

export function tokensOf(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

const START = "<|im_start|>";
const END = "<|im_end|>\n";

/** The prompt as a ChatML template renders it, up to and including the generation prompt. */
export function renderPrompt(request: Pick<OllamaChatRequest, "messages" | "tools">): string {
  const messages = request.messages;
  const system = messages[0]?.role === "system" ? messages[0].content : null;
  let out = "";
  if (system !== null || request.tools?.length) {
    out += `${START}system\n${system ?? ""}`;
    if (request.tools?.length) {
      out +=
        "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
        request.tools.map((tool) => JSON.stringify(tool)).join("\n") +
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within " +
        '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>';
    }
    out += END;
  }
  const rest = system !== null ? messages.slice(1) : messages;
  for (let i = 0; i < rest.length; i++) {
    const message = rest[i]!;
    if (message.role === "tool") {
      // Consecutive tool results share one user block.
      const first = i === 0 || rest[i - 1]!.role !== "tool";
      const last = i === rest.length - 1 || rest[i + 1]!.role !== "tool";
      out += `${first ? `${START}user` : ""}\n<tool_response>\n${message.content}\n</tool_response>${last ? END : ""}`;
      continue;
    }
    out += `${START}${message.role}\n${renderContent(message)}${END}`;
  }
  return `${out}${START}assistant\n`;
}

function renderContent(message: OllamaChatMessage): string {
  const calls = (message.tool_calls ?? []).map(
    (call) => `\n<tool_call>\n${JSON.stringify({ name: call.function.name, arguments: call.function.arguments })}\n</tool_call>`,
  );
  return `${message.content ?? ""}${calls.join("")}`;
}

/** What the model generated, as the slot holds it after the generation prompt. */
export function renderGenerated(generated: { thinking: string; content: string; toolCalls: OllamaChatMessage["tool_calls"] }): string {
  const thinking = generated.thinking ? `<think>\n${generated.thinking}\n</think>\n\n` : "";
  return (
    thinking +
    renderContent({ role: "assistant", content: generated.content, ...(generated.toolCalls ? { tool_calls: generated.toolCalls } : {}) })
  );
}

/** One model call as the imitated runner accounted for it. */
export interface RunnerCall {
  model: string;
  numCtx: number;
  /** Tokens of the rendered prompt. */
  sentTokens: number;
  /** Tokens of the prompt found in the slot (not evaluated). */
  cachedTokens: number;
  /** Tokens evaluated: `prompt_eval_count`. */
  evaluatedTokens: number;
  /** Tokens generated, thinking included: `eval_count`. */
  generatedTokens: number;
  thinkingTokens: number;
  /** The model was (re)loaded for this call. */
  loaded: boolean;
  /** A load of a model that was loaded before with another window (or evicted): avoidable. */
  reloaded: boolean;
  durations: { loadNs: number; promptEvalNs: number; evalNs: number; totalNs: number };
}

interface LoadedRunner {
  numCtx: number;
  /** The slot: the last prompt and what was generated after it. */
  slot: string;
  lastUsed: number;
}

export class OllamaRunners {
  private readonly loaded = new Map<string, LoadedRunner>();
  private readonly everLoaded = new Set<string>();
  private clock = 0;
  readonly calls: RunnerCall[] = [];

  constructor(
    readonly speed: RunnerSpeed = RTX_3080_8B_Q4,
    private readonly maxLoadedModels = 3,
  ) {}

  /** Accounts for the prompt of a call: loads the model if needed, and how much of the prompt is cached. */
  begin(model: string, numCtx: number, prompt: string): { loaded: boolean; reloaded: boolean; cachedTokens: number; sentTokens: number } {
    let runner = this.loaded.get(model);
    let loaded = false;
    let reloaded = false;
    if (!runner || runner.numCtx !== numCtx) {
      loaded = true;
      reloaded = this.everLoaded.has(model);
      if (!runner && this.loaded.size >= this.maxLoadedModels) this.evictLeastRecent();
      runner = { numCtx, slot: "", lastUsed: 0 };
      this.loaded.set(model, runner);
      this.everLoaded.add(model);
    }
    runner.lastUsed = ++this.clock;
    const common = commonPrefixLength(runner.slot, prompt);
    const sentTokens = tokensOf(prompt);
    // Ollama evaluates at least the last token of a prompt, even one wholly cached.
    const cachedTokens = Math.min(Math.floor(common / CHARS_PER_TOKEN), sentTokens - 1);
    runner.slot = prompt;
    return { loaded, reloaded, cachedTokens, sentTokens };
  }

  /** Accounts for what was generated (appended to the slot) and records the call. */
  finish(
    model: string,
    numCtx: number,
    begun: { loaded: boolean; reloaded: boolean; cachedTokens: number; sentTokens: number },
    generated: { thinking: string; content: string; toolCalls: OllamaChatMessage["tool_calls"] },
  ): RunnerCall {
    const runner = this.loaded.get(model);
    const text = renderGenerated(generated);
    if (runner) runner.slot += text;
    const evaluatedTokens = begun.sentTokens - begun.cachedTokens;
    const generatedTokens = tokensOf(text);
    const seconds = (n: number, perSecond: number) => Math.round((n / perSecond) * 1e9);
    const loadNs = begun.loaded ? Math.round(this.speed.loadSeconds * 1e9) : 2_000_000;
    const promptEvalNs = seconds(evaluatedTokens, this.speed.promptTokensPerSecond);
    const evalNs = seconds(generatedTokens, this.speed.generatedTokensPerSecond);
    const call: RunnerCall = {
      model,
      numCtx,
      sentTokens: begun.sentTokens,
      cachedTokens: begun.cachedTokens,
      evaluatedTokens,
      generatedTokens,
      thinkingTokens: generated.thinking ? tokensOf(`<think>\n${generated.thinking}\n</think>\n\n`) : 0,
      loaded: begun.loaded,
      reloaded: begun.reloaded,
      durations: { loadNs, promptEvalNs, evalNs, totalNs: loadNs + promptEvalNs + evalNs },
    };
    this.calls.push(call);
    return call;
  }

  private evictLeastRecent(): void {
    let oldest: [string, LoadedRunner] | undefined;
    for (const entry of this.loaded) if (!oldest || entry[1].lastUsed < oldest[1].lastUsed) oldest = entry;
    if (oldest) this.loaded.delete(oldest[0]);
  }
}

export function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
