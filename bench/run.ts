/**
 * `npm run bench`: runs every bench/*.bench.ts module in one process, one after another (so the
 * figures are measured side by side on the same machine state), prints one table and writes the
 * rows as JSON to bench/results/bench-<time>.json (and, for a complete run, bench/results/latest.json).
 * Each module exports `run(): Promise<BenchRow[]>` and an optional `title`.
 * `npm run bench -- sandbox store` runs only the modules whose file names contain those words.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatTable, type BenchRow } from "./stats.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort();

const rows: BenchRow[] = [];
const skipped: { module: string; reason: string }[] = [];
for (const file of modules) {
  const mod = (await import(pathToFileURL(path.join(here, file)).href)) as {
    run: () => Promise<BenchRow[]>;
  };
  process.stderr.write(`bench: ${file} …\n`);
  try {
    rows.push(...(await mod.run()));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    skipped.push({ module: file, reason });
    process.stderr.write(`bench: ${file} did not run: ${reason}\n`);
  }
}

console.log(formatTable(rows));
for (const s of skipped) console.log(`not measured: ${s.module}: ${s.reason.split("\n")[0]}`);

const result = {
  at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? "",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  },
  rows,
  skipped,
};
const dir = path.join(here, "results");
mkdirSync(dir, { recursive: true });
const stamp = result.at.replace(/[:.]/g, "-");
writeFileSync(path.join(dir, `bench-${stamp}.json`), JSON.stringify(result, null, 2) + "\n");
// latest.json is the last complete run; a filtered run only writes its own time-stamped file.
if (filters.length === 0) writeFileSync(path.join(dir, "latest.json"), JSON.stringify(result, null, 2) + "\n");
console.log(`\nwritten: bench/results/bench-${stamp}.json`);
process.exit(skipped.length > 0 ? 1 : 0);
