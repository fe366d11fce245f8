/**
 * A forge run as a timeline of attempts: for each, the stages it went through and how long each
 * took, the model's module with the audit's findings on their lines, the sandbox's output, the
 * failure fed back to the model, and what changed since the previous attempt.
 */
import { formatMs, formatTime, json } from "../format.js";
import { href } from "../hooks.js";
import type { Attempt, ForgeStage, Run } from "../types.js";
import { CodeView } from "./code.js";
import { DiffView } from "./diff-view.js";

export const STAGES: ForgeStage[] = ["model", "extract", "transpile", "audit", "sandbox", "install"];

const FAILED_AT: Record<ForgeStage, string> = {
  model: "the model did not answer",
  extract: "no module in the reply",
  transpile: "did not compile",
  audit: "refused by the audit",
  sandbox: "failed in the sandbox",
  install: "could not be installed",
};

export function attemptVerdict(attempt: Pick<Attempt, "stage" | "outcome">): string {
  return attempt.outcome === "passed" ? "passed every check" : (FAILED_AT[attempt.stage] ?? `failed at ${attempt.stage}`);
}

export function RunHeader({ run }: { run: Run }) {
  return (
    <dl class="facts">
      <dt>Asked for</dt>
      <dd class="spec">{run.spec}</dd>
      <dt>Kind</dt>
      <dd>
        {run.kind}
        {run.target ? ` (${run.target})` : ""}
      </dd>
      <dt>Status</dt>
      <dd>
        <span class={`badge status-${run.status}`}>{run.status}</span>
        {run.result ? (
          <>
            {" "}
            {run.kind === "tool" ? <a href={href("library", run.result.name)}>{run.result.name}</a> : run.result.name} v{run.result.version}
          </>
        ) : null}
      </dd>
      {run.error ? (
        <>
          <dt>Why it stopped</dt>
          <dd class="error-text">{run.error}</dd>
        </>
      ) : null}
      <dt>Started</dt>
      <dd>{formatTime(run.started_at)}</dd>
      <dt>Took</dt>
      <dd>{run.finished_at ? formatMs(run.duration_ms) : "still running…"}</dd>
    </dl>
  );
}

export function Timeline({ run, idPrefix = "run" }: { run: Run; idPrefix?: string }) {
  if (run.attempts.length === 0) {
    return (
      <p class="muted">
        {run.status === "running"
          ? "Waiting for the model's first module…"
          : "No attempts: the forge found what was asked for already installed."}
      </p>
    );
  }
  return (
    <ol class="timeline" aria-label="Attempts">
      {run.attempts.map((attempt, index) => (
        <AttemptCard
          attempt={attempt}
          previous={index > 0 ? run.attempts[index - 1] : undefined}
          idPrefix={`${idPrefix}-a${attempt.number}`}
        />
      ))}
      {run.status === "running" ? <li class="attempt pending">Attempt {run.attempts.length + 1} is under way…</li> : null}
    </ol>
  );
}

function AttemptCard({ attempt, previous, idPrefix }: { attempt: Attempt; previous: Attempt | undefined; idPrefix: string }) {
  const total = Object.values(attempt.durations_ms).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  return (
    <li class={`attempt ${attempt.outcome}`} data-attempt={attempt.number} data-stage={attempt.stage} data-outcome={attempt.outcome}>
      <h3>
        Attempt {attempt.number}: <span class={`verdict ${attempt.outcome}`}>{attemptVerdict(attempt)}</span>
        <span class="when">
          {" "}
          · {formatTime(attempt.created_at)} · {formatMs(total)}
        </span>
      </h3>
      <Stages attempt={attempt} />
      {previous && previous.code && attempt.code ? (
        <details class="changes" open>
          <summary>Changes from attempt {previous.number}</summary>
          <DiffView before={previous.code} after={attempt.code} label={`Changes from attempt ${previous.number} to ${attempt.number}`} />
        </details>
      ) : null}
      <section>
        <h4>
          The module
          {attempt.findings.length > 0 ? ` (${attempt.findings.length} audit finding${attempt.findings.length === 1 ? "" : "s"})` : ""}
        </h4>
        {attempt.findings.length > 0 ? (
          <ul class="finding-list">
            {attempt.findings.map((f) => (
              <li>
                <a href={`#${idPrefix}-L${f.line}`} onClick={(e) => jumpTo(e, `${idPrefix}-L${f.line}`)}>
                  line {f.line}, column {f.column}
                </a>
                : <strong>{f.rule}</strong> — {f.message}
              </li>
            ))}
          </ul>
        ) : null}
        <CodeView code={attempt.code} idPrefix={idPrefix} label={`Module of attempt ${attempt.number}`} findings={attempt.findings} />
      </section>
      {attempt.sandbox ? <SandboxOutput sandbox={attempt.sandbox} /> : null}
      {attempt.failure ? (
        <section>
          <h4>Fed back to the model</h4>
          <pre class="failure">{attempt.failure}</pre>
        </section>
      ) : null}
      <details>
        <summary>The model's whole reply</summary>
        <pre class="reply">{attempt.reply || "(empty)"}</pre>
      </details>
    </li>
  );
}

/** In-page jumps to a line without changing the route in the hash. */
function jumpTo(event: Event, id: string): void {
  event.preventDefault();
  const target = document.getElementById(id);
  target?.scrollIntoView({ block: "center" });
  target?.classList.add("jumped");
  setTimeout(() => target?.classList.remove("jumped"), 1500);
}

function Stages({ attempt }: { attempt: Attempt }) {
  const failedIndex = attempt.outcome === "failed" ? STAGES.indexOf(attempt.stage) : STAGES.length;
  return (
    <ol class="stages" aria-label={`Stages of attempt ${attempt.number}`}>
      {STAGES.map((stage, index) => {
        const ms = attempt.durations_ms[stage];
        const state = index < failedIndex ? "ok" : index === failedIndex ? "failed" : "skipped";
        if (state === "skipped") return <li class="stage skipped">{stage}: not reached</li>;
        return (
          <li class={`stage ${state}`} data-stage={stage}>
            {stage} {state === "failed" ? "✗" : "✓"}
            {ms === undefined ? null : <span class="ms"> {formatMs(ms)}</span>}
          </li>
        );
      })}
    </ol>
  );
}

function SandboxOutput({ sandbox }: { sandbox: NonNullable<Attempt["sandbox"]> }) {
  return (
    <section class="sandbox">
      <h4>The sandbox</h4>
      <p>
        exit code {sandbox.exit_code ?? "—"}
        {sandbox.timed_out ? ", timed out" : ""}
        {sandbox.oom_killed ? ", killed: out of memory" : ""}
      </p>
      {sandbox.stdout ? (
        <>
          <h5>stdout</h5>
          <pre>{sandbox.stdout}</pre>
        </>
      ) : null}
      {sandbox.stderr ? (
        <>
          <h5>stderr</h5>
          <pre>{sandbox.stderr}</pre>
        </>
      ) : null}
      {sandbox.report !== null ? (
        <details>
          <summary>Report</summary>
          <pre>{json(sandbox.report)}</pre>
        </details>
      ) : null}
    </section>
  );
}
