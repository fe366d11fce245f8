/**
 * The console's static assets: `index.html`, `app.js` (the Preact app and its TSX pages, bundled
 * by esbuild) and `app.css`. `npm run build` writes them to dist/console/ (see
 * scripts/build-console.ts); the server built into dist/ serves those files. The server run from
 * the TypeScript source (npm run dev, the tests) bundles console/src/ in memory on first use
 * instead, so the page it serves is always the one in the work tree, never a stale dist/.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** File name (index.html, app.js, app.css) → its content. */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

const here = path.dirname(fileURLToPath(import.meta.url));
/** True when this module runs from the compiled package (dist/src/server/console/). */
const fromDist = here.split(path.sep).includes("dist") && import.meta.url.endsWith(".js");
const packageRoot = fromDist ? path.resolve(here, "../../../..") : path.resolve(here, "../../..");

/** Where the console's sources are (a work tree; not shipped in the package). */
const CONSOLE_SOURCE_DIR = path.join(packageRoot, "console");
/** Where `npm run build` writes the assets, and where the built server reads them. */
export const CONSOLE_DIST_DIR = path.join(packageRoot, "dist", "console");

/** Bundles console/src/main.tsx and its CSS with esbuild, in memory. */
async function bundleConsole(sourceDir = CONSOLE_SOURCE_DIR): Promise<Map<string, Buffer>> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: { app: path.join(sourceDir, "src", "main.tsx") },
    bundle: true,
    write: false,
    outdir: "/console-out",
    format: "esm",
    target: ["es2022"],
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    legalComments: "eof",
    logLevel: "silent",
    absWorkingDir: path.dirname(sourceDir),
    nodePaths: [path.join(packageRoot, "node_modules")],
  });
  const files = new Map<string, Buffer>();
  for (const file of result.outputFiles) files.set(path.basename(file.path), Buffer.from(file.contents));
  files.set("index.html", readFileSync(path.join(sourceDir, "index.html")));
  return files;
}

/** Writes the bundled assets to `outDir` (the build step). */
export async function writeConsoleAssets(outDir = CONSOLE_DIST_DIR): Promise<string[]> {
  const files = await bundleConsole();
  mkdirSync(outDir, { recursive: true });
  for (const [name, body] of files) writeFileSync(path.join(outDir, name), body);
  return [...files.keys()].sort();
}

/** The assets to serve: the built files when running from dist/, else a fresh in-memory bundle. */
export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  const files = fromDist ? readBuilt(CONSOLE_DIST_DIR) : await bundleConsole();
  const assets = new Map<string, ConsoleAsset>();
  for (const [name, body] of files) {
    const contentType = CONTENT_TYPES[path.extname(name)];
    if (!contentType) continue;
    assets.set(name, { body, contentType, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"` });
  }
  return assets;
}

function readBuilt(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) files.set(name, readFileSync(path.join(dir, name)));
  return files;
}
