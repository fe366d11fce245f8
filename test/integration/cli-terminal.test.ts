/**
 * The CLI's conversation rules, as a user meets them — through a real terminal where it matters
 * (util-linux `script` gives the child a pseudo-terminal; keys are written into it):
 *   - Ctrl-C while the agent works cancels that turn and the chat goes on; Ctrl-C at the prompt leaves;
 *   - `/help` (and any `/command`) is answered by the chat itself, never sent to the agent;
 *   - with piped input there are no prompts, and stdout carries only the answers;
 *   - an invalid `--thread` is refused before anything starts;
 *   - `send` does not offer a `--local` it does not have, and a hint is printed once.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import net from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { cliEnv, runCli } from "./cli-harness.js";
import { cascade, mentions, speakerOf, startTestServer, type TestServer } from "./server-harness.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/toolforge.js");

/** Null when `script` can give a child a terminal here; else why not. */
const terminalProblem: string | null = (() => {
  const probe = spawnSync("script", ["-qefc", "test -t 0", "/dev/null"], { encoding: "utf8", input: "" });
  if (probe.error) return `util-linux \`script\` is not available (${probe.error.message})`;
  return probe.status === 0 ? null : `\`script\` gave no terminal (exit ${probe.status})`;
})();

interface Terminal {
  type(text: string): void;
  /** Everything the terminal showed so far (stdout and stderr both go to it). */
  screen(): string;
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  child: ChildProcessWithoutNullStreams;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** `toolforge ARGS…` on a pseudo-terminal of its own (of `columns` width: without one it has no size, and the CLI draws no spinner). */
function inTerminal(args: string[], env: Record<string, string>, cwd: string, columns?: number): Terminal {
  const command = (columns ? `stty cols ${columns} rows 40; ` : "") + [process.execPath, BIN, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd,
    env: { ...cliEnv(env), TERM: "dumb" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (chunk: Buffer) => (screen += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (screen += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    exited,
    type: (text) => child.stdin.write(text),
    screen: () => screen,
    waitFor: async (pattern, what, timeoutMs = 120_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(screen)) {
        if (Date.now() > deadline) throw new Error(`${what}: not on the terminal after ${timeoutMs} ms; it shows:\n${screen}`);
        if (child.exitCode !== null) throw new Error(`${what}: the command exited (${child.exitCode}); the terminal showed:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

const asks = (ollama: ScriptedOllama, text: string) => ollama.chatRequests.filter((r) => mentions(r, text));
const lastUserText = (request: OllamaChatRequest) => String(request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "");

describe("toolforge chat and send, as a user meets them", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;

  beforeAll(async () => {
    const answer = cascade((request: OllamaChatRequest) => (mentions(request, "quick question") ? "Quick answer." : "An answer."));
    ollama = await ScriptedOllama.start({
      // BRICK takes its time over the slow question: long enough to press Ctrl-C while it works.
      respond: (request) =>
        speakerOf(request) === "brick" && lastUserText(request).includes("slow question")
          ? { content: "BRICK notes: ".padEnd(150, "."), chunkSize: 1, chunkDelayMs: 100 }
          : answer(request),
    });
    served = await startTestServer({ ollama });
  });

  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  const env = () => ({ DATA_DIR: served.config.dataDir, DYNAMIC_TOOLS_DIR: served.config.dynamicToolsDir });

  it.skipIf(terminalProblem !== null)(
    `on a terminal: Ctrl-C cancels the running turn and the chat goes on; /help is answered locally; Ctrl-C at the prompt leaves${terminalProblem ? ` (skipped: ${terminalProblem})` : ""}`,
    async () => {
      const terminal = inTerminal(["chat", "--url", served.url, "--thread", "terminal-thread"], env(), served.dir);
      try {
        await terminal.waitFor(/you › /, "the first prompt");

        terminal.type("/help\r");
        await terminal.waitFor(/commands \(never sent to the agent\)/, "the help");
        terminal.type("/nonsense\r");
        await terminal.waitFor(/unknown command \/nonsense/, "the unknown command");
        expect(asks(ollama, "/help")).toEqual([]);
        expect(asks(ollama, "/nonsense")).toEqual([]);

        terminal.type("slow question\r");
        while (asks(ollama, "slow question").length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
        terminal.type("\x03"); // Ctrl-C while BRICK works
        await terminal.waitFor(/\(turn cancelled\)/, "the cancellation");
        expect(terminal.child.exitCode).toBeNull();

        terminal.type("quick question\r");
        await terminal.waitFor(/Quick answer\./, "the next answer");
        const prompts = terminal.screen().split("you › ").length - 1;
        await terminal.waitFor(new RegExp(`(you › [^]*){${prompts}}`), "the prompt after the answer");

        terminal.type("\x03"); // Ctrl-C at the prompt
        expect(await terminal.exited).toBe(130);
      } finally {
        if (terminal.child.exitCode === null) terminal.child.kill("SIGKILL");
      }
    },
  );

  it.skipIf(terminalProblem !== null)(
    `on a terminal: a tool call's line says what the tool answered, not only that it finished${terminalProblem ? ` (skipped: ${terminalProblem})` : ""}`,
    async () => {
      const tools = await ScriptedOllama.start({
        respond: (request) => {
          const speaker = speakerOf(request);
          if (speaker === "brick") {
            if (request.messages.at(-1)?.role !== "tool")
              return { toolCalls: [{ name: "count_words", arguments: { text: "one two three" } }] };
            return "count_words says 3.";
          }
          return speaker === "alfred" ? "Three words." : `${speaker.toUpperCase()} notes.`;
        },
      });
      const server = await startTestServer({
        ollama: tools,
        builtins: [
          {
            name: "count_words",
            description: "Counts the words in a text.",
            schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
            run: async (args) => String(args.text).split(/\s+/).length,
          },
        ],
      });
      const terminal = inTerminal(["chat", "--url", server.url], env(), server.dir, 120);
      try {
        await terminal.waitFor(/you › /, "the first prompt");
        terminal.type("how many words are in 'one two three'?\r");
        await terminal.waitFor(/Three words\./, "the answer");
        expect(terminal.screen()).toMatch(/count_words → 3 \(\d+ ms\)/);
        expect(terminal.screen()).not.toMatch(/done in \d+ ms/);
        terminal.type("\x04"); // Ctrl-D leaves
        expect(await terminal.exited).toBe(0);
      } finally {
        if (terminal.child.exitCode === null) terminal.child.kill("SIGKILL");
        await server.close();
        await tools.close();
      }
    },
  );

  it("with piped input: no prompts, stdout carries only the answers, and /help never reaches the agent", async () => {
    const run = await runCli(["chat", "--url", served.url], env(), served.dir, "/help\nquick question\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("Quick answer.\n");
    expect(run.stderr).toContain("commands (never sent to the agent)");
    expect(run.stderr).not.toContain("you ›");
    expect(asks(ollama, "/help")).toEqual([]);
  });

  it("refuses an invalid --thread before reading a line, saying why, once", async () => {
    const before = ollama.chatRequests.length;
    const run = await runCli(["chat", "--url", served.url, "--thread", "has space"], env(), served.dir, "hello\nhello again\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--thread "has space" is not a valid thread id');
    expect(run.stderr.split("is not a valid thread id").length - 1).toBe(1);
    expect(ollama.chatRequests.length).toBe(before);
  });

  it("prints a server error's hint once", async () => {
    const run = await runCli(["tools", "show", "nope", "--url", served.url], env(), served.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no tool named "nope"');
    expect(run.stderr.split("lists the tools that exist").length - 1).toBe(1);
  });

  it("`send` without a server says how to start one, without offering a --local it does not have", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await runCli(["send", "system", "greet", "--url", `http://127.0.0.1:${port}`], {}, served.dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("toolforge serve");
    expect(run.stderr).not.toContain("--local");
    expect(run.stderr.split("toolforge serve").length - 1).toBe(1);
  });
});
