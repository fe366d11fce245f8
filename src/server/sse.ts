/**
 * Server-sent events on an express response: the headers, one `data:` frame per message, and
 * heartbeat comments so that proxies and clients keep an idle stream open.
 */
import type { Response } from "express";

export interface SseStream {
  /** Writes one event; `event` names it (omitted: the default "message" event). */
  send(data: unknown, event?: string): void;
  /** Writes a comment line (ignored by clients; used for heartbeats and the greeting). */
  comment(text: string): void;
  /** Writes a raw data line such as OpenAI's `[DONE]`. */
  sendRaw(data: string): void;
  end(): void;
  readonly closed: boolean;
}

export function openSse(res: Response, options: { heartbeatMs?: number } = {}): SseStream {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();

  let closed = false;
  const heartbeat =
    options.heartbeatMs && options.heartbeatMs > 0
      ? setInterval(() => write(`: heartbeat ${new Date().toISOString()}\n\n`), options.heartbeatMs)
      : undefined;
  heartbeat?.unref();
  const stop = () => {
    closed = true;
    if (heartbeat) clearInterval(heartbeat);
  };
  res.on("close", stop);

  function write(text: string): void {
    if (closed || res.writableEnded) return;
    res.write(text);
  }

  return {
    send(data, event) {
      const lines = JSON.stringify(data);
      write(`${event ? `event: ${event}\n` : ""}data: ${lines}\n\n`);
    },
    comment(text) {
      write(`: ${text.replace(/\n/g, " ")}\n\n`);
    },
    sendRaw(data) {
      write(`data: ${data}\n\n`);
    },
    end() {
      if (!res.writableEnded) res.end();
      stop();
    },
    get closed() {
      return closed || res.writableEnded;
    },
  };
}
