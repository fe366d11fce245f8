/**
 * The token estimate used wherever ToolForge must guess a prompt's size before Ollama has read it:
 * about 4 characters a token for English text (OpenAI's rule of thumb), taken as 3.5 because code,
 * JSON and other languages need more tokens. An over-estimate only makes a fit a little tight; an
 * under-estimate is what Ollama's `prompt_eval_count` shows after the fact.
 */
export const CHARS_PER_TOKEN = 3.5;

export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** What a chat template adds to each message, in tokens (the role, the separators). */
export const TOKENS_PER_MESSAGE = 4;

/** Room kept for the reply in a model's window: a quarter of it, between 256 and 4096 tokens. */
export function replyReserve(numCtx: number): number {
  return Math.min(4_096, Math.max(256, Math.floor(numCtx / 4)));
}
