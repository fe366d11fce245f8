/**
 * A module with line numbers, and the audit's findings shown under the lines they point at (with a
 * caret at the column). Findings outside the module's lines are listed after it.
 */
import { splitLines } from "../diff.js";
import type { Finding } from "../types.js";

interface CodeViewProps {
  code: string;
  /** Prefix of the line anchors (`${idPrefix}-L12`), unique on the page. */
  idPrefix: string;
  label: string;
  findings?: Finding[];
  /** Lines to mark (e.g. the start of `export function test`). */
  highlight?: number[];
}

export function CodeView({ code, idPrefix, label, findings = [], highlight = [] }: CodeViewProps) {
  const lines = splitLines(code);
  if (lines.length === 0) return <p class="muted">(no module: nothing could be extracted from the reply)</p>;
  const byLine = new Map<number, Finding[]>();
  for (const finding of findings) {
    if (finding.line >= 1 && finding.line <= lines.length) byLine.set(finding.line, [...(byLine.get(finding.line) ?? []), finding]);
  }
  const outside = findings.filter((f) => !(f.line >= 1 && f.line <= lines.length));
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
            {here.map((finding) => (
              <div class="finding" role="note" data-finding-line={finding.line} data-rule={finding.rule}>
                <span class="ln" aria-hidden="true">
                  {" ".repeat(width)}
                </span>
                <span class="caret-row">
                  <span class="caret" aria-hidden="true">
                    {" ".repeat(Math.max(0, finding.column - 1))}^
                  </span>
                  <span class="finding-text">
                    <strong>{finding.rule}</strong> at line {finding.line}, column {finding.column}: {finding.message}
                  </span>
                </span>
              </div>
            ))}
          </>
        );
      })}
      {outside.map((finding) => (
        <div class="finding" role="note" data-finding-line={finding.line} data-rule={finding.rule}>
          <strong>{finding.rule}</strong> (line {finding.line}): {finding.message}
        </div>
      ))}
    </div>
  );
}

/** The line where `export function test` (or `export async function test`) starts, if any. */
export function testLine(code: string): number | null {
  const index = splitLines(code).findIndex((line) => /^\s*export\s+(async\s+)?function\s+test\s*\(/.test(line));
  return index < 0 ? null : index + 1;
}
