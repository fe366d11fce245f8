/**
 * The agent graph's own cost per user turn, measured with an instant scripted model (replies in one
 * chunk, no delay) over real HTTP with the real ChatOllama client, a real SQLite store and
 * checkpointer, and the live registry. Rows:
 *   - one ChatOllama call to the scripted server: the model I/O floor, for reference;
 *   - a turn without tools (BRICK → ROBIN → BABS → ALFRED: 4 model calls), with and without the
 *     checkpointer;
 *   - a turn with one tool round (BRICK → tools → BRICK → cascade: 5 model calls), the tool a
 *     built-in that runs in process, so the row shows the graph's overhead and not the sandbox's
 *     (the sandbox's cost per call is in the sandbox and forge benchmarks).
 */
import { ChatOllama } from "@langchain/ollama";
import { HumanMessage } from "@langchain/core/messages";
import { measure, type BenchRow } from "./stats.js";
import { ScriptedOllama, type OllamaChatRequest, type ScriptedReply } from "../test/support/scripted-ollama.js";
import { MODELS, startGraph, turn } from "../test/support/graph.js";

export const title = "agent graph";

const RUNS = 30;

function instant(withTool: () => boolean) {
  return (request: OllamaChatRequest): ScriptedReply => {
    if (request.model === MODELS.brick && withTool() && !request.messages.some((m) => m.role === "tool")) {
      return { toolCalls: [{ name: "add_numbers", arguments: { a: 2, b: 3 } }] };
    }
    return { content: `ok from ${request.model}`, chunkSize: 1_000 };
  };
}

export async function run(): Promise<BenchRow[]> {
  let useTool = false;
  const ollama = await ScriptedOllama.start({ respond: instant(() => useTool) });
  const rows: BenchRow[] = [];
  const withCheckpointer = await startGraph({
    ollama,
    builtins: [
      {
        name: "add_numbers",
        description: "Adds two numbers.",
        schema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
        run: async (args) => Number(args.a) + Number(args.b),
      },
    ],
  });
  const without = await startGraph({ ollama, checkpointer: false });
  try {
    const model = new ChatOllama({ baseUrl: ollama.url, model: MODELS.brick });
    rows.push(
      await measure("graph", "one ChatOllama call (scripted, instant)", () => model.invoke([new HumanMessage("hi")]), {
        runs: RUNS,
        note: "model I/O floor",
      }),
    );

    let n = 0;
    rows.push(
      await measure("graph", "turn, no tools, no checkpointer", () => without.graph.invoke(turn(`question ${n++}`)), {
        runs: RUNS,
        note: "4 model calls",
      }),
    );
    rows.push(
      await measure(
        "graph",
        "turn, no tools, SQLite checkpointer",
        () => withCheckpointer.graph.invoke(turn(`question ${n++}`), withCheckpointer.thread(`bench-${n}`)),
        {
          runs: RUNS,
          note: "4 model calls, fresh thread",
        },
      ),
    );
    useTool = true;
    rows.push(
      await measure(
        "graph",
        "turn, one tool round, SQLite checkpointer",
        () => withCheckpointer.graph.invoke(turn(`add ${n++}`), withCheckpointer.thread(`bench-${n}`)),
        {
          runs: RUNS,
          note: "5 model calls + 1 built-in tool call",
        },
      ),
    );
  } finally {
    await withCheckpointer.close();
    await without.close();
    await ollama.close();
  }
  return rows;
}
