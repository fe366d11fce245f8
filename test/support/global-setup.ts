/**
 * Integration tests' global setup: builds the sandbox image once, before any test file starts, so
 * test files running in parallel do not each build it. A machine without Docker is not an error
 * here: each sandbox test then fails (CI=true) or skips with the reason (see test/support/sandbox.ts).
 */
import Docker from "dockerode";
import { ensureImage } from "../../src/sandbox/image.js";
import { loadConfig } from "../../src/config.js";

export default async function setup(): Promise<void> {
  try {
    const configured = loadConfig({ SANDBOX_IMAGE: process.env.SANDBOX_IMAGE }).sandbox.image;
    const image = await ensureImage(new Docker(), configured);
    console.log(`sandbox image ready: ${image}`);
  } catch (error) {
    console.warn(`sandbox image not ready (sandbox tests will report it): ${error instanceof Error ? error.message : String(error)}`);
  }
}
