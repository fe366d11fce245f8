/**
 * The CLI's conversation rules, as a user meets them — through a real terminal where it matters
 * (util-linux `script` gives the child a pseudo-terminal; keys are written into it):
 *   - Ctrl-C while the agent works cancels that turn and the chat goes on; Ctrl-C at the prompt leaves;
 *   - a cancelled turn stops its tool call in the (real) sandbox and its forge, against a server and
 *     with --local, and the next question on the thread is answered at once;
 *   - `/help` (and any `/command`) is answered by the chat itself, never sent to the agent;
 *   - with piped input there are no prompts, and stdout carries only the answers;
 *   - an invalid `--thread` is refused before anything starts;
 *   - `send` does not offer a `--local` it does not have, and a hint is printed once.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import type { JobResult, Sandbox, SandboxJob } from "../../src/sandbox/types.js";
import { openStore, type Store } from "../../src/store/index.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { runnableToolVersion } from "../support/store.js";
import { until } from "../support/until.js";
import { runCli, tempDirs } from "./cli-harness.js";
import { cascade, mentions, speakerOf, startTestServer, TEST_MODELS, type TestServer } from "./test-server.js";
import { inTerminal, terminalProblem, type Terminal } from "./terminal-harness.js";

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
      // A terminal with a size, as a person's has: the spinner runs (and with it, whatever it does to stdin).
      const terminal = inTerminal(["chat", "--url", served.url, "--thread", "terminal-thread"], env(), served.dir, 120);
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
    },
  );

  it.skipIf(terminalProblem !== null)(
    `on a terminal: Ctrl-D while the agent works lets the turn finish, then leaves${terminalProblem ? ` (skipped: ${terminalProblem})` : ""}`,
    async () => {
      const terminal = inTerminal(["chat", "--url", served.url, "--thread", "ctrl-d-thread"], env(), served.dir, 120);
      await terminal.waitFor(/you › /, "the first prompt");
      const before = asks(ollama, "slow question").length;
      terminal.type("slow question, then Ctrl-D\r");
      while (asks(ollama, "slow question").length === before) await new Promise((resolve) => setTimeout(resolve, 50));
      terminal.type("\x04"); // Ctrl-D while BRICK works
      expect(await terminal.exited).toBe(0);
      expect(terminal.screen()).toContain("An answer.");
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

/** Which of `texts` the request's latest message mentioning any of them mentions (ALFRED sees the thread's history). */
function latestOf(request: OllamaChatRequest, texts: string[]): string | undefined {
  for (const message of [...request.messages].reverse()) {
    const found = texts.find((text) => typeof message.content === "string" && message.content.includes(text));
    if (found) return found;
  }
  return undefined;
}

/** Long enough that a test waiting for it would time out: a call or forge that ran to it was not stopped. */
const NEVER_MS = 600_000;

/** The jobs a sandbox was given, and how each ended. */
function recordingSandbox(inner: Sandbox): Sandbox & { jobs: { job: SandboxJob; result: JobResult | null }[] } {
  const jobs: { job: SandboxJob; result: JobResult | null }[] = [];
  return {
    jobs,
    run: async (job) => {
      const entry: { job: SandboxJob; result: JobResult | null } = { job, result: null };
      jobs.push(entry);
      entry.result = await inner.run(job);
      return entry.result;
    },
    close: async () => {}, // the describe block closes the real one
  };
}

describeSandbox(
  "Ctrl-C in `toolforge chat` stops the turn's work",
  (sandbox) => {
    let ollama: ScriptedOllama;

    beforeAll(async () => {
      ollama = await ScriptedOllama.start({
        respond: (request) => {
          const speaker = speakerOf(request);
          const question = lastUserText(request);
          const answered = request.messages.at(-1)?.role === "tool";
          if (speaker === "brick") {
            if (question.includes("spin")) return answered ? "It spun." : { toolCalls: [{ name: "spin_forever", arguments: {} }] };
            if (question.includes("quick tool"))
              return answered ? "quick_answer said so." : { toolCalls: [{ name: "quick_answer", arguments: {} }] };
            if (question.includes("forge")) return "TOOL_REQUIRED: slow_tool: returns one. Input: {}. Output: number.";
          }
          // The forge's model would take NEVER_MS to write its module.
          if (speaker === "forge") return { content: "x".repeat(NEVER_MS / 100), chunkSize: 1, chunkDelayMs: 100 };
          if (speaker === "alfred")
            return latestOf(request, ["quick tool please", "quick question"]) === "quick tool please"
              ? "The quick tool answered."
              : "Quick answer.";
          return `${speaker.toUpperCase()} notes.`;
        },
      });
    });

    afterAll(async () => {
      await ollama?.close();
    });

    /** A tool that spins until its (NEVER_MS) deadline, and one that answers 42 at once. */
    async function installTools(store: Store): Promise<void> {
      await store.installToolVersion(
        runnableToolVersion("spin_forever", `const end = Date.now() + ${NEVER_MS}; while (Date.now() < end) {} return 1;`),
      );
      await store.installToolVersion(runnableToolVersion("quick_answer", "return 42;"));
    }

    /**
     * The conversation both modes go through: a tool call and a forge cancelled with Ctrl-C, each
     * followed by a question on the same thread. The sandbox has room for ONE container: a call
     * still spinning would hold the next question's tool call until the deadline.
     */
    async function cancelTwice(terminal: Terminal, onToolRunning: () => Promise<void>): Promise<void> {
      await terminal.waitFor(/you › /, "the first prompt");

      terminal.type("spin please\r");
      await terminal.waitFor(/calling spin_forever/, "the tool call");
      await onToolRunning();
      terminal.type("\x03");
      await terminal.waitFor(/\(turn cancelled\)/, "the cancelled tool call");
      terminal.type("quick tool please\r");
      await terminal.waitFor(/The quick tool answered\./, "the next answer, after a tool call in the sandbox", 60_000);
      const quickCall = ollama.chatRequests.find(
        (r) => speakerOf(r) === "brick" && r.messages.at(-1)?.role === "tool" && lastUserText(r).includes("quick tool"),
      );
      expect(quickCall?.messages.at(-1)?.content).toBe("42");

      const forgesBefore = ollama.exchanges.filter((e) => speakerOf(e.request) === "forge").length;
      terminal.type("forge please\r");
      const forge = await until(
        "the forge's model call",
        () => ollama.exchanges.filter((e) => speakerOf(e.request) === "forge")[forgesBefore],
        (e) => e !== undefined,
      );
      terminal.type("\x03");
      await until(
        "the cancellation",
        () => terminal.screen().split("(turn cancelled)").length - 1,
        (n) => n === 2,
      );
      // The forge's model call was dropped by the client, not left to run.
      await until(
        "the forge's model call to be closed",
        () => forge!.ending,
        (ending) => ending === "cancelled",
      );
      terminal.type("quick question\r");
      await terminal.waitFor(/Quick answer\./, "the answer after the cancelled forge", 60_000);
      expect(terminal.child.exitCode).toBeNull();

      terminal.type("\x04"); // Ctrl-D leaves
      expect(await terminal.exited).toBe(0);
    }

    it.skipIf(terminalProblem !== null)(
      "against a server: the tool call's sandbox job is aborted, the forge stops, and the next questions are answered at once",
      { timeout: 240_000 },
      async () => {
        const jobs = recordingSandbox(sandbox());
        const served = await startTestServer({ ollama, sandbox: jobs, env: { SANDBOX_TIMEOUT_MS: String(NEVER_MS) } });
        const terminal = inTerminal(
          ["chat", "--url", served.url],
          { DATA_DIR: served.config.dataDir, DYNAMIC_TOOLS_DIR: served.config.dynamicToolsDir },
          served.dir,
          120,
        );
        try {
          await installTools(served.server.runtime.store);
          await served.server.runtime.registry.refresh();
          const spinJob = () => jobs.jobs.find((j) => j.job.action === "call" && j.job.module.includes("spin_forever"));
          await cancelTwice(terminal, async () => {
            await until("the spinning job in the sandbox", spinJob, (j) => j !== undefined);
          });
          const spun = await until(
            "the spinning job's end",
            () => spinJob()?.result,
            (r) => r !== null && r !== undefined,
          );
          expect(spun).toMatchObject({ aborted: true, timedOut: false });
          // It was running in a container when it was stopped, not still waiting for one.
          expect(spun!.reportProblem ?? "").not.toMatch(/before a sandbox container took it/);
          const runs = await served.server.runtime.store.listForgeRuns();
          expect(runs.map((r) => [r.target, r.status, r.error])).toEqual([["slow_tool", "failed", expect.stringMatching(/aborted/)]]);
        } finally {
          if (terminal.child.exitCode === null) terminal.child.kill("SIGKILL");
          await served.close();
        }
      },
    );

    it.skipIf(terminalProblem !== null)(
      "with --local: the tool call and the forge stop in the chat's own process, and the next questions are answered at once",
      { timeout: 240_000 },
      async () => {
        const dirs = tempDirs();
        const env = {
          ...dirs.env,
          ...TEST_MODELS,
          OLLAMA_HOST: ollama.url,
          SANDBOX_POOL_SIZE: "1",
          SANDBOX_MAX_CONTAINERS: "1",
          SANDBOX_TIMEOUT_MS: String(NEVER_MS),
          SANDBOX_QUEUE_TIMEOUT_MS: String(NEVER_MS),
        };
        const store = await openStore(loadConfig(env));
        const terminal = inTerminal(["chat", "--local"], env, dirs.dir, 120);
        try {
          await installTools(store);
          await cancelTwice(terminal, async () => undefined);
          const runs = await store.listForgeRuns();
          expect(runs.map((r) => [r.target, r.status, r.error])).toEqual([["slow_tool", "failed", expect.stringMatching(/aborted/)]]);
        } finally {
          if (terminal.child.exitCode === null) terminal.child.kill("SIGKILL");
          await store.close();
          dirs.cleanup();
        }
      },
    );
  },
  { sandbox: { poolSize: 1, maxContainers: 1, timeoutMs: NEVER_MS, queueTimeoutMs: NEVER_MS } },
);
