/**
 * Where `chat` and `ask` send their turns: a running server (default), or with --local the agent
 * graph in this process on the configured store and sandbox.
 */
import type { Command } from "commander";
import type { Config } from "../config.js";
import { InvalidInputError } from "../errors.js";
import { threadIdSchema } from "../server/threads.js";
import type { ChatService } from "../server/chat/types.js";
import { grantsInStore, grantsThroughServer, type RecordGrants } from "./grant-answers.js";
import { remoteChat } from "./remote-chat.js";
import { ServerClient, serverTarget, withServerOptions } from "./server-client.js";

export interface ChatTargetOptions {
  local?: boolean;
  url?: string;
  apiKey?: string;
  thread?: string;
}

export interface ChatTarget {
  chat: ChatService;
  /** Where the turns go, for the banner. */
  description: string;
  /** Records a person's answer to a tool that asks for hosts, where the turns go (the server, or this process's store). */
  recordGrants: RecordGrants;
  close(): Promise<void>;
}

export function withChatOptions(command: Command): Command {
  return withServerOptions(command)
    .option("--local", "run the agent in this process (store, sandbox and Ollama from the settings) instead of asking a server")
    .option("--thread <id>", "continue this conversation thread (default: a new one)");
}

/** `--thread`, checked before anything starts: a thread id the server would refuse fails here, once. */
export function checkThreadOption(thread: string | undefined): string | undefined {
  if (thread === undefined) return undefined;
  const parsed = threadIdSchema.safeParse(thread);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(
    `--thread ${JSON.stringify(thread)} is not a valid thread id: it ${parsed.error.issues[0]?.message ?? "is invalid"}`,
    "use printable ASCII without spaces, at most 200 characters (e.g. --thread my-project), or leave it out for a new thread",
  );
}

export async function openChatTarget(options: ChatTargetOptions, config: Config): Promise<ChatTarget> {
  if (options.local) {
    // Loaded only in local mode: a remote chat needs none of the agent's parts.
    const [{ createRuntime }, { createAgentChat }, { serialisePerThread }] = await Promise.all([
      import("../runtime.js"),
      import("../server/agent.js"),
      import("../server/chat/serialised.js"),
    ]);
    const runtime = await createRuntime(config);
    try {
      const chat = serialisePerThread(await createAgentChat(runtime));
      return {
        chat,
        description: `in-process (store: ${runtime.store.location})`,
        recordGrants: grantsInStore({ store: runtime.store, bus: runtime.bus }),
        close: () => runtime.close(),
      };
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }
  const client = new ServerClient(serverTarget(options, config));
  return { chat: remoteChat(client), description: client.url, recordGrants: grantsThroughServer(client), close: async () => undefined };
}
