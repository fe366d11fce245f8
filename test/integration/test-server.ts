/**
 * Shared by the server, CLI and OpenAI integration tests: the real server (startServer: store,
 * registry, forge, the agent graph) on a free port, in its own DATA_DIR / DYNAMIC_TOOLS_DIR, with
 * each persona on its own scripted model name so a responder can tell who is asking.
 */
import { loadConfig, type Config, type Env } from "../../src/config.js";
import type { Sandbox } from "../../src/sandbox/types.js";
import type { BuiltinTool } from "../../src/tools/registry.js";
import { startServer, type RunningServer } from "../../src/server/start.js";
import { refusingSandbox } from "../support/refusing-sandbox.js";
import type { OllamaChatRequest, ScriptedOllama } from "../support/scripted-ollama.js";
import { tempDirs } from "./cli-harness.js";

export { tempDirs };

export const TEST_MODELS = {
  BRICK_MODEL: "brick:test",
  ROBIN_MODEL: "robin:test",
  BABS_MODEL: "babs:test",
  ALFRED_MODEL: "alfred:test",
  FORGE_MODEL: "forge:test",
} as const;

export type Speaker = "brick" | "robin" | "babs" | "alfred" | "forge";

/** Who sent a recorded chat request (each persona has its own model name here). */
export function speakerOf(request: OllamaChatRequest): Speaker {
  return request.model.split(":")[0] as Speaker;
}

/** Whether any message of the request mentions `text` (to tell which conversation it belongs to). */
export function mentions(request: OllamaChatRequest, text: string): boolean {
  return request.messages.some((m) => typeof m.content === "string" && m.content.includes(text));
}

export interface TestServer {
  server: RunningServer;
  url: string;
  config: Config;
  /** Every log line the server wrote (JSON). */
  logs: string[];
  dir: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  ollama: ScriptedOllama;
  env?: Env;
  /** Default: a sandbox that refuses every job (for tests where nothing runs forged code). */
  sandbox?: Sandbox;
  /** Trusted in-process tools for the registry (fake, instant tools where a sandbox is not the point). */
  builtins?: BuiltinTool[];
  heartbeatMs?: number;
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const dirs = tempDirs();
  const config = loadConfig({
    OLLAMA_HOST: options.ollama.url,
    HOST: "127.0.0.1",
    PORT: "0",
    SANDBOX_POOL_SIZE: "0",
    ...TEST_MODELS,
    ...dirs.env,
    ...options.env,
  });
  const logs: string[] = [];
  try {
    const server = await startServer(config, {
      runtimeOverrides: { sandbox: options.sandbox ?? refusingSandbox, ...(options.builtins ? { builtins: options.builtins } : {}) },
      handleSignals: false,
      logDestination: { write: (line: string) => void logs.push(line) },
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    });
    return {
      server,
      url: server.url,
      config,
      logs,
      dir: dirs.dir,
      close: async () => {
        await server.close();
        dirs.cleanup();
      },
    };
  } catch (error) {
    dirs.cleanup();
    throw error;
  }
}

/** A responder for the four personas: BRICK analyses, ROBIN and BABS comment, ALFRED answers `answer(question)`. */
export function cascade(answer: (request: OllamaChatRequest) => string) {
  return (request: OllamaChatRequest): string => {
    const speaker = speakerOf(request);
    if (speaker === "alfred") return answer(request);
    return `${speaker.toUpperCase()} notes: nothing to add.`;
  };
}
