/**
 * LangGraph Studio's backend (the JS CLI's dev server) serving our langgraph.json: it starts
 * offline on a free port, shows the six nodes, runs the graph on a thread through its HTTP API with
 * the scripted model, keeps the thread's state, and declares the per-run settings as the graph's
 * configuration schema. The server (and the tsx watcher it spawns) runs in its own process group,
 * killed at the end.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.js";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { echoLastQuestion, MODELS, unusedPort } from "../support/graph.js";

describe("LangGraph Studio's dev server", () => {
  let ollama: ScriptedOllama;
  let dir: string;
  let server: ChildProcess;
  let base: string;
  let log = "";

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
    ollama = await ScriptedOllama.start({ respond: echoLastQuestion });
    dir = mkdtempSync(path.join(os.tmpdir(), "toolforge-studio-"));
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
          DATA_DIR: path.join(dir, "data"),
          DYNAMIC_TOOLS_DIR: path.join(dir, "dynamic_tools"),
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
});
