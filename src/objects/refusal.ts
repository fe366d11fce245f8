/**
 * Why the forge refused to teach a method, in one message: the forge's reason plus, when the last
 * attempt was stopped by the audit, each finding's rule and line (read from the forge run's record),
 * so the message's error says exactly what was refused and where.
 */
import type { AuditFinding, Store } from "../store/types.js";

export async function refusalReason(store: Store, runId: string, reason: string): Promise<string> {
  const run = await store.getForgeRun(runId);
  const last = run?.attempts.at(-1);
  const findings = last?.findings ?? [];
  const missing = findings.filter((finding) => !mentions(reason, finding));
  if (missing.length === 0) return reason;
  return `${reason}\naudit findings of attempt ${last!.number}:\n${missing.map(formatFinding).join("\n")}`;
}

export function formatFinding(finding: AuditFinding): string {
  return `  ${finding.rule} at line ${finding.line}, column ${finding.column}: ${finding.message}`;
}

function mentions(text: string, finding: AuditFinding): boolean {
  return text.includes(finding.rule) && new RegExp(`\\bline ${finding.line}\\b`).test(text);
}
