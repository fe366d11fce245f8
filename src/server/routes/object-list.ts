/**
 * Objects and their messages, read-only (the single object and sending are in ../objects-router.ts):
 *   GET /objects                           → {objects: [{id, prototypes, attributes, methods, revision, …}]}
 *   GET /messages?target_object_id=&limit= → {messages: […]} the object's recent finished messages,
 *                                            newest first, each as GET /message/:id shows it plus
 *                                            `forge_run_id` (the forge run it started, or null)
 *                                            (limit 1–100, default 20). Messages still pending are
 *                                            not listed: poll GET /message/:id for those.
 */
import { Router } from "express";
import { z } from "zod";
import type { Store } from "../../store/types.js";
import { RECENT_LIMIT, type ActivityJournal } from "../console/activity.js";
import { isObjectId, messageJson } from "../objects-router.js";
import { limitParam, noQuery, parseQuery } from "./query.js";

const messagesQuery = z.strictObject({
  target_object_id: z.string({ message: "is required: the id of the object whose messages to list" }).refine(isObjectId, {
    message: "is not a valid object id",
  }),
  limit: limitParam(20, RECENT_LIMIT),
});

export function objectListRouter(store: Store, journal: ActivityJournal): Router {
  const router = Router();

  router.get("/objects", async (req, res) => {
    parseQuery(noQuery, req.query);
    const objects = await store.listObjects();
    const listed = await Promise.all(
      objects.map(async (object) => ({
        id: object.id,
        prototypes: object.prototypes,
        attributes: object.attributes,
        methods: (await store.listMethods(object.id)).map((m) => ({ selector: m.selector, version: m.version })),
        revision: object.revision,
        created_at: object.createdAt,
        updated_at: object.updatedAt,
      })),
    );
    res.json({ objects: listed });
  });

  router.get("/messages", async (req, res) => {
    const query = parseQuery(messagesQuery, req.query);
    const entries = (await journal.recentMessages(query.target_object_id)).slice(0, query.limit);
    const messages = await Promise.all(
      entries.map(async (entry) => {
        const message = await store.getMessage(entry.messageId);
        return message ? { ...messageJson(message), forge_run_id: entry.forgeRunId } : null;
      }),
    );
    res.json({ messages: messages.filter((m) => m !== null) });
  });

  return router;
}
