/** The agent graph on a runtime, as the chat service the routes and the CLI use. */
import { createToolForge, type CreateGraphOptions } from "../graph/create.js";
import type { Runtime } from "../runtime.js";
import { createGraphChatService } from "./chat/graph-chat.js";
import type { ChatService } from "./chat/types.js";

export async function createAgentChat(
  runtime: Runtime,
  options: Pick<CreateGraphOptions, "models" | "checkpointer"> = {},
): Promise<ChatService> {
  const { graph } = await createToolForge({ ...options, runtime });
  return createGraphChatService(graph);
}
