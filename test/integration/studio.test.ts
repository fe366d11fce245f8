/**
 * LangGraph Studio's backend (the JS CLI's dev server) serving our langgraph.json: it starts
 * offline on a free port, shows the six nodes, runs the graph on a thread through its HTTP API with
 * the scripted model, keeps the thread's state, declares the per-run settings as the graph's
 * configuration schema, and interrupts a run whose tool asks for a host no person granted, to be
 * resumed through the API with the person's answer. The server (and the tsx watcher it spawns)
 * runs in its own process group, killed at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, PROJECT_ROOT } from "../../src/config.js";
import type { ConsentInterrupt } from "../../src/graph/nodes/tools.js";
import { openStore } from "../../src/store/index.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../support/scripted-ollama.js";
import { echoLastQuestion, MODELS, unusedPort } from "../support/graph.js";
import { toolVersion } from "../support/store.js";

/** A tool in the served store that declares a host nobody granted; BRICK calls it for a question about the euro. */
const CONSENT_TOOL = "eur_rate";
const CONSENT_HOST = "api.frankfurter.app";

function brickCallsTheToolAboutTheEuro(request: OllamaChatRequest): ScriptedReply | string {
  const question = String(request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "");
  const answered = request.messages.at(-1)?.role === "tool";
  if (request.model === MODELS.brick && question.includes("euro") && !answered)
    return { toolCalls: [{ name: CONSENT_TOOL, arguments: {} }] };
  return echoLastQuestion(request);
}

describe("LangGraph Studio's dev server", () => {
  let ollama: ScriptedOllama;
  let dir: string;
  let server: ChildProcess;
  let base: string;
  let log = "";

  /** Where the served graph keeps its store and tools (the test reads the same store). */
  const dataEnv = () => ({ DATA_DIR: path.join(dir, "data"), DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools") });

  const api = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${base}${route}`, {
      method,
      // No content-type without a body: the server reads a JSON body on some GET routes.
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status}: ${text}\n--- server log ---\n${log.slice(-3000)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  beforeAll(async () => {
    ollama = await ScriptedOllama.start({ respond: brickCallsTheToolAboutTheEuro });
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-studio-"));
    const store = await openStore(loadConfig(dataEnv()));
    try {
      await store.installToolVersion({ ...toolVersion(CONSENT_TOOL), hosts: [CONSENT_HOST] });
    } finally {
      await store.close();
    }
    // The project's langgraph.json, its graph paths made relative to a temporary directory that it
    // is served from: the server's own files (.langgraph_api/) and any .env stay out of the project.
    // (The dev server joins graph paths onto its directory, so they cannot be absolute.)
    const project = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "langgraph.json"), "utf8")) as { graphs: Record<string, string> };
    const graphs = Object.fromEntries(
      Object.entries(project.graphs).map(([id, spec]) => {
        const [file, symbol] = spec.split(":");
        return [id, `./${path.relative(dir, path.resolve(PROJECT_ROOT, file!))}:${symbol}`];
      }),
    );
    writeFileSync(path.join(dir, "langgraph.json"), JSON.stringify({ ...project, graphs }));

    const port = await unusedPort();
    base = `http://127.0.0.1:${port}`;
    server = spawn(
      path.join(PROJECT_ROOT, "node_modules", ".bin", "langgraphjs"),
      ["dev", "--no-browser", "--host", "127.0.0.1", "--port", String(port), "--config", path.join(dir, "langgraph.json")],
      {
        cwd: dir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          LANGGRAPH_CLI_NO_ANALYTICS: "1",
          LANGSMITH_TRACING: "false",
          OLLAMA_HOST: ollama.url,
          // The defaults, whatever this shell has set.
          BRICK_MODEL: MODELS.brick,
          ROBIN_MODEL: MODELS.robin,
          BABS_MODEL: MODELS.babs,
          ALFRED_MODEL: MODELS.alfred,
          METACOG: "off",
          ...dataEnv(),
        },
      },
    );
    server.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    server.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${base}/ok`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the dev server did not start:\n${log.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      process.kill(-server.pid, "SIGTERM");
      const timer = setTimeout(() => {
        try {
          process.kill(-server.pid!, "SIGKILL");
        } catch {
          // the group is gone already
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    }
    await ollama?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows the graph's six nodes", async () => {
    const graph = (await api("GET", "/assistants/toolforge/graph")) as { nodes: { id: string }[] };
    const nodes = graph.nodes.map((n) => n.id).filter((id) => !id.startsWith("__"));
    expect(nodes.sort()).toEqual(["alfred", "babs", "brick", "robin", "tool_forge", "tools"]);
  });

  it("runs the graph on a thread, keeps its state, and continues it", async () => {
    const thread = (await api("POST", "/threads", {})) as { thread_id: string };
    const first = (await api("POST", `/threads/${thread.thread_id}/runs/wait`, {
      assistant_id: "toolforge",
      input: { messages: [{ role: "user", content: "Hello from Studio" }] },
    })) as { answer: string };
    expect(first.answer).toBe(`${MODELS.alfred} on "Hello from Studio"`);

    const state = (await api("GET", `/threads/${thread.thread_id}/state`)) as {
      values: { answer: string; messages: { type: string; name?: string }[] };
    };
    expect(state.values.answer).toBe(first.answer);
    expect(state.values.messages.map((m) => m.name ?? m.type)).toEqual([
      ...["human", "brick"],
      ...["team_cue", "robin", "team_cue", "babs", "team_cue", "alfred"],
    ]);

    const before = ollama.chatRequests.length;
    const second = (await api("POST", `/threads/${thread.thread_id}/runs/wait`, {
      assistant_id: "toolforge",
      input: { messages: [{ role: "user", content: "And again" }] },
      config: { configurable: { alfredModel: "alfred-studio:1b" } },
    })) as { answer: string; messages: unknown[] };
    expect(second.answer).toBe('alfred-studio:1b on "And again"');
    expect(second.messages).toHaveLength(16);
    // BRICK saw the first turn: the dev server's own checkpointer kept the thread.
    expect(ollama.chatRequests[before]!.messages.some((m) => m.content === "Hello from Studio")).toBe(true);
  });

  it("declares the per-run settings as the graph's configuration schema", async () => {
    const schemas = (await api("GET", "/assistants/toolforge/schemas")) as {
      config_schema: { properties: Record<string, unknown> };
      input_schema: { properties: Record<string, unknown> };
    };
    expect(Object.keys(schemas.config_schema.properties).sort()).toEqual(
      ["alfredModel", "babsModel", "brickModel", "consent", "maxForgesPerTurn", "maxToolRounds", "metacognition", "robinModel"].sort(),
    );
    expect(schemas.input_schema.properties.messages).toMatchObject({ langgraph_type: "messages" });
  });

  it("interrupts a run whose tool asks for a host, and resumes it with the person's answer (deny) through the API", async () => {
    const thread = (await api("POST", "/threads", {})) as { thread_id: string };
    const run = `/threads/${thread.thread_id}/runs/wait`;
    const interrupted = (await api("POST", run, {
      assistant_id: "toolforge",
      input: { messages: [{ role: "user", content: "What is the euro worth in dollars?" }] },
    })) as { __interrupt__?: { value: ConsentInterrupt }[]; answer?: string };
    expect(interrupted.__interrupt__?.[0]?.value).toMatchObject({
      type: "consent",
      requests: [{ tool: CONSENT_TOOL, version: 1, hosts: [CONSENT_HOST], missing: [CONSENT_HOST], denied: [] }],
    });
    expect(interrupted.answer ?? null).toBeNull();
    const paused = (await api("GET", `/threads/${thread.thread_id}/state`)) as {
      next: string[];
      tasks: { name: string; interrupts: { value: ConsentInterrupt }[] }[];
    };
    expect(paused.next).toEqual(["tools"]);
    expect(paused.tasks.find((t) => t.name === "tools")?.interrupts[0]?.value.type).toBe("consent");
    const store = await openStore(loadConfig(dataEnv()));
    try {
      expect(await store.listGrants(CONSENT_TOOL)).toEqual([]);

      const resumed = (await api("POST", run, { assistant_id: "toolforge", command: { resume: { decision: "deny" } } })) as {
        __interrupt__?: unknown[];
        answer: string;
      };
      expect(resumed.__interrupt__ ?? []).toEqual([]);
      expect(resumed.answer).toBe(`${MODELS.alfred} on "What is the euro worth in dollars?"`);
      const grants = await store.listGrants(CONSENT_TOOL);
      expect(grants.map((g) => [g.host, g.decision, g.version])).toEqual([[CONSENT_HOST, "denied", 1]]);
    } finally {
      await store.close();
    }
    const done = (await api("GET", `/threads/${thread.thread_id}/state`)) as {
      next: string[];
      values: { messages: { type: string; content: unknown }[] };
    };
    expect(done.next).toEqual([]);
    // The call was not made: BRICK was told a person denied it.
    const toolReply = done.values.messages.find((m) => m.type === "tool");
    expect(String(toolReply?.content)).toContain(`A person denied "${CONSENT_TOOL}" access to ${CONSENT_HOST}`);
  });
});
