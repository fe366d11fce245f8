/**
 * Publishes each chat turn on the event bus (`turn.started`, `turn.finished` / `turn.failed`, and
 * `turn.notice` for what the turn reports besides tool calls and the forge: guards and plans), so
 * that /events, and the console's live view, show turns from every client as they happen.
 */
import { errorMessage } from "../../errors.js";
import type { EventBus } from "../../events.js";
import { truncate } from "../../util/text.js";
import type { ChatService } from "../chat/types.js";

/** How much of the user's message a `turn.started` event carries. */
const TURN_MESSAGE_CHARS = 200;

export function publishTurns(service: ChatService, bus: EventBus): ChatService {
  return {
    async run(request, onProgress) {
      const threadId = request.threadId;
      const message = request.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      bus.publish({ type: "turn.started", threadId, message: truncate(message, TURN_MESSAGE_CHARS) });
      try {
        const result = await service.run(request, (progress) => {
          if (progress.type === "notice") bus.publish({ type: "turn.notice", threadId, text: progress.text });
          onProgress?.(progress);
        });
        bus.publish({
          type: "turn.finished",
          threadId,
          durationMs: elapsed(),
          toolsUsed: result.toolsUsed,
          toolsCreated: result.toolsCreated,
        });
        return result;
      } catch (error) {
        bus.publish({ type: "turn.failed", threadId, durationMs: elapsed(), error: errorMessage(error) });
        throw error;
      }
    },
  };
}
