/**
 * Wraps a ChatService so that turns on the same thread run one at a time (a conversation's
 * checkpoint must not be written by two turns at once) while different threads run concurrently.
 */
import { KeyedSerial } from "../../util/keyed-serial.js";
import type { ChatService } from "./types.js";

export function serialisePerThread(service: ChatService, lock = new KeyedSerial()): ChatService {
  return {
    run: (request, onProgress) => lock.run(request.threadId, () => service.run(request, onProgress)),
  };
}
