/**
 * The embedded SQLite store on this machine's disk (WAL, synchronous=FULL): installing a tool
 * version (one transaction: version row, active pointer, revision, event), resolving a method
 * through a 5-deep prototype chain, and an optimistic attribute update (read, then write at the
 * revision read).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openStore, sha256Hex } from "../src/store/index.js";
import { measure, type BenchRow } from "./stats.js";

export const title = "store (SQLite)";

export async function run(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "toolforge-bench-store-"));
  const store = await openStore({ dataDir, arango: null });
  try {
    const rows: BenchRow[] = [];
    // A forged module of realistic size (~2 KB of compiled code).
    const compiled = `export default function word_count({ text }) {\n${"  // padding to a realistic module size\n".repeat(50)}  return text.trim().split(/\\s+/).filter(Boolean).length;\n}\n`;
    let n = 0;
    rows.push(
      await measure(
        "store",
        "install tool version",
        () =>
          store.installToolVersion({
            toolName: `bench_tool_${n++ % 10}`,
            description: "counts words",
            schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
            source: compiled,
            compiled,
            sha256: sha256Hex(compiled),
            forgeRunId: null,
          }),
        { runs: 100, warmup: 5, note: "1 transaction: version + pointer + revision + event" },
      ),
    );

    const chain = ["p5", "p4", "p3", "p2", "p1", "receiver"];
    await store.createObject({ id: "p5" });
    for (let i = 1; i < chain.length; i++) await store.createObject({ id: chain[i]!, prototypes: [chain[i - 1]!] });
    await store.installMethodVersion({
      objectId: "p5",
      selector: "greet",
      description: "greets",
      source: compiled,
      compiled,
      sha256: sha256Hex(compiled),
      forgeRunId: null,
    });
    rows.push(
      await measure(
        "store",
        "method lookup, 5-deep chain",
        async () => {
          const found = await store.lookupMethod("receiver", "greet");
          if (found?.depth !== 5) throw new Error(`lookup went wrong: ${JSON.stringify(found?.depth)}`);
        },
        { runs: 200, warmup: 10, note: "found on the 5th prototype" },
      ),
    );

    await store.createObject({ id: "counter", attributes: { count: 0 } });
    rows.push(
      await measure(
        "store",
        "optimistic attribute update",
        async () => {
          const current = (await store.getObject("counter"))!;
          await store.updateAttributes("counter", current.revision, { count: (current.attributes["count"] as number) + 1 });
        },
        { runs: 200, warmup: 10, note: "read + compare-and-set write" },
      ),
    );
    return rows;
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
