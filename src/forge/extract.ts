/**
 * Code extraction: the forged module is the FIRST fenced block tagged `typescript` or `ts`
 * (case-insensitive) in the model's reply.
 *
 *   extractModule(reply) → { ok: true, code } | { ok: false, failure }
 *
 * - A fence is a line of three or more backticks (or tildes) indented by at most three spaces; the
 *   block ends at the next fence of the same character that is at least as long (CommonMark).
 * - Blocks tagged anything else (```js, ```tsx, untagged) are skipped; the failure says what was
 *   found so that the model can fix its answer.
 * - No tagged block, an empty one, or one that is never closed (a reply cut off mid-module) is a
 *   failure whose text is meant to be fed back to the model verbatim.
 * - `code` has `\n` line endings and ends with one newline; its line 1 is the line after the opening
 *   fence, so audit and compiler positions refer to lines of `code`.
 */

export type ExtractResult = { ok: true; code: string } | { ok: false; failure: string };

const ACCEPTED_TAGS = new Set(["typescript", "ts"]);
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

const ANSWER_SHAPE =
  "Answer with exactly one ```typescript block holding the whole module (imports, the exports name, " +
  "description and schema, the default export function and test()), and nothing else in a code block.";

interface Block {
  tag: string;
  lines: string[];
  closed: boolean;
}

export function extractModule(reply: string): ExtractResult {
  const blocks = fencedBlocks(reply.replace(/\r\n?/g, "\n"));
  const chosen = blocks.find((block) => ACCEPTED_TAGS.has(block.tag));
  if (!chosen) {
    return { ok: false, failure: `No \`\`\`typescript code block was found in the reply${describeOthers(blocks)}. ${ANSWER_SHAPE}` };
  }
  if (!chosen.closed) {
    return {
      ok: false,
      failure: `The \`\`\`${chosen.tag} block is never closed (the reply looks cut off). ${ANSWER_SHAPE}`,
    };
  }
  const code = chosen.lines.join("\n").replace(/\s+$/, "");
  if (code.trim() === "") {
    return { ok: false, failure: `The \`\`\`${chosen.tag} block is empty. ${ANSWER_SHAPE}` };
  }
  return { ok: true, code: `${code}\n` };
}

function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let open: { fence: string; block: Block } | null = null;
  for (const line of text.split("\n")) {
    const match = FENCE.exec(line);
    if (open) {
      const closing = match && match[1]!.startsWith(open.fence[0]!) && match[1]!.length >= open.fence.length && match[2]!.trim() === "";
      if (closing) {
        open.block.closed = true;
        open = null;
      } else {
        open.block.lines.push(line);
      }
      continue;
    }
    if (!match) continue;
    const info = match[2]!.trim();
    // A backtick fence's info string may not contain backticks (CommonMark); such a line is text.
    if (match[1]![0] === "`" && info.includes("`")) continue;
    const block: Block = { tag: (info.split(/\s+/)[0] ?? "").toLowerCase(), lines: [], closed: false };
    blocks.push(block);
    open = { fence: match[1]!, block };
  }
  return blocks;
}

function describeOthers(blocks: Block[]): string {
  if (blocks.length === 0) return " (the reply has no code block at all)";
  const tags = [...new Set(blocks.map((block) => (block.tag === "" ? "an untagged block" : `\`\`\`${block.tag}`)))];
  return ` (found ${tags.join(", ")} instead)`;
}
