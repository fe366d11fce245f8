/**
 * Thinking in a model's text. Ollama returns a thinking model's reasoning in `message.thinking`
 * (ChatOllama puts it in `additional_kwargs.reasoning_content`) when the request sets `think`;
 * older servers, and templates that do not parse it, leave it in the content as
 * `<think>…</think>` (qwen3, deepseek-r1, QwQ), sometimes without the opening tag because the
 * template already put it into the prompt. Thinking is never code, never an answer and never a
 * `TOOL_REQUIRED` line: every reader of a model's words splits it off first, here.
 *
 *   splitThinking(text) → { thinking, content }
 *   visibleWhileStreaming(raw) → the answer so far, for a reply still arriving token by token
 *
 * - Every `<think>…</think>` (also `<thinking>`, `<reasoning>`; any case) is moved to `thinking`.
 * - A `</think>` with no opening tag before it: everything before it was thinking.
 * - An opening tag that is never closed (a reply cut off while thinking): the rest is thinking.
 */

export interface SplitReply {
  /** The reasoning, tags removed (blocks joined by a blank line); "" when there was none. */
  thinking: string;
  /** The reply without its thinking, trimmed. */
  content: string;
}

const TAG_NAMES = "think|thinking|reasoning";
const OPEN = new RegExp(`<(${TAG_NAMES})>`, "i");
const CLOSE_ANY = new RegExp(`</(?:${TAG_NAMES})>`, "i");

export function splitThinking(text: string): SplitReply {
  const thoughts: string[] = [];
  let rest = text;

  // A closing tag before any opening one: the template opened the block in the prompt.
  const firstClose = CLOSE_ANY.exec(rest);
  const firstOpen = OPEN.exec(rest);
  if (firstClose && (!firstOpen || firstClose.index < firstOpen.index)) {
    thoughts.push(rest.slice(0, firstClose.index));
    rest = rest.slice(firstClose.index + firstClose[0].length);
  }

  const kept: string[] = [];
  for (;;) {
    const open = OPEN.exec(rest);
    if (!open) {
      kept.push(rest);
      break;
    }
    kept.push(rest.slice(0, open.index));
    const after = rest.slice(open.index + open[0].length);
    const close = new RegExp(`</${open[1]}>`, "i").exec(after);
    if (!close) {
      thoughts.push(after); // never closed: cut off while thinking
      break;
    }
    thoughts.push(after.slice(0, close.index));
    rest = after.slice(close.index + close[0].length);
  }
  return {
    thinking: thoughts
      .map((t) => t.trim())
      .filter(Boolean)
      .join("\n\n"),
    content: kept.join("").trim(),
  };
}

/** The reply without its thinking (see splitThinking). */
export function withoutThinking(text: string): string {
  return splitThinking(text).content;
}

/** A tag cut off at the end of a streamed reply (`<`, `</thi`, `<reasoni`): the longest name is 9 letters. */
const PARTIAL_TAG = /<\/?[a-z]{0,9}$/i;

/**
 * The answer so far of a reply still being streamed: closed blocks removed, an open block and a
 * half-written tag at the end held back (they may yet be thinking). Unlike splitThinking, a closing
 * tag with no opening tag before it does not end any thinking (it stays in the text), and only the
 * start is trimmed.
 */
export function visibleWhileStreaming(raw: string): string {
  let rest = raw;
  let out = "";
  for (;;) {
    const open = OPEN.exec(rest);
    if (!open) break;
    out += rest.slice(0, open.index);
    const after = rest.slice(open.index + open[0].length);
    const close = new RegExp(`</${open[1]}>`, "i").exec(after);
    if (!close) return out.trimStart();
    rest = after.slice(close.index + close[0].length);
  }
  out += rest.replace(PARTIAL_TAG, "");
  return out.trimStart();
}
