/**
 * The object routes:
 *   POST /message  {target_object_id, method_name, args?, kwargs?} → 202 {message_id, status: "pending"}
 *                  at once; the message is delivered in the background and its end is recorded on it
 *                  (an unknown target makes the message fail with "no such object …").
 *   GET  /message/:id → {message_id, status: pending|running|done|failed, result?, error?, learned, …}
 *   GET  /objects/:id → attributes, own methods with their versions, prototypes
 *                       (the id bare, `system`, or in the original form, `UvmObjects/system`)
 *   POST /objects  {id, attributes?, prototypes?} → 201 the object; 409 when it exists; 400 when a
 *                  prototype is missing.
 * Bodies are validated with zod; a bad body is a 400 naming the field. The app mounts this router
 * after its JSON body parser and error handler set-up (src/server/app.ts `routers`).
 */
import { Router } from "express";
import { z } from "zod";
import { isMessageSelector, MESSAGE_SELECTOR_RULE } from "../contract.js";
import { InvalidInputError, NotFoundError } from "../errors.js";
import { createObjectSpace, type ObjectDescription, type ObjectSpace, type ObjectSpaceDeps } from "../objects/index.js";
import { normaliseObjectId } from "../store/ids.js";
import type { MessageRecord, Store } from "../store/types.js";
import { HttpError } from "./errors.js";
import { parseBody } from "./validate.js";

export interface ObjectsRouterDeps extends ObjectSpaceDeps {
  /** The object space to use (default: one made from the other deps). */
  objects?: ObjectSpace;
}

const objectId = z.string().refine(isObjectId, {
  message: 'is not a valid object id (letters, digits and _-:.@()+,=;$!*\'%, optionally prefixed with "UvmObjects/")',
});
// The contract's message selector: what the store's checkSelector accepts.
const selector = z.string().refine(isMessageSelector, {
  message: `is not a valid method name: use ${MESSAGE_SELECTOR_RULE}`,
});
const jsonObject = z.record(z.string(), z.json());

const messageBody = z.strictObject({
  target_object_id: objectId,
  method_name: selector,
  args: z.array(z.json()).optional(),
  kwargs: jsonObject.optional(),
});

const objectBody = z.strictObject({
  id: objectId,
  attributes: jsonObject.optional(),
  prototypes: z.array(objectId).optional(),
});

export function createObjectsRouter(deps: ObjectsRouterDeps): Router {
  const objects = deps.objects ?? createObjectSpace(deps);
  const store = deps.store;
  const router = Router();

  router.post("/message", async (req, res) => {
    const body = parseBody(messageBody, req.body);
    const message = await objects.post(body.target_object_id, body.method_name, body.args ?? [], body.kwargs ?? {});
    res.status(202).json({ message_id: message.id, status: "pending" });
  });

  router.get("/message/:id", async (req, res) => {
    const message = await store.getMessage(req.params.id);
    if (!message) throw new NotFoundError(`no message with id "${req.params.id}"`, "POST /message answers with the message_id to poll");
    res.json(messageJson(message));
  });

  router.get("/objects/*id", async (req, res) => {
    const id = req.params.id.join("/");
    res.json(descriptionJson(await objects.describe(id)));
  });

  router.post("/objects", async (req, res) => {
    const body = parseBody(objectBody, req.body);
    const id = normaliseObjectId(body.id);
    const prototypes = (body.prototypes ?? []).map(normaliseObjectId);
    await refuseConflicts(store, id, prototypes);
    const created = await objects.create({ id, attributes: body.attributes ?? {}, prototypes });
    res.status(201).json(descriptionJson({ ...created, methods: [] }));
  });

  return router;
}

/** 409 when the id is taken; 400 naming the first prototype that does not exist. */
async function refuseConflicts(store: Store, id: string, prototypes: string[]): Promise<void> {
  if (await store.getObject(id)) {
    throw new HttpError(409, "object_exists", `an object "${id}" already exists`, {
      hint: `GET /objects/${id} shows it`,
      param: "id",
    });
  }
  for (const [index, prototype] of prototypes.entries()) {
    if (!(await store.getObject(prototype))) {
      throw new HttpError(400, "prototype_missing", `prototypes.${index}: no such object "${prototype}"`, {
        hint: "create the prototype first",
        param: `prototypes.${index}`,
      });
    }
  }
}

export function messageJson(message: MessageRecord) {
  return {
    message_id: message.id,
    target_object_id: message.targetId,
    method_name: message.selector,
    status: message.status,
    ...(message.status === "done" ? { result: message.result } : {}),
    ...(message.error !== null ? { error: message.error } : {}),
    learned: message.learned,
    created_at: message.createdAt,
    started_at: message.startedAt,
    finished_at: message.finishedAt,
  };
}

function descriptionJson(object: ObjectDescription) {
  return {
    id: object.id,
    attributes: object.attributes,
    revision: object.revision,
    prototypes: object.prototypes,
    methods: object.methods.map((method) => ({
      selector: method.selector,
      version: method.version,
      versions: method.versions,
      description: method.description,
      updated_at: method.updatedAt,
      forge_run_id: method.forgeRunId,
      source: method.source,
    })),
    created_at: object.createdAt,
    updated_at: object.updatedAt,
  };
}

/** True for an id the store accepts (normaliseObjectId); its InvalidInputError means no, anything else is a bug. */
export function isObjectId(value: string): boolean {
  try {
    normaliseObjectId(value);
    return true;
  } catch (error) {
    if (error instanceof InvalidInputError) return false;
    throw error;
  }
}
