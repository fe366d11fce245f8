/**
 * `toolforge serve` as a child process: it refuses to listen beyond loopback without an API key
 * (exit 2, saying why); its banner names the console's page; on SIGTERM it lets the running
 * request finish, then exits 0.
 */
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { runCli, spawnCli, tempDirs } from "./cli-harness.js";

let dirs: ReturnType<typeof tempDirs>;
beforeAll(() => {
  dirs = tempDirs();
});
afterAll(() => dirs.cleanup());

describe("toolforge serve on a public address", () => {
  it("refuses 0.0.0.0 without TOOLFORGE_API_KEY, saying why, and exits 2", async () => {
    const run = await runCli(["serve"], { ...dirs.env, HOST: "0.0.0.0", PORT: "0" }, dirs.dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("refusing to listen on 0.0.0.0 without an API key");
    expect(run.stderr).toContain("TOOLFORGE_API_KEY");
  });
});

describeSandbox("toolforge serve and SIGTERM", () => {
  it("prints the console's address, finishes the running request on SIGTERM, then exits 0", async () => {
    const ollama = await ScriptedOllama.start({
      respond: (request) => ({
        content: request.model === "alfred:test" ? "answered during shutdown" : "slow notes",
        chunkSize: 2,
        chunkDelayMs: 25,
      }),
    });
    const env = {
      ...dirs.env,
      OLLAMA_HOST: ollama.url,
      PORT: "0",
      SANDBOX_POOL_SIZE: "0",
      BRICK_MODEL: "brick:test",
      ROBIN_MODEL: "robin:test",
      BABS_MODEL: "babs:test",
      ALFRED_MODEL: "alfred:test",
    };
    const child = spawnCli(["serve"], env, dirs.dir);
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
          const match = /listening on (http:\/\/\S+)/.exec(stderr);
          if (match?.[1]) resolve(match[1]);
        });
        child.on("close", (code) => reject(new Error(`serve exited (${code}) before listening:\n${stderr}`)));
      });
      // The banner names the console's page, and it is the console.
      const consoleUrl = /Console: (http:\/\/\S+)/.exec(stderr)?.[1];
      expect(consoleUrl).toBe(`${url}/`);
      const page = await fetch(consoleUrl!);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toContain("/console/app.js");
      const running = fetch(`${url}/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "take your time" }),
      });
      while (ollama.chatRequests.length === 0) await new Promise((r) => setTimeout(r, 10));
      const exited = once(child, "close");
      child.kill("SIGTERM");
      const response = await running;
      expect(response.status).toBe(200);
      expect(((await response.json()) as { reply: string }).reply).toBe("answered during shutdown");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      const messages = stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toEqual(expect.arrayContaining(["signal received", "stopped"]));
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await ollama.close();
    }
  });
});
