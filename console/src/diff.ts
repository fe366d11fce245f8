/**
 * A line diff between two texts (the modules of two consecutive forge attempts): the longest
 * common subsequence of lines, as a list of kept, removed and added lines with their numbers in
 * each text. Modules are short; past MAX_CELLS the two texts are shown as replaced whole.
 */

export type DiffLine =
  | { kind: "same"; text: string; oldLine: number; newLine: number }
  | { kind: "removed"; text: string; oldLine: number }
  | { kind: "added"; text: string; newLine: number };

const MAX_CELLS = 4_000_000;

export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

export function diffLines(before: string, after: string): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  if (a.length * b.length > MAX_CELLS) {
    return [
      ...a.map((text, i): DiffLine => ({ kind: "removed", text, oldLine: i + 1 })),
      ...b.map((text, i): DiffLine => ({ kind: "added", text, newLine: i + 1 })),
    ];
  }
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: "same", text: a[i]!, oldLine: i + 1, newLine: j + 1 });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      out.push({ kind: "removed", text: a[i]!, oldLine: i + 1 });
      i++;
    } else {
      out.push({ kind: "added", text: b[j]!, newLine: j + 1 });
      j++;
    }
  }
  for (; i < a.length; i++) out.push({ kind: "removed", text: a[i]!, oldLine: i + 1 });
  for (; j < b.length; j++) out.push({ kind: "added", text: b[j]!, newLine: j + 1 });
  return out;
}

/** Hunks for display: changed lines with `context` kept lines around them; longer runs of kept lines fold. */
export type DiffRow = DiffLine | { kind: "fold"; count: number };

/** `pinned` lines (e.g. one with a note under it) are never folded away, like changed ones. */
export function foldUnchanged(lines: DiffLine[], context = 3, pinned: (line: DiffLine) => boolean = () => false): DiffRow[] {
  const changed = lines.map((line) => line.kind !== "same" || pinned(line));
  const keep = lines.map((_, index) => {
    for (let k = Math.max(0, index - context); k <= Math.min(lines.length - 1, index + context); k++) if (changed[k]) return true;
    return false;
  });
  const rows: DiffRow[] = [];
  let folded = 0;
  lines.forEach((line, index) => {
    if (keep[index]) {
      if (folded > 0) rows.push({ kind: "fold", count: folded });
      folded = 0;
      rows.push(line);
    } else folded++;
  });
  if (folded > 0) rows.push({ kind: "fold", count: folded });
  return rows;
}
