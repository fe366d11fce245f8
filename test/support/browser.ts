/**
 * Headless Chromium for the console's browser tests: Debian's `chromium` package (CHROMIUM_PATH,
 * default /usr/bin/chromium; scripts/provision-browser.sh installs it), driven by playwright-core.
 * No browser is downloaded. With CI=true a missing Chromium fails the tests; elsewhere they skip
 * with the reason (as the sandbox tests do).
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Null when Chromium is there; otherwise why the browser tests cannot run. */
export const browserProblem: string | null = existsSync(CHROMIUM_PATH)
  ? null
  : `no Chromium at ${CHROMIUM_PATH}: run scripts/provision-browser.sh (apt-get install chromium) or set CHROMIUM_PATH`;

export const mustRunBrowser = process.env.CI === "true" || process.env.CI === "1";

/**
 * The flags that work on a machine without network: no GPU, no QUIC, no first-run, and none of
 * Chromium's own background connections (which this closed network refuses). Playwright adds
 * --headless and a fresh, temporary --user-data-dir itself.
 */
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchBrowser(): Promise<Browser> {
  if (browserProblem) throw new Error(browserProblem);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS });
}

/** Where the tests keep their screenshots (ignored by git). */
export const ARTIFACTS_DIR = path.resolve(import.meta.dirname, "..", "artifacts");

/** Saves a full-page screenshot as test/artifacts/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Where the README and docs/ keep the console's screenshots. */
export const DOC_IMAGES_DIR = path.resolve(import.meta.dirname, "..", "..", "docs", "images");

/**
 * With WRITE_DOC_IMAGES=1, saves what the window shows now as docs/images/NAME.png (the
 * screenshots the README and docs/console.md show); otherwise does nothing, so that a test run
 * leaves the work tree as it was. `npm run docs:images` runs the browser test with it set.
 */
export async function docImage(page: Page, name: string): Promise<string | null> {
  if (process.env.WRITE_DOC_IMAGES !== "1") return null;
  const file = path.join(DOC_IMAGES_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
