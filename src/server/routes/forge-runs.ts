/**
 * The forge's records over HTTP, read-only:
 *   GET /forge/runs?status=&limit=  → {runs: [summary…]} newest first (status: running | installed |
 *                                     failed | reused; limit 1–200, default 50); a long spec or reason
 *                                     cut, `truncated` naming the fields that were
 *   GET /forge/runs/:id             → the run with every attempt: the model's reply and module, the
 *                                     stage that failed, the failure fed back and its summary for
 *                                     people ({text, at: {line, column} | null}), the audit findings
 *                                     (line and column in the module), the sandbox's output and the
 *                                     milliseconds of each stage.
 */
import { Router } from "express";
import { z } from "zod";
import { InvalidInputError, NotFoundError } from "../../errors.js";
import { summariseFailure } from "../../forge/failure-summary.js";
import type { ForgeAttempt, ForgeRun, Store } from "../../store/types.js";
import { truncate } from "../../util/text.js";
import { limitParam, noQuery, parseQuery } from "./query.js";

/**
 * The longest spec or reason a run has in the list (GET /forge/runs); GET /forge/runs/:id has them
 * whole. A list of 200 runs stays small whatever was asked for.
 */
export const LIST_TEXT_CHARS = 500;

const FORGE_RUN_STATUSES = ["running", "installed", "failed", "reused"] as const;
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const listQuery = z.strictObject({
  status: z.enum(FORGE_RUN_STATUSES, { message: `must be one of ${FORGE_RUN_STATUSES.join(", ")}` }).optional(),
  limit: limitParam(50, 200),
});

export function forgeRunsRouter(store: Store): Router {
  const router = Router();

  router.get("/forge/runs", async (req, res) => {
    const { status, limit } = parseQuery(listQuery, req.query);
    const runs = await store.listForgeRuns({ limit, ...(status ? { status } : {}) });
    res.json({ runs: runs.map(runSummaryJson) });
  });

  router.get("/forge/runs/:id", async (req, res) => {
    const id = checkRunId(req.params.id);
    parseQuery(noQuery, req.query);
    const run = await store.getForgeRun(id);
    if (!run) throw new NotFoundError(`no forge run "${id}"`, "GET /forge/runs lists the runs that exist");
    res.json(runJson(run));
  });

  return router;
}

function checkRunId(id: string): string {
  if (!RUN_ID.test(id))
    throw new InvalidInputError(
      `forge run id ${JSON.stringify(id)} is not valid`,
      "forge run ids are UUIDs, as GET /forge/runs lists them",
    );
  return id.toLowerCase();
}

function durationMs(run: ForgeRun): number | null {
  return run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : null;
}

/** The run's own fields, whole. */
function runFieldsJson(run: ForgeRun) {
  return {
    id: run.id,
    kind: run.kind,
    spec: run.spec,
    target: run.target,
    status: run.status,
    result: run.result,
    error: run.error,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: durationMs(run),
  };
}

/** A run in the list: its spec and reason cut to LIST_TEXT_CHARS, `truncated` naming what was cut. */
function runSummaryJson(run: ForgeRun) {
  const last = run.attempts.at(-1);
  const truncated: string[] = [];
  const cut = (field: "spec" | "error", text: string | null) => {
    if (text === null || text.length <= LIST_TEXT_CHARS) return text;
    truncated.push(field);
    return truncate(text, LIST_TEXT_CHARS);
  };
  return {
    ...runFieldsJson(run),
    spec: cut("spec", run.spec),
    error: cut("error", run.error),
    attempt_count: run.attempts.length,
    last_stage: last ? { stage: last.stage, outcome: last.outcome } : null,
    truncated,
  };
}

function runJson(run: ForgeRun) {
  return { ...runFieldsJson(run), attempts: run.attempts.map(attemptJson) };
}

function attemptJson(attempt: ForgeAttempt) {
  return {
    number: attempt.number,
    stage: attempt.stage,
    outcome: attempt.outcome,
    failure: attempt.failure,
    summary: attempt.outcome === "failed" ? summariseFailure(attempt) : null,
    findings: attempt.findings.map((f) => ({ rule: f.rule, message: f.message, line: f.line, column: f.column })),
    code: attempt.code,
    reply: attempt.reply,
    sandbox: attempt.sandbox
      ? {
          exit_code: attempt.sandbox.exitCode,
          timed_out: attempt.sandbox.timedOut,
          oom_killed: attempt.sandbox.oomKilled,
          stdout: attempt.sandbox.stdout,
          stderr: attempt.sandbox.stderr,
          report: attempt.sandbox.report,
        }
      : null,
    durations_ms: attempt.durations,
    created_at: attempt.createdAt,
  };
}
