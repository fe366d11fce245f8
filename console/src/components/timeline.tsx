/**
 * A forge run as a timeline of attempts: for each, the stages it went through and how long each
 * took, why it failed in one line, the module — whole for the first attempt, then what changed
 * since the one before — with the audit's findings and the failing assertion under their lines,
 * what the sandbox found, the failure fed back to the model, and the model's reply.
 */
import { ATTEMPT_VERDICT } from "../../../src/forge/failure-summary.js";
import { formatMs, formatTime, json } from "../format.js";
import { href } from "../hooks.js";
import type { Attempt, ForgeStage, Json, Run } from "../types.js";
import { CodeView, findingNotes, type LineNote } from "./code.js";
import { DiffView } from "./diff-view.js";

export const STAGES: ForgeStage[] = ["model", "extract", "transpile", "audit", "sandbox", "install"];

/** "refused by the audit", "failed in the sandbox", …, "passed every check". */
export function attemptVerdict(attempt: Pick<Attempt, "stage" | "outcome">): string {
  if (attempt.outcome === "passed") return "passed every check";
  return ATTEMPT_VERDICT[attempt.stage].replace(/^was /, "");
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
          <dd class="error-text why-stopped">{run.error}</dd>
        </>
      ) : null}
      <dt>Started</dt>
      <dd>{formatTime(run.started_at)}</dd>
      <dt>Took</dt>
      <dd class="nowrap">{run.finished_at ? formatMs(run.duration_ms) : "still running…"}</dd>
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
          // The module is shown whole once; later attempts show what changed since the last module.
          previous={run.attempts.slice(0, index).findLast((a) => a.code !== "")}
          idPrefix={`${idPrefix}-a${attempt.number}`}
        />
      ))}
      {run.status === "running" ? <li class="attempt pending">Attempt {run.attempts.length + 1} is under way…</li> : null}
    </ol>
  );
}

/** The notes under the module's lines: each audit finding, and where it failed when the failure says. */
function notesOf(attempt: Attempt): LineNote[] {
  const notes = findingNotes(attempt.findings);
  const at = attempt.summary?.at;
  if (at && attempt.findings.length === 0) {
    const text = attempt.summary!.text.replace(/ \(line \d+\)$/, "");
    notes.push({ kind: "failure", line: at.line, column: at.column, label: "failed here", text });
  }
  return notes;
}

function AttemptCard({ attempt, previous, idPrefix }: { attempt: Attempt; previous: Attempt | undefined; idPrefix: string }) {
  const total = Object.values(attempt.durations_ms).reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  const notes = notesOf(attempt);
  const lineCount = attempt.code ? attempt.code.split("\n").length : 0;
  return (
    <li class={`attempt ${attempt.outcome}`} data-attempt={attempt.number} data-stage={attempt.stage} data-outcome={attempt.outcome}>
      <h3>
        Attempt {attempt.number}: <span class={`verdict ${attempt.outcome}`}>{attemptVerdict(attempt)}</span>
        <span class="when">
          {" "}
          · {formatTime(attempt.created_at)} · <span class="nowrap">{formatMs(total)}</span>
        </span>
      </h3>
      <Stages attempt={attempt} />
      {attempt.summary ? <p class="why error-text">{attempt.summary.text}</p> : null}
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
      {!attempt.code ? (
        <p class="muted">(no module: nothing could be extracted from the reply)</p>
      ) : previous ? (
        <>
          <details class="changes" open>
            <summary>Changes from attempt {previous.number}</summary>
            <DiffView
              before={previous.code}
              after={attempt.code}
              notes={notes}
              idPrefix={idPrefix}
              label={`Changes from attempt ${previous.number} to ${attempt.number}`}
            />
          </details>
          <details class="whole">
            <summary>
              The whole module of attempt {attempt.number} ({lineCount} lines)
            </summary>
            <CodeView code={attempt.code} idPrefix={`${idPrefix}-whole`} label={`Module of attempt ${attempt.number}`} notes={notes} />
          </details>
        </>
      ) : (
        <section>
          <h4>
            The module
            {attempt.findings.length > 0 ? ` (${attempt.findings.length} audit finding${attempt.findings.length === 1 ? "" : "s"})` : ""}
          </h4>
          <CodeView code={attempt.code} idPrefix={idPrefix} label={`Module of attempt ${attempt.number}`} notes={notes} />
        </section>
      )}
      {attempt.sandbox ? <SandboxOutput attempt={attempt} sandbox={attempt.sandbox} /> : null}
      {attempt.failure ? (
        <details class="fed-back">
          <summary>What the model was told</summary>
          <pre class="failure">{attempt.failure}</pre>
        </details>
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

/** What the sandbox found: what failed (never "exit code 0" beside a failure), the output, the runner's report. */
function SandboxOutput({ attempt, sandbox }: { attempt: Attempt; sandbox: NonNullable<Attempt["sandbox"]> }) {
  const failedHere = attempt.outcome === "failed" && attempt.stage === "sandbox";
  let verdict: string;
  if (sandbox.timed_out) verdict = "Stopped: it ran past the time limit.";
  else if (sandbox.oom_killed) verdict = "Stopped: it ran out of memory.";
  else if (failedHere) verdict = attempt.summary?.text ?? "It failed in the sandbox.";
  else verdict = "Passed: the module loaded, its exports were read and test() ran to completion.";
  const exitNote =
    sandbox.exit_code === null
      ? "the process left no exit code"
      : sandbox.exit_code !== 0
        ? `the process exited with code ${sandbox.exit_code}`
        : null;
  return (
    <section class="sandbox">
      <h4>The sandbox</h4>
      <p class={`sandbox-verdict ${failedHere ? "error-text" : ""}`}>
        {verdict}
        {exitNote ? <span class="muted"> ({exitNote})</span> : null}
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
        <details class="report">
          <summary>Report</summary>
          <ReportView report={sandbox.report} />
        </details>
      ) : null}
    </section>
  );
}

type Obj = { [key: string]: Json };
const isObj = (value: Json | undefined): value is Obj => typeof value === "object" && value !== null && !Array.isArray(value);
const PHASES: Record<string, string> = {
  import: "importing the module",
  exports: "reading its exports",
  test: "running test()",
  dryrun: "the dry run on a copy of the receiver",
  call: "calling it",
  done: "the end: every step ran",
};

/** The runner's report as a person reads it: how far it got, the error, the exports, the time of each step. */
function ReportView({ report }: { report: Json }) {
  if (!isObj(report)) return <pre>{json(report)}</pre>;
  const error = isObj(report.error) ? report.error : null;
  const exports = isObj(report.exports) ? report.exports : null;
  const timings = isObj(report.timings) ? Object.entries(report.timings).filter(([, ms]) => typeof ms === "number") : [];
  const problems = Array.isArray(report.problems) ? report.problems.map(String) : [];
  return (
    <>
      <dl class="facts report-facts">
        <dt>Outcome</dt>
        <dd>{report.ok === true ? "ok" : "failed"}</dd>
        {typeof report.phase === "string" ? (
          <>
            <dt>Got as far as</dt>
            <dd>{PHASES[report.phase] ?? report.phase}</dd>
          </>
        ) : null}
        {"testCompleted" in report ? (
          <>
            <dt>test()</dt>
            <dd>{report.testCompleted === true ? "ran to completion" : "did not complete"}</dd>
          </>
        ) : null}
        {error ? (
          <>
            <dt>Error</dt>
            <dd class="error-text">
              {String(error.name ?? "Error")}: {String(error.message ?? "").trim()}
            </dd>
          </>
        ) : null}
        {problems.length > 0 ? (
          <>
            <dt>Contract problems</dt>
            <dd>
              <ul>
                {problems.map((p) => (
                  <li>{p}</li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {exports ? (
          <>
            <dt>Exports</dt>
            <dd>
              <code>{String(exports.name ?? "(no name)")}</code>
              {exports.description ? ` — ${String(exports.description)}` : ""}
              {exports.hasDefault
                ? `; a default export taking ${Number(exports.defaultArity ?? 0)} argument${exports.defaultArity === 1 ? "" : "s"}`
                : "; no default export"}
              {exports.hasTest ? "; test()" : "; no test()"}
            </dd>
          </>
        ) : null}
        {timings.length > 0 ? (
          <>
            <dt>Time</dt>
            <dd>
              {timings.map(([step, ms], i) => (
                <span class="nowrap">
                  {i > 0 ? " · " : ""}
                  {step} {formatMs(ms as number)}
                </span>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      <details>
        <summary>The report as JSON</summary>
        <pre>{json(report)}</pre>
      </details>
    </>
  );
}
