/**
 * The changes between two modules as a unified diff, unchanged stretches folded. Notes (audit
 * findings, the failing assertion) of the newer module appear under their lines, which are never
 * folded away; the newer module's lines carry anchors (`${idPrefix}-L12`) when an idPrefix is given.
 */
import { diffLines, foldUnchanged } from "../diff.js";
import { NoteRow, notesByLine, type LineNote } from "./code.js";

interface DiffViewProps {
  before: string;
  after: string;
  label: string;
  notes?: LineNote[];
  idPrefix?: string;
}

export function DiffView({ before, after, label, notes = [], idPrefix }: DiffViewProps) {
  const lines = diffLines(before, after);
  const added = lines.filter((l) => l.kind === "added").length;
  const removed = lines.filter((l) => l.kind === "removed").length;
  const newCount = lines.filter((l) => l.kind !== "removed").length;
  const byLine = notesByLine(notes, newCount);
  const noted = (line: number | undefined) => (line === undefined ? [] : (byLine.get(line) ?? []));
  if (added === 0 && removed === 0 && notes.length === 0)
    return <p class="muted">No change: the module is the same as the previous attempt's.</p>;
  const anchor = (line: number) => (idPrefix ? { id: `${idPrefix}-L${line}` } : {});
  return (
    <div class="diff" role="group" aria-label={label}>
      <p class="diff-summary">
        {added === 0 && removed === 0 ? (
          "No change from the previous attempt's module."
        ) : (
          <>
            <span class="added-count">{added} added</span>, <span class="removed-count">{removed} removed</span>
          </>
        )}
      </p>
      {foldUnchanged(lines, 3, (line) => line.kind !== "removed" && noted(line.newLine).length > 0).map((row) => {
        if (row.kind === "fold")
          return (
            <div class="fold">
              … {row.count} unchanged line{row.count === 1 ? "" : "s"} …
            </div>
          );
        if (row.kind === "removed")
          return (
            <div class="line removed" data-old-line={row.oldLine}>
              <span class="ln" aria-hidden="true">
                {String(row.oldLine).padStart(4)} {"    "}
              </span>
              <span class="sign" aria-hidden="true">
                −
              </span>
              <del>{row.text || " "}</del>
            </div>
          );
        const here = noted(row.newLine);
        const flagged = here.length > 0 ? " flagged" : "";
        return (
          <>
            {row.kind === "added" ? (
              <div class={`line added${flagged}`} data-new-line={row.newLine} {...anchor(row.newLine)}>
                <span class="ln" aria-hidden="true">
                  {"    "} {String(row.newLine).padStart(4)}
                </span>
                <span class="sign" aria-hidden="true">
                  +
                </span>
                <ins>{row.text || " "}</ins>
              </div>
            ) : (
              <div class={`line same${flagged}`} data-new-line={row.newLine} {...anchor(row.newLine)}>
                <span class="ln" aria-hidden="true">
                  {String(row.oldLine).padStart(4)} {String(row.newLine).padStart(4)}
                </span>
                <span class="sign" aria-hidden="true">
                  {" "}
                </span>
                <code>{row.text || " "}</code>
              </div>
            )}
            {here.map((note) => (
              <NoteRow note={note} gutter={" ".repeat(11)} />
            ))}
          </>
        );
      })}
    </div>
  );
}
