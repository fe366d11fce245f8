/** The forge's runs, newest first, and one run as a timeline of its attempts (live while it runs). */
import { getJson } from "../api.js";
import { RunHeader, Timeline, attemptVerdict } from "../components/timeline.js";
import { formatMs, formatTime, truncate } from "../format.js";
import { href, useBusEvents, useDetailAtTop, useLoad } from "../hooks.js";
import type { BusEvent, Run, RunSummary } from "../types.js";
import { DetailPane } from "../components/detail-pane.js";

/** Bus events that change a forge run's record. */
export function isForgeEvent(event: BusEvent): event is BusEvent & { runId: string } {
  return (
    typeof event.runId === "string" && (event.type.startsWith("forge.") || event.type === "tool.created" || event.type === "method.learned")
  );
}

export function ForgePage({ runId }: { runId: string | undefined }) {
  const runs = useLoad("runs", (signal) => getJson<{ runs: RunSummary[] }>("/forge/runs?limit=100", signal));
  useBusEvents((event) => {
    if (isForgeEvent(event)) runs.reload();
  });
  useDetailAtTop(runId);
  return (
    <div class="split" data-detail={runId ? "open" : "none"}>
      <section class="list-pane" aria-labelledby="runs-heading">
        <h2 id="runs-heading">Forge runs</h2>
        {runs.error ? (
          <p role="alert" class="error-text">
            {runs.error}
          </p>
        ) : null}
        {runs.data && runs.data.runs.length === 0 ? <p class="muted">The forge has not run yet.</p> : null}
        {runs.data && runs.data.runs.length > 0 ? (
          <ol class="runs">
            {runs.data.runs.map((run) => (
              <li class={run.id === runId ? "current" : ""} data-run={run.id}>
                <a href={href("forge", run.id)} aria-current={run.id === runId ? "page" : undefined}>
                  <span class={`badge status-${run.status}`}>{run.status}</span>{" "}
                  {run.result ? `${run.result.name} v${run.result.version}` : (run.target ?? run.kind)}
                </a>
                <div class="muted small">
                  {formatTime(run.started_at)} · {run.attempt_count} attempt{run.attempt_count === 1 ? "" : "s"} ·{" "}
                  <span class="nowrap">{formatMs(run.duration_ms)}</span>
                  {run.last_stage && run.last_stage.outcome === "failed" ? ` · last ${attemptVerdict(run.last_stage)}` : ""}
                </div>
                <div class="small">{truncate(run.spec, 120)}</div>
              </li>
            ))}
          </ol>
        ) : null}
      </section>
      <DetailPane chosen={runId !== undefined} back={{ href: href("forge"), label: "All runs" }} empty="Choose a run to see its attempts.">
        {runId ? <RunPane runId={runId} /> : null}
      </DetailPane>
    </div>
  );
}

export function RunPane({ runId, compact = false }: { runId: string; compact?: boolean }) {
  const run = useLoad(`run:${runId}`, (signal) => getJson<Run>(`/forge/runs/${encodeURIComponent(runId)}`, signal));
  useBusEvents((event) => {
    if (isForgeEvent(event) && event.runId === runId) run.reload();
  });
  if (run.error)
    return (
      <p role="alert" class="error-text">
        {run.error}
      </p>
    );
  if (!run.data) return <p class="muted">Loading the run…</p>;
  return (
    <article class="run" aria-labelledby={`run-${runId}-heading`} data-run-status={run.data.status}>
      <h2 id={`run-${runId}-heading`}>
        {compact ? "Forge: " : "Forge run: "}
        {run.data.result ? `${run.data.result.name} v${run.data.result.version}` : (run.data.target ?? run.data.kind)}
      </h2>
      <RunHeader run={run.data} />
      <Timeline run={run.data} idPrefix={`r${runId.slice(0, 8)}`} />
    </article>
  );
}
