/**
 * A module with line numbers, and notes under the lines they point at (with a caret at the
 * column): the audit's findings, and where the module failed in the sandbox (the failing
 * assertion). Notes outside the module's lines are listed after it.
 */
import { splitLines } from "../diff.js";
import type { Finding } from "../types.js";

/** A note under a line: an audit finding, or the place the module failed. */
export interface LineNote {
  kind: "finding" | "failure";
  line: number;
  column: number;
  /** Bold before the text: the rule, or what failed. */
  label: string;
  text: string;
}

export function findingNotes(findings: Finding[]): LineNote[] {
  return findings.map((f) => ({ kind: "finding", line: f.line, column: f.column, label: f.rule, text: f.message }));
}

interface CodeViewProps {
  code: string;
  /** Prefix of the line anchors (`${idPrefix}-L12`), unique on the page. */
  idPrefix: string;
  label: string;
  notes?: LineNote[];
  /** Lines to mark (e.g. the start of `export function test`). */
  highlight?: number[];
}

export function CodeView({ code, idPrefix, label, notes = [], highlight = [] }: CodeViewProps) {
  const lines = splitLines(code);
  if (lines.length === 0) return <p class="muted">(no module: nothing could be extracted from the reply)</p>;
  const byLine = notesByLine(notes, lines.length);
  const outside = notes.filter((n) => !(n.line >= 1 && n.line <= lines.length));
  const width = String(lines.length).length;
  return (
    <div class="code" role="group" aria-label={label}>
      {lines.map((text, index) => {
        const number = index + 1;
        const here = byLine.get(number) ?? [];
        const classes = ["line", here.length > 0 ? "flagged" : "", highlight.includes(number) ? "marked" : ""].filter(Boolean).join(" ");
        return (
          <>
            <div class={classes} id={`${idPrefix}-L${number}`} data-line={number}>
              <span class="ln" aria-hidden="true">
                {String(number).padStart(width, " ")}
              </span>
              <code>{text || " "}</code>
            </div>
            {here.map((note) => (
              <NoteRow note={note} gutter={" ".repeat(width)} />
            ))}
          </>
        );
      })}
      {outside.map((note) => (
        <div {...noteAttributes(note)}>
          <strong>{note.label}</strong> (line {note.line}): {note.text}
        </div>
      ))}
    </div>
  );
}

export function notesByLine(notes: LineNote[], lineCount: number): Map<number, LineNote[]> {
  const byLine = new Map<number, LineNote[]>();
  for (const note of notes) {
    if (note.line >= 1 && note.line <= lineCount) byLine.set(note.line, [...(byLine.get(note.line) ?? []), note]);
  }
  return byLine;
}

function noteAttributes(note: LineNote) {
  return note.kind === "finding"
    ? { class: "finding", role: "note" as const, "data-finding-line": note.line, "data-rule": note.label }
    : { class: "finding failure-note", role: "note" as const, "data-failure-line": note.line };
}

/** One note in the gutter's width, its caret under the column it points at. */
export function NoteRow({ note, gutter }: { note: LineNote; gutter: string }) {
  return (
    <div {...noteAttributes(note)}>
      <span class="ln" aria-hidden="true">
        {gutter}
      </span>
      <span class="caret-row">
        <span class="caret" aria-hidden="true">
          {" ".repeat(Math.max(0, note.column - 1))}^
        </span>
        <span class="finding-text">
          <strong>{note.label}</strong> at line {note.line}, column {note.column}: {note.text}
        </span>
      </span>
    </div>
  );
}

/** The line where `export function test` (or `export async function test`) starts, if any. */
export function testLine(code: string): number | null {
  const index = splitLines(code).findIndex((line) => /^\s*export\s+(async\s+)?function\s+test\s*\(/.test(line));
  return index < 0 ? null : index + 1;
}
