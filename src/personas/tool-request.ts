/**
 * BRICK's `TOOL_REQUIRED` line: THE definition of the marker, how it is found in a model's words,
 * and how a spec is compared with another. The forge strips the marker with `stripToolRequiredMarker`
 * and the graph compares requests with `normaliseSpec`; nothing else spells the marker.
 *
 * Models write the marker in many ways; recognised (be liberal in what you accept):
 *   TOOL_REQUIRED: spec          the form BRICK is asked for
 *   **TOOL_REQUIRED**: spec      emphasis around the word, the colon outside or inside it
 *   `TOOL_REQUIRED`: spec        in backticks
 *   TOOL-REQUIRED: / TOOL REQUIRED:
 *   Tool required: spec          any case, but then only at the start of a line (after list,
 *                                quote or heading marks), so that prose is not mistaken for it
 *   … text. TOOL_REQUIRED: spec  the upper-case marker in the middle of a line
 * Never recognised: a marker inside thinking (split off first, see src/util/thinking.ts), inside
 * a fenced code block, after a negation ("no tool required:"), or with an empty spec ("none").
 * The spec runs from the marker to the end of its paragraph: a blank line, a fence, or the end of
 * the text. A marker alone on its line takes the paragraph (or fenced block) that follows it.
 * When several markers appear, the last one counts.
 */
import { MAX_SPEC_CHARS } from "../contract.js";
import { splitThinking } from "../util/thinking.js";

/** The marker as BRICK is asked to write it. */
export const TOOL_REQUIRED_MARKER = "TOOL_REQUIRED:";

/** What BRICK asked the forge for: the spec as written after the marker. */
export interface ToolRequest {
  spec: string;
}

const EMPHASIS = "[*_`]{0,3}";
const MARKER_WORD = "tool[ _-]?required";
/** A marker anywhere in a line: group 1 is the word as written. */
const MARKER = new RegExp(`${EMPHASIS}\\b(${MARKER_WORD})\\b${EMPHASIS}\\s*${EMPHASIS}\\s*[:：]\\s*${EMPHASIS}`, "gi");
/** Upper case with a separator (TOOL_REQUIRED, TOOL-REQUIRED, TOOL REQUIRED): recognised anywhere. */
const SHOUTED = /^TOOL[ _-]REQUIRED$/;
/** What may come before a marker at the start of a line: indentation, list, quote and heading marks. */
const LINE_START = /^[\s>*_`#\-+]*(?:\d+[.)]\s*)?$/;
const NEGATED = /\b(?:no|not|without|never|nor)\s+(?:a\s+|any\s+|new\s+)*[*_`]*$/i;
const FENCE = /^\s*(`{3,}|~{3,})/;
const EMPTY_SPEC = /^(?:none|n\/?a|nothing|no|-+|\.+)\.?$/i;

/** The last `TOOL_REQUIRED` request in a model's words (thinking ignored), or null. */
export function parseToolRequest(text: string): ToolRequest | null {
  const lines = splitThinking(text).content.split(/\r?\n/);
  let found: ToolRequest | null = null;
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const fenceMark = FENCE.exec(line)?.[1];
    if (fenceMark) {
      if (fence === null) fence = fenceMark[0]!;
      else if (fenceMark[0] === fence) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const marker = lastMarkerIn(line);
    if (!marker) continue;
    const spec = specAfter(lines, i, line.slice(marker.end));
    found = spec ? { spec } : null;
  }
  return found;
}

/** The end of the last recognised marker in a line (see the rules at the top). */
function lastMarkerIn(line: string): { end: number } | null {
  let last: { end: number } | null = null;
  for (const match of line.matchAll(MARKER)) {
    const before = line.slice(0, match.index);
    const word = match[1] ?? "";
    if (!SHOUTED.test(word) && !LINE_START.test(before)) continue;
    if (NEGATED.test(before)) continue;
    last = { end: match.index + match[0].length };
  }
  return last;
}

/** The spec: the rest of the marker's line and its paragraph, or the block right after a bare marker. */
function specAfter(lines: string[], at: number, rest: string): string | null {
  const taken: string[] = [];
  let i = at + 1;
  if (rest.trim() === "") {
    while (i < lines.length && (lines[i] ?? "").trim() === "") i++;
    const opening = FENCE.exec(lines[i] ?? "")?.[1];
    if (opening) {
      for (i++; i < lines.length && !(FENCE.exec(lines[i] ?? "")?.[1]?.[0] === opening[0]); i++) taken.push(lines[i] ?? "");
      return cleanSpec(taken.join("\n"));
    }
  } else {
    taken.push(rest);
  }
  for (; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "" || FENCE.test(line)) break;
    taken.push(line);
  }
  return cleanSpec(taken.join("\n"));
}

function cleanSpec(spec: string): string | null {
  const cleaned = spec
    .replace(/^[\s*_`]+/, "")
    .replace(/[\s*_`]+$/, "")
    .trim();
  if (!cleaned || EMPTY_SPEC.test(cleaned)) return null;
  // The forge takes no longer spec (src/contract.ts): a model's overlong request is cut, not refused.
  return cleaned.slice(0, MAX_SPEC_CHARS);
}

const LEADING_MARKER = new RegExp(`^\\s*${EMPHASIS}\\s*${MARKER_WORD}\\s*${EMPHASIS}\\s*[:：]\\s*${EMPHASIS}\\s*`, "i");

/** The spec without a leading marker in any of its forms (`TOOL_REQUIRED:`, `**Tool required**:`, …). */
export function stripToolRequiredMarker(spec: string): string {
  return spec.replace(LEADING_MARKER, "");
}

/** A spec reduced for comparison: no marker, no emphasis, one case, single spaces, no final full stop. */
export function normaliseSpec(spec: string): string {
  return stripToolRequiredMarker(spec)
    .replace(/[*_`]+/g, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[\s.]+$/, "")
    .trim();
}
