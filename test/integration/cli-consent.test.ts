/**
 * `toolforge chat` and `ask` when a tool asks to reach a host no person granted, as a user meets
 * them: on a terminal the chat asks about it, records the answer where the turns go (the server,
 * or with --local its own store) and, once something was granted, sends the question again — and
 * then the tool really runs (the real gVisor sandbox: its module answers 42 and never fetches the
 * host it declares). Piped, and with `ask`, the request is printed on stderr.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/index.js";
import { describeSandbox } from "../support/sandbox.js";
import { ScriptedOllama, type OllamaChatRequest } from "../support/scripted-ollama.js";
import { runnableToolVersion } from "../support/store.js";
import { until } from "../support/until.js";
import { runCli, tempDirs } from "./cli-harness.js";
import { speakerOf, startTestServer, TEST_MODELS, type TestServer } from "./test-server.js";
import { inTerminal, terminalProblem, type Terminal } from "./terminal-harness.js";

const HOST = "api.frankfurter.app";
const lastUserText = (request: OllamaChatRequest) => String(request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "");
/** The tool a question names ("… use answer_one …"). */
const toolIn = (text: string) => /use (\w+)/.exec(text)?.[1];

describeSandbox(
  "the chat asks a person about a tool's hosts",
  (sandbox) => {
    let ollama: ScriptedOllama;
    let served: TestServer;

    beforeAll(async () => {
      ollama = await ScriptedOllama.start({
        respond: (request) => {
          const speaker = speakerOf(request);
          const tool = toolIn(lastUserText(request));
          if (speaker === "brick" && tool) {
            return request.messages.at(-1)?.role === "tool" ? `${tool} answered.` : { toolCalls: [{ name: tool, arguments: {} }] };
          }
          return speaker === "alfred" ? "Here is what I found." : `${speaker.toUpperCase()} notes.`;
        },
      });
      served = await startTestServer({ ollama, sandbox: sandbox() });
      for (const name of ["answer_one", "answer_two", "answer_three", "answer_four"]) {
        await served.server.runtime.store.installToolVersion(runnableToolVersion(name, "return 42;", [HOST]));
      }
      await served.server.runtime.registry.refresh();
    });

    afterAll(async () => {
      await served?.close();
      await ollama?.close();
    });

    const serverEnv = () => ({ DATA_DIR: served.config.dataDir, DYNAMIC_TOOLS_DIR: served.config.dynamicToolsDir });

    /** BRICK's requests for a tool's question that carry the tool's answer: what the tool message said, turn by turn. */
    const toolMessages = (tool: string) =>
      ollama.chatRequests
        .filter((r) => speakerOf(r) === "brick" && toolIn(lastUserText(r)) === tool && r.messages.at(-1)?.role === "tool")
        .map((r) => String(r.messages.at(-1)?.content));

    const question = (tool: string) => new RegExp(`${tool} v1 asks to reach ${HOST.replace(/\./g, "\\.")} — allow\\? \\[y\\]es`);

    /** Ctrl-D: the chat ends once what it is doing is done. */
    async function leave(terminal: Terminal): Promise<void> {
      terminal.type("\x04");
      expect(await terminal.exited).toBe(0);
    }

    it.skipIf(terminalProblem !== null)(
      "against a server: y grants the host for this version and later ones, and the question is sent again and answered by the tool",
      async () => {
        const terminal = inTerminal(["chat", "--url", served.url], serverEnv(), served.dir, 120);
        await terminal.waitFor(/you › /, "the first prompt");
        terminal.type("please use answer_one\r");
        await terminal.waitFor(question("answer_one"), "the consent question");
        expect(await served.server.runtime.store.listGrants("answer_one")).toEqual([]);
        // Before the answer, the call was refused for consent, not made.
        expect(toolMessages("answer_one")).toEqual([expect.stringContaining("no person has granted yet")]);

        terminal.type("y\r");
        await terminal.waitFor(/allowed: answer_one may reach api\.frankfurter\.app/, "the grant");
        await terminal.waitFor(/asking again…/, "the question sent again");
        await terminal.waitFor(/answer_one → 42/, "the tool's answer");
        const grants = await served.server.runtime.store.listGrants("answer_one");
        expect(grants.map((g) => [g.host, g.decision, g.version, g.onlyThisVersion, g.privateNetwork])).toEqual([
          [HOST, "granted", 1, false, false],
        ]);
        // The question went to the agent twice; the second time the tool ran in the sandbox.
        const seen = await until(
          "BRICK's second turn",
          () => toolMessages("answer_one"),
          (m) => m.length === 2,
        );
        expect(seen).toEqual([expect.stringContaining("no person has granted yet"), "42"]);
        await leave(terminal);
      },
    );

    it.skipIf(terminalProblem !== null)(
      "against a server: Ctrl-C at the question leaves it unanswered and the chat goes on; n denies, and nothing is sent again",
      async () => {
        const terminal = inTerminal(["chat", "--url", served.url], serverEnv(), served.dir, 120);
        await terminal.waitFor(/you › /, "the first prompt");
        terminal.type("please use answer_two\r");
        await terminal.waitFor(question("answer_two"), "the consent question");
        terminal.type("\x03");
        await terminal.waitFor(/left unanswered/, "the unanswered question");
        await terminal.waitFor(/toolforge tools grant answer_two api\.frankfurter\.app/, "how to grant it later");
        expect(terminal.child.exitCode).toBeNull();
        expect(await served.server.runtime.store.listGrants("answer_two")).toEqual([]);

        terminal.type("please use answer_two again\r");
        await terminal.waitFor(new RegExp(`(${question("answer_two").source}[^]*){2}`), "the question, asked again");
        terminal.type("n\r");
        await terminal.waitFor(/denied: answer_two will not reach api\.frankfurter\.app/, "the denial");
        const grants = await served.server.runtime.store.listGrants("answer_two");
        expect(grants.map((g) => [g.host, g.decision])).toEqual([[HOST, "denied"]]);
        await leave(terminal);
        expect(terminal.screen()).not.toContain("asking again");
        // Two questions, two turns: a denial sends nothing again, and the tool never ran.
        expect(toolMessages("answer_two")).toHaveLength(2);
        expect(toolMessages("answer_two").every((m) => !m.includes("42"))).toBe(true);
      },
    );

    it.skipIf(terminalProblem !== null)(
      "with --local: v grants the host for this version only in the chat's own store, and the re-sent question runs the tool",
      async () => {
        const dirs = tempDirs();
        const env = { ...dirs.env, ...TEST_MODELS, OLLAMA_HOST: ollama.url, SANDBOX_POOL_SIZE: "1" };
        const store: Store = await openStore(loadConfig(env));
        const terminal = inTerminal(["chat", "--local"], env, dirs.dir, 120);
        try {
          await store.installToolVersion(runnableToolVersion("answer_local", "return 42;", [HOST]));
          await terminal.waitFor(/you › /, "the first prompt");
          terminal.type("please use answer_local\r");
          await terminal.waitFor(question("answer_local"), "the consent question");
          terminal.type("v\r");
          await terminal.waitFor(/allowed: answer_local may reach api\.frankfurter\.app \(v1 only\)/, "the grant");
          await terminal.waitFor(/answer_local → 42/, "the tool's answer");
          const grants = await store.listGrants("answer_local");
          expect(grants.map((g) => [g.host, g.decision, g.onlyThisVersion])).toEqual([[HOST, "granted", true]]);
          const seen = await until(
            "BRICK's second turn",
            () => toolMessages("answer_local"),
            (m) => m.length === 2,
          );
          expect(seen).toEqual([expect.stringContaining("no person has granted yet"), "42"]);
          await leave(terminal);
        } finally {
          if (terminal.child.exitCode === null) terminal.child.kill("SIGKILL");
          await store.close();
          dirs.cleanup();
        }
      },
    );

    it("with piped input: the request and the command that grants it go to stderr, nothing is granted, and the chat goes on", async () => {
      const run = await runCli(["chat", "--url", served.url], serverEnv(), served.dir, "please use answer_three\n");
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("Here is what I found.\n");
      expect(run.stderr).toContain(
        `The tool "answer_three" (v1) needs to reach ${HOST}, which no person has granted yet. To allow it: \`toolforge tools grant answer_three ${HOST}\``,
      );
      expect(run.stderr).not.toContain("allow? [y]es");
      expect(await served.server.runtime.store.listGrants("answer_three")).toEqual([]);
    });

    it("`ask` prints the answer, the request on stderr, exits 0; with --json the requests are in `consent`", async () => {
      const run = await runCli(["ask", "please use answer_four", "--url", served.url], serverEnv(), served.dir);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("Here is what I found.\n");
      expect(run.stderr).toContain(`\`toolforge tools grant answer_four ${HOST}\``);

      const json = await runCli(["ask", "please use answer_four", "--json", "--url", served.url], serverEnv(), served.dir);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({
        reply: "Here is what I found.",
        consent: [{ tool: "answer_four", version: 1, hosts: [HOST], missing: [HOST], denied: [] }],
      });
    });
  },
  { sandbox: { poolSize: 1 } },
);
