/** The changes between two modules as a unified diff, unchanged stretches folded. */
import { diffLines, foldUnchanged } from "../diff.js";

export function DiffView({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = diffLines(before, after);
  const added = lines.filter((l) => l.kind === "added").length;
  const removed = lines.filter((l) => l.kind === "removed").length;
  if (added === 0 && removed === 0) return <p class="muted">No change: the module is the same as the previous attempt's.</p>;
  return (
    <div class="diff" role="group" aria-label={label}>
      <p class="diff-summary">
        <span class="added-count">{added} added</span>, <span class="removed-count">{removed} removed</span>
      </p>
      {foldUnchanged(lines).map((row) => {
        if (row.kind === "fold")
          return (
            <div class="fold">
              … {row.count} unchanged line{row.count === 1 ? "" : "s"} …
            </div>
          );
        if (row.kind === "added")
          return (
            <div class="line added" data-new-line={row.newLine}>
              <span class="ln" aria-hidden="true">
                {"    "} {String(row.newLine).padStart(4)}
              </span>
              <span class="sign" aria-hidden="true">
                +
              </span>
              <ins>{row.text || " "}</ins>
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
        return (
          <div class="line same">
            <span class="ln" aria-hidden="true">
              {String(row.oldLine).padStart(4)} {String(row.newLine).padStart(4)}
            </span>
            <span class="sign" aria-hidden="true">
              {" "}
            </span>
            <code>{row.text || " "}</code>
          </div>
        );
      })}
    </div>
  );
}
