// Prints vitest's JSON report as the one line CI reads: "N passed, N failed" (", N skipped").
// Exits 1 when the report is missing, or when anything failed.
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.error(`no test report at ${file}: ${error.message}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A file that fails to load (or fails in a hook) has no failed test but has failed: count it.
const failed = (report.numFailedTests ?? 0) + failedFilesWithoutFailedTests(report);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

function failedFilesWithoutFailedTests(r) {
  return (r.testResults ?? []).filter(
    (file) => file.status === "failed" && !(file.assertionResults ?? []).some((a) => a.status === "failed"),
  ).length;
}
