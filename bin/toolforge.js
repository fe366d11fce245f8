#!/usr/bin/env node
// The installed `toolforge` command. Runs the built CLI (dist/, made by `npm run build`, which
// `prepare` runs on install); in a clone that was not built — or with TOOLFORGE_FROM_SOURCE=1 —
// runs the TypeScript source in this same process through tsx's loader (so signals reach it).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/src/cli/main.js", import.meta.url);
const source = new URL("../src/cli/main.ts", import.meta.url);
const fromSource = process.env.TOOLFORGE_FROM_SOURCE === "1" || !existsSync(fileURLToPath(built));

if (fromSource) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(built.href);
}
