/**
 * A ChatService that talks to a running server: a streamed /v1/chat/completions on the thread
 * (header `x-thread-id`), read back into the same progress events and result as in-process.
 */
import type { ChatProgress, ChatService, ChatTurnResult } from "../server/chat/types.js";
import type { ConsentRequest } from "../tools/consent.js";
import { serverErrorFrom, type ServerClient } from "./server-client.js";

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
  toolforge?: { event?: ChatProgress; thread_id?: string; tools_used?: string[]; tools_created?: string[]; consent?: ConsentRequest[] };
  error?: { message?: string; code?: string; hint?: string };
}

export function remoteChat(client: ServerClient): ChatService {
  return {
    async run(request, onProgress) {
      const body = { model: "toolforge", stream: true, messages: request.messages };
      let reply = "";
      let result: ChatTurnResult | null = null;
      for await (const message of client.events(
        "POST",
        "/v1/chat/completions",
        body,
        { "x-thread-id": request.threadId },
        request.signal,
      )) {
        if (message.data === "[DONE]") break;
        const chunk = JSON.parse(message.data) as Chunk;
        if (chunk.error) throw serverErrorFrom(200, chunk.error);
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) {
          reply += text;
          onProgress?.({ type: "answer", text });
        }
        const extra = chunk.toolforge;
        if (extra?.event) onProgress?.(extra.event);
        if (extra?.thread_id) {
          result = {
            threadId: extra.thread_id,
            reply,
            toolsUsed: extra.tools_used ?? [],
            toolsCreated: extra.tools_created ?? [],
            consent: extra.consent ?? [],
          };
        }
      }
      if (!result) throw new Error(`the server at ${client.url} ended the stream before the answer was complete`);
      return { ...result, reply };
    },
  };
}
