/**
 * The console's line diff between two attempts' modules: kept lines carry both line numbers,
 * removed and added lines their own; long unchanged stretches fold around the changes.
 */
import { describe, expect, it } from "vitest";
import { diffLines, foldUnchanged } from "../../console/src/diff.js";

describe("diffLines", () => {
  it("keeps common lines and marks the replaced one as removed then added", () => {
    const before = "a\nb\nreturn process.env.X;\nd\n";
    const after = "a\nb\nreturn 1;\nd\n";
    expect(diffLines(before, after)).toEqual([
      { kind: "same", text: "a", oldLine: 1, newLine: 1 },
      { kind: "same", text: "b", oldLine: 2, newLine: 2 },
      { kind: "removed", text: "return process.env.X;", oldLine: 3 },
      { kind: "added", text: "return 1;", newLine: 3 },
      { kind: "same", text: "d", oldLine: 4, newLine: 4 },
    ]);
  });

  it("numbers inserted and deleted lines in their own text", () => {
    const lines = diffLines("x\ny\nz", "w\nx\nz\nq");
    expect(lines.filter((l) => l.kind === "added")).toEqual([
      { kind: "added", text: "w", newLine: 1 },
      { kind: "added", text: "q", newLine: 4 },
    ]);
    expect(lines.filter((l) => l.kind === "removed")).toEqual([{ kind: "removed", text: "y", oldLine: 2 }]);
  });

  it("finds no change between equal texts, whatever their line endings", () => {
    expect(diffLines("a\r\nb\r\n", "a\nb").every((l) => l.kind === "same")).toBe(true);
    expect(diffLines("", "")).toEqual([]);
  });
});

describe("foldUnchanged", () => {
  it("folds the kept lines farther than the context from any change", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
    const after = before.replace("line 10", "line ten");
    const rows = foldUnchanged(diffLines(before, after), 2);
    expect(rows[0]).toEqual({ kind: "fold", count: 7 });
    expect(rows.filter((r) => r.kind !== "fold").map((r) => ("text" in r ? r.text : ""))).toEqual([
      "line 8",
      "line 9",
      "line 10",
      "line ten",
      "line 11",
      "line 12",
    ]);
    expect(rows.at(-1)).toEqual({ kind: "fold", count: 8 });
  });

  it("never folds away a pinned line (one with a note under it), however far from the changes", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n");
    const after = before.replace("line 2", "line two");
    const rows = foldUnchanged(diffLines(before, after), 1, (line) => line.kind === "same" && line.newLine === 18);
    const shown = rows.filter((r) => r.kind !== "fold").map((r) => ("text" in r ? r.text : ""));
    expect(shown).toContain("line 18");
    expect(shown).toContain("line 17");
    expect(shown).not.toContain("line 10");
  });
});
