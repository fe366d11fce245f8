/**
 * Why a forge attempt failed, in words a person reads: "it imports node:fs (line 2) and
 * node:child_process (line 3)", "test() failed: AssertionError: 149 !== 81 (line 23)". The
 * failure fed back to the model stays as it is (exact, with instructions for the model); this is
 * the one summary of it that everything shown to people uses: the forge's `forge.attempt` and
 * `forge.failed` events (so the chat stream, the CLI, the console's Live page), the run's "why it
 * stopped", the forge outcome's reason the personas are told, and the console's run page.
 *
 * Pure (no Node API): the console's bundle imports it too.
 */
import type { AuditFinding as Finding, ForgeStage as Stage } from "../store/types.js";
import { truncate } from "../util/text.js";
import { isSecurityRule, SECURITY_RULES } from "../admission/audit/rules.js";

/** What an attempt that failed at each stage did, after "attempt 2 …". */
export const ATTEMPT_VERDICT: Readonly<Record<Stage, string>> = {
  model: "got no answer from the model",
  extract: "had no module in the reply",
  transpile: "did not compile",
  audit: "was refused by the audit",
  sandbox: "failed in the sandbox",
  install: "could not be installed",
};

/** The longest summary (a person reads it in one line). */
const SUMMARY_CHARS = 240;
/** How many audit findings a summary names (the rest are counted). */
const NAMED_FINDINGS = 4;

export interface FailureSummary {
  /** One line: what failed and where, without instructions for the model. */
  text: string;
  /** Where in the module it failed (1-based), when the failure says: the failing assertion, the compile error. */
  at: { line: number; column: number } | null;
}

export interface FailedAttempt {
  stage: Stage;
  failure: string | null;
  findings?: readonly Finding[];
}

export function summariseFailure(attempt: FailedAttempt): FailureSummary {
  const findings = attempt.findings ?? [];
  if (attempt.stage === "audit" && findings.length > 0) return { text: findingsSummary(findings), at: null };
  const failure = (attempt.failure ?? "").trim();
  if (!failure) return { text: "failed, without a reason recorded", at: null };
  const at = locationIn(failure);
  const text = headline(failure);
  const located = at && !/\(lines? \d/.test(text) ? `${text} (line ${at.line})` : text;
  return { text: truncate(located, SUMMARY_CHARS), at };
}

/** "attempt 2 was refused by the audit: it imports node:fs (line 2)". */
export function describeFailedAttempt(number: number, attempt: FailedAttempt): string {
  return `attempt ${number} ${ATTEMPT_VERDICT[attempt.stage]}: ${summariseFailure(attempt).text}`;
}

// ------------------------------------------------------------------------------- audit findings

interface Clause {
  verb: string;
  object: string;
  lines: number[];
}

/** "it imports node:fs (line 2) and node:child_process (line 3), and uses process (lines 6, 9)". */
function findingsSummary(findings: readonly Finding[]): string {
  const security: Clause[] = [];
  const contract: Clause[] = [];
  for (const finding of findings) {
    const clause = clauseOf(finding);
    const into = clause.verb ? security : contract;
    const same = into.find((c) => c.verb === clause.verb && c.object === clause.object);
    if (same) {
      if (!same.lines.includes(finding.line)) same.lines.push(finding.line);
    } else into.push(clause);
  }
  const named = [...security, ...contract].slice(0, NAMED_FINDINGS);
  const left = security.length + contract.length - named.length;
  const parts: string[] = [];
  const namedSecurity = named.filter((c) => security.includes(c));
  if (namedSecurity.length > 0) parts.push(`it ${byVerb(namedSecurity)}`);
  for (const clause of named.filter((c) => contract.includes(c))) parts.push(`${clause.object} ${where(clause.lines)}`);
  const text = parts.join("; ") + (left > 0 ? `; and ${left} more finding${left === 1 ? "" : "s"}` : "");
  return truncate(text, SUMMARY_CHARS);
}

function clauseOf(finding: Finding): Clause {
  const lines = [finding.line];
  const message = finding.message.split("\n")[0] ?? "";
  if (finding.rule === "import-forbidden") {
    const imported = /^(import of|re-export from) "([^"]+)"/.exec(message);
    if (imported) return { verb: imported[1] === "import of" ? "imports" : "re-exports from", object: imported[2]!, lines };
  }
  if (isSecurityRule(finding.rule) && finding.rule !== "parse") {
    // Most messages name the construct first: "`process` is the running process…".
    const named = /^`([^`]{1,60})`/.exec(message);
    if (named) return { verb: "uses", object: named[1]!, lines };
    // Else the rule's own summary: "dynamic import()", "reaching a constructor (…)".
    const summary = SECURITY_RULES[finding.rule].split(/ \(|, /)[0]!.replace(/`/g, "");
    return /^[a-z]+ing\b/.test(summary) ? { verb: "is", object: summary, lines } : { verb: "uses", object: summary, lines };
  }
  return { verb: "", object: firstClause(message), lines };
}

/** Clauses of the same verb share it: "imports a (line 1) and b (line 2), and uses c (line 3)". */
function byVerb(clauses: Clause[]): string {
  const verbs: { verb: string; objects: string[] }[] = [];
  for (const clause of clauses) {
    const object = `${clause.object} ${where(clause.lines)}`;
    const group = verbs.find((v) => v.verb === clause.verb);
    if (group) group.objects.push(object);
    else verbs.push({ verb: clause.verb, objects: [object] });
  }
  return listed(
    verbs.map((v) => `${v.verb} ${listed(v.objects, " and ")}`),
    ", and ",
  );
}

function listed(items: string[], last: string): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")}${last}${items.at(-1)}`;
}

function where(lines: number[]): string {
  const sorted = [...lines].sort((a, b) => a - b);
  return sorted.length === 1 ? `(line ${sorted[0]})` : `(lines ${sorted.join(", ")})`;
}

/** A message's first clause: up to the first colon, semicolon or full stop that ends it. */
function firstClause(message: string): string {
  const clause = message.split(/(?<=[^.\s]{2})[.;:](?:\s|$)/)[0] ?? message;
  return clause.replace(/`/g, "").trim();
}

// ----------------------------------------------------------------------------- other failures

const FRAME = /^\s*at\s/;
const LIST_ITEM = /^\s*-\s+/;
const SECTION = /^(stderr|stdout)\b.*:$/;

/**
 * The failure's first line, completed when it ends in a colon: with the list that follows
 * ("The TypeScript does not compile (1 error): Expected ";" (line 3)") or the lines of the
 * error message ("test() failed: AssertionError: 149 !== 81"). A second sentence (what to do
 * next, meant for the model) is left out.
 */
function headline(failure: string): string {
  const lines = failure.split("\n");
  const first = lines[0]!.trim();
  // The lines of the message itself: up to the stack frames or the output sections after it.
  const end = lines.findIndex((line, index) => index > 0 && (FRAME.test(line) || SECTION.test(line.trim())));
  const after = lines.slice(1, end < 0 ? undefined : end).filter((line) => line.trim() !== "");
  if (!first.endsWith(":") || after.length === 0) return firstSentence(oneLine(first));
  if (LIST_ITEM.test(after[0]!)) {
    const items = after.filter((line) => LIST_ITEM.test(line)).map((line) => listItem(line.replace(LIST_ITEM, "")));
    return `${oneLine(first)} ${listed(items.slice(0, 2), "; ")}${items.length > 2 ? `; and ${items.length - 2} more` : ""}`;
  }
  // "test() failed: AssertionError: Expected values to be strictly equal:" + "149 !== 81": the
  // last clause only introduces what follows.
  const intro = first.replace(/[^:]*:$/, "").trim();
  const detail = oneLine(after.slice(0, 3).join(" "));
  return intro ? `${intro} ${detail}` : detail;
}

/** "line 3, column 5: Expected ;" → "Expected ; (line 3)". */
function listItem(item: string): string {
  const located = /^line (\d+), column \d+(?: \[[^\]]+\])?: (.*)$/.exec(item.trim());
  return located ? `${firstSentence(located[2]!)} (line ${located[1]})` : firstSentence(item.trim());
}

function firstSentence(text: string): string {
  const cut = /^(.+?[^.\s]{2}[.!?])\s+[A-Z(]/.exec(text);
  return (cut ? cut[1]! : text).replace(/\.$/, "");
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The first position in the module the failure names: `module.ts:23:10` (a stack frame), or `line 3, column 5`. */
function locationIn(failure: string): FailureSummary["at"] {
  const frame = /module\.ts:(\d+):(\d+)/.exec(failure);
  if (frame) return { line: Number(frame[1]), column: Number(frame[2]) };
  const listed = /^- line (\d+), column (\d+)/m.exec(failure);
  return listed ? { line: Number(listed[1]), column: Number(listed[2]) } : null;
}
