/**
 * GET /events: the event bus as server-sent events. Each event's SSE name is its type
 * (`forge.attempt`, `tool.created`, `tool.called`, `method.learned`, …) and its data the event as
 * JSON with `at`. `?types=tool.created,forge.attempt` filters. A comment greets the client once
 * the subscription is live, and heartbeat comments keep the stream open.
 */
import { Router } from "express";
import type { EventBus } from "../../events.js";
import type { Lifecycle } from "../../service/lifecycle.js";
import { openSse } from "../sse.js";

export interface EventsRouterOptions {
  heartbeatMs: number;
  /** Tracks open streams so that shutdown can end them (they never end on their own). */
  lifecycle: Lifecycle;
}

export function eventsRouter(bus: EventBus, options: EventsRouterOptions): Router {
  const router = Router();
  router.get("/events", (req, res) => {
    const wanted = parseTypes(req.query.types);
    const stream = openSse(res, { heartbeatMs: options.heartbeatMs });
    options.lifecycle.track(stream, res);
    const unsubscribe = bus.subscribe((event) => {
      if (wanted && !wanted.has(event.type)) return;
      stream.send(event, event.type);
    });
    res.on("close", unsubscribe);
    stream.comment(`connected; heartbeat every ${options.heartbeatMs} ms`);
  });
  return router;
}

function parseTypes(value: unknown): Set<string> | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  return new Set(
    value
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  );
}
