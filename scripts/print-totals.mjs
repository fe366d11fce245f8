// Prints vitest's JSON report as the one line CI reads, last and alone: "N passed, N failed".
// Further arguments name checks that ran outside vitest and failed (e.g. "check"): each counts as
// one failed. Exits 1 when the report is missing, or when anything failed.
import { readFileSync } from "node:fs";

const [file, ...failedChecks] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.error(`no test report at ${file}: ${error.message}`);
  console.log(`0 passed, ${1 + failedChecks.length} failed`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that fails to load (or fails in a hook) has no failed test but has failed: count it.
const failed = (report.numFailedTests ?? 0) + failedFilesWithoutFailedTests(report) + failedChecks.length;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (skipped) console.log(`(${skipped} skipped)`);
if (failedChecks.length) console.log(`(failed outside vitest: ${failedChecks.join(", ")})`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function failedFilesWithoutFailedTests(r) {
  return (r.testResults ?? []).filter(
    (file) => file.status === "failed" && !(file.assertionResults ?? []).some((a) => a.status === "failed"),
  ).length;
}
