/**
 * The object space: prototype-based objects kept in the store, and message sending between them.
 *
 * `send(target, selector, args, kwargs)`:
 *   1. looks the method up along the receiver's prototype chain (store.lookupMethod);
 *   2. doesNotUnderstand — no method anywhere on the chain: the forge writes one (audit, test and a
 *      dry run on a copy of the receiver, in the sandbox) and installs it on the receiver; the
 *      message is then sent again, once. Refused code is never installed and the message fails
 *      with the forge's reason, including the audit's rule and line;
 *   3. runs the method in the sandbox with `self` = a copy of the receiver's attributes; when it
 *      succeeds, writes `self` back with the expected revision and answers the method's result.
 * Sends to one object are applied one at a time, in order (a queue per object in this process);
 * a write that another process beat (RevisionConflictError) is re-read and re-run, so no update is
 * lost. `teach_yourself_to_<skill>` teaches the method `<skill>` and answers what was learned.
 * Every message is recorded in the store with its times and status, and `message.finished` is
 * published on the bus. A message belongs to the store owner that recorded it; `recover()` resolves
 * the messages of owners that died (see store/ownership.ts and docs/objects.md).
 */
import { processDiagnostics, type Diagnostics } from "../diagnostics.js";
import type { Config } from "../config.js";
import { InvalidInputError, RevisionConflictError, errorMessage } from "../errors.js";
import type { EventBus } from "../events.js";
import type { Forge, ForgeOutcome } from "../forge/types.js";
import type { Sandbox } from "../sandbox/types.js";
import { checkSelector, normaliseObjectId } from "../store/ids.js";
import type {
  JsonObject,
  JsonValue,
  MessageRecord,
  MethodVersion,
  NewObject,
  ObjectRecord,
  RecoveredWork,
  ResolvedMethod,
  Store,
} from "../store/types.js";
import { WorkNotHeldError } from "../store/ownership.js";
import { MethodNotLearnedError, NoSuchObjectError, ObjectContendedError } from "./errors.js";
import { objectFace, type DynamicMethods, type ObjectFace } from "./face.js";
import { invokeMethod } from "./invoke.js";
import { KeyedSerial } from "../util/keyed-serial.js";
import { checkTeaching, taughtSkill, teachingSpec } from "./teach.js";

export interface ObjectSpaceDeps {
  store: Store;
  sandbox: Sandbox;
  forge: Forge;
  bus: EventBus;
  config?: Config;
  /** Where a message that could not be recorded is reported (default: process warnings). */
  diagnostics?: Diagnostics;
}

export interface ObjectSpaceOptions {
  /** How many times a send is re-run after another process changed the object first (default 12). */
  maxConflictRetries?: number;
}

export interface SendOutcome {
  messageId: string;
  result: JsonValue;
  /** True when this message taught the object a method (doesNotUnderstand or teach_yourself_to_). */
  learned: boolean;
}

export interface MethodSummary {
  selector: string;
  /** The active version. */
  version: number;
  versions: number[];
  description: string;
  updatedAt: string;
  /** The active version's source (TypeScript) and the forge run that wrote it (null: not forged). */
  source: string;
  forgeRunId: string | null;
}

export interface ObjectDescription {
  id: string;
  attributes: JsonObject;
  revision: number;
  prototypes: string[];
  methods: MethodSummary[];
  createdAt: string;
  updatedAt: string;
}

export interface ObjectSpace {
  /** Sends a message and waits for its answer; recorded as a message. Throws when it fails. */
  send(target: string, selector: string, args?: JsonValue[], kwargs?: JsonObject): Promise<SendOutcome>;
  /** Records a pending message and delivers it in the background; failures are recorded, never thrown. */
  post(target: string, selector: string, args?: JsonValue[], kwargs?: JsonObject): Promise<MessageRecord>;
  /** The TypeScript face of an object (throws NoSuchObjectError when it does not exist). */
  get<M extends object = DynamicMethods>(id: string): Promise<ObjectFace<M>>;
  /** Attributes, own methods with their versions, and prototypes. */
  describe(id: string): Promise<ObjectDescription>;
  create(input: NewObject): Promise<ObjectRecord>;
  /**
   * Resolves the messages of store owners that died (Store.recoverInterruptedWork): a message that
   * never started is delivered again, in the background; one that was running is failed as
   * "interrupted by a restart" and never run twice. Answers what was resolved.
   */
  recover(): Promise<RecoveredWork>;
  /** Resolves when every message posted (or recovered) so far has finished (for shutdown and tests). */
  settled(): Promise<void>;
}

const DEFAULT_CONFLICT_RETRIES = 12;

interface Delivery {
  learned: boolean;
  /** The forge run this message started (it taught a method, or failed to), for the message.finished event. */
  forgeRunId: string | null;
}

type Settled = { ok: true; outcome: SendOutcome } | { ok: false; error: unknown };

export function createObjectSpace(deps: ObjectSpaceDeps, options: ObjectSpaceOptions = {}): ObjectSpace {
  const { store, sandbox, forge, bus } = deps;
  const maxRetries = options.maxConflictRetries ?? DEFAULT_CONFLICT_RETRIES;
  const queue = new KeyedSerial();
  const background = new Set<Promise<unknown>>();

  async function requireObject(id: string): Promise<ObjectRecord> {
    const object = await store.getObject(id);
    if (!object) throw new NoSuchObjectError(id);
    return object;
  }

  async function record(target: string, selector: string, args: JsonValue[], kwargs: JsonObject): Promise<MessageRecord> {
    return store.createMessage({ targetId: target, selector, args, kwargs });
  }

  /**
   * Runs the message to the end and records how it ended: a failure of the message is recorded on
   * it and returned; only a failure to record (the store itself failing) rejects.
   */
  async function settle(message: MessageRecord): Promise<Settled> {
    const delivery: Delivery = { learned: false, forgeRunId: null };
    try {
      const id = normaliseObjectId(message.targetId);
      const selector = checkSelector(message.selector);
      const result = await queue.run(id, async () => {
        await store.updateMessage(message.id, { status: "running", startedAt: now() });
        return dispatch(id, selector, message.args, message.kwargs, delivery);
      });
      await store.updateMessage(message.id, { status: "done", result, learned: delivery.learned, finishedAt: now() });
      bus.publish({ type: "message.finished", messageId: message.id, status: "done", forgeRunId: delivery.forgeRunId });
      return { ok: true, outcome: { messageId: message.id, result, learned: delivery.learned } };
    } catch (error) {
      // Another process took the message over (this one stalled past its lease): its record counts.
      if (error instanceof WorkNotHeldError) return { ok: false, error };
      await store.updateMessage(message.id, {
        status: "failed",
        error: errorMessage(error),
        learned: delivery.learned,
        finishedAt: now(),
      });
      const forgeRunId = error instanceof MethodNotLearnedError ? error.forgeRunId : delivery.forgeRunId;
      bus.publish({ type: "message.finished", messageId: message.id, status: "failed", forgeRunId });
      return { ok: false, error };
    }
  }

  async function dispatch(id: string, selector: string, args: JsonValue[], kwargs: JsonObject, delivery: Delivery): Promise<JsonValue> {
    const receiver = await requireObject(id);
    const skill = taughtSkill(selector);
    if (skill !== null) return teach(receiver, skill, args, kwargs, delivery);
    let resolved = await store.lookupMethod(id, selector);
    if (!resolved) {
      delivery.forgeRunId = (await learn(receiver, selector, undefined, { args, kwargs })).runId;
      delivery.learned = true;
      resolved = await store.lookupMethod(id, selector);
      if (!resolved) throw new MethodNotLearnedError(id, selector, "the forge reported it installed, but the lookup does not find it");
    }
    return call(receiver, selector, resolved, args, kwargs);
  }

  /** Forges `selector` for the receiver; resolves when it is installed (or already was), else throws. */
  async function learn(
    receiver: ObjectRecord,
    selector: string,
    spec: string | undefined,
    example: { args: JsonValue[]; kwargs: JsonObject } | undefined,
  ): Promise<Extract<ForgeOutcome, { status: "installed" | "reused" }>> {
    const outcome = await forge.forgeMethod({
      objectId: receiver.id,
      selector,
      receiver: structuredClone(receiver.attributes),
      ...(spec === undefined ? {} : { spec }),
      ...(example === undefined ? {} : { example }),
    });
    if (outcome.status === "failed") {
      throw new MethodNotLearnedError(receiver.id, selector, outcome.reason, outcome.runId);
    }
    return outcome;
  }

  async function teach(
    receiver: ObjectRecord,
    skill: string,
    args: JsonValue[],
    kwargs: JsonObject,
    delivery: Delivery,
  ): Promise<JsonValue> {
    const spec = teachingSpec(skill, args, kwargs);
    const known = await store.lookupMethod(receiver.id, skill);
    if (known && spec === undefined) return { learned: skill, version: known.method.version, already_known: true };
    const outcome = await learn(receiver, skill, spec, undefined);
    delivery.learned = outcome.status === "installed";
    delivery.forgeRunId = outcome.runId;
    return outcome.status === "installed"
      ? { learned: skill, version: outcome.version }
      : { learned: skill, version: outcome.version, already_known: true };
  }

  /** Runs the method and writes `self` back; re-reads and re-runs when another process wrote first. */
  async function call(
    receiver: ObjectRecord,
    selector: string,
    resolved: ResolvedMethod,
    args: JsonValue[],
    kwargs: JsonObject,
  ): Promise<JsonValue> {
    let current = receiver;
    let method: MethodVersion = resolved.method;
    for (let attempt = 1; attempt <= maxRetries + 1; attempt++) {
      const outcome = await invokeMethod(sandbox, { objectId: current.id, selector, method, self: current.attributes, args, kwargs });
      if (sameJson(outcome.self, current.attributes)) return outcome.result;
      try {
        await store.updateAttributes(current.id, current.revision, outcome.self);
        return outcome.result;
      } catch (error) {
        if (!(error instanceof RevisionConflictError)) throw error;
        await pause(attempt);
        current = await requireObject(current.id);
        const again = await store.lookupMethod(current.id, selector);
        if (!again) throw new MethodNotLearnedError(current.id, selector, "the method disappeared while the message was retried");
        method = again.method;
      }
    }
    throw new ObjectContendedError(receiver.id, selector, maxRetries + 1);
  }

  function deliverInBackground(message: MessageRecord): void {
    // The message's own failure is recorded on it; what rejects here is the store failing to record.
    const work = settle(message).catch((error: unknown) => {
      (deps.diagnostics ?? processDiagnostics).warn("objects", `message ${message.id} could not be recorded: ${errorMessage(error)}`);
    });
    background.add(work);
    void work.finally(() => background.delete(work));
  }

  function normalised(target: string, selector: string): { id: string; selector: string } {
    if (typeof target !== "string" || typeof selector !== "string") {
      throw new InvalidInputError("a message needs a target object id and a method name, both strings");
    }
    return { id: normaliseObjectId(target), selector: checkSelector(selector) };
  }

  const space: ObjectSpace = {
    async send(target, selector, args = [], kwargs = {}) {
      const message = normalised(target, selector);
      checkTeaching(message.selector, args, kwargs);
      const settled = await settle(await record(message.id, message.selector, args, kwargs));
      if (!settled.ok) throw settled.error;
      return settled.outcome;
    },

    async post(target, selector, args = [], kwargs = {}) {
      const message = normalised(target, selector);
      checkTeaching(message.selector, args, kwargs);
      const recorded = await record(message.id, message.selector, args, kwargs);
      deliverInBackground(recorded);
      return recorded;
    },

    async recover() {
      const work = await store.recoverInterruptedWork();
      for (const messageId of work.interruptedMessages) bus.publish({ type: "message.finished", messageId, status: "failed" });
      for (const message of work.requeued) deliverInBackground(message);
      return work;
    },

    async get<M extends object = DynamicMethods>(id: string) {
      const object = await requireObject(normaliseObjectId(id));
      return objectFace<M>(object.id, {
        send: async (objectId, selector, args, kwargs) => (await space.send(objectId, selector, args, kwargs)).result,
        attributes: async (objectId) => structuredClone((await requireObject(objectId)).attributes),
      });
    },

    async describe(id) {
      const object = await requireObject(normaliseObjectId(id));
      const methods = await store.listMethods(object.id);
      const summaries: MethodSummary[] = [];
      for (const method of methods) {
        const versions = await store.listMethodVersions(object.id, method.selector);
        summaries.push({
          selector: method.selector,
          version: method.version,
          versions: versions.map((v) => v.version).sort((a, b) => a - b),
          description: method.description,
          updatedAt: method.createdAt,
          source: method.source,
          forgeRunId: method.forgeRunId,
        });
      }
      summaries.sort((a, b) => a.selector.localeCompare(b.selector));
      return {
        id: object.id,
        attributes: object.attributes,
        revision: object.revision,
        prototypes: object.prototypes,
        methods: summaries,
        createdAt: object.createdAt,
        updatedAt: object.updatedAt,
      };
    },

    async create(input) {
      return store.createObject({ ...input, id: normaliseObjectId(input.id), prototypes: (input.prototypes ?? []).map(normaliseObjectId) });
    },

    async settled() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  };
  return space;
}

function now(): string {
  return new Date().toISOString();
}

/** A short random pause that grows with the attempt, so two writers stop colliding in lockstep. */
function pause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 10 * attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Structural JSON equality (key order ignored). */
export function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameJson(item, b[i]!));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => key in b && sameJson(a[key]!, b[key]!));
}
