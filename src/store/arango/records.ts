/** Forge runs with their attempts, messages, and the append-only event log in ArangoDB. */
import { randomUUID } from "node:crypto";
import type { Database } from "arangojs";
import { aql } from "arangojs/aql";
import { InvalidInputError } from "../../errors.js";
import { checkMessageHeld, WorkNotHeldError } from "../ownership.js";
import type { RecordsPart } from "../parts.js";
import { checkEventType, checkLimit, checkRunStillRunning, missingForgeRun, missingMessage, unknownForgeRun } from "../record-input.js";
import type {
  EventQuery,
  ForgeAttempt,
  ForgeRun,
  ForgeRunOutcome,
  ForgeRunQuery,
  JsonObject,
  MessagePatch,
  MessageRecord,
  NewForgeRun,
  NewMessage,
  StoredEvent,
} from "../types.js";
import { COLLECTIONS, type EventDoc, type ForgeAttemptDoc, type ForgeRunDoc, type MessageDoc } from "./collections.js";
import { ARANGO_ERRORS, arangoErrorNum } from "./errors.js";
import { toForgeRun, toMessageRecord } from "./mapping.js";
import { counterCollections, inTransaction, insertEvent, noTransaction, queryAll, queryOne, type Step } from "./transaction.js";

export async function assertForgeRunExists(db: Database, step: Step, forgeRunId: string | null, what: string): Promise<void> {
  if (forgeRunId === null) return;
  const found = await queryOne<boolean>(db, step, aql`RETURN DOCUMENT(${db.collection(COLLECTIONS.forgeRuns)}, ${forgeRunId}) != null`);
  if (!found) throw unknownForgeRun(what, forgeRunId);
}

export class ArangoRecords implements RecordsPart {
  private readonly runs;
  private readonly attempts;
  private readonly messages;
  private readonly events;

  constructor(
    private readonly db: Database,
    /** The owner (store/ownership.ts) of the messages and forge runs this store creates. */
    private readonly ownerId: string,
  ) {
    this.runs = db.collection<ForgeRunDoc>(COLLECTIONS.forgeRuns);
    this.attempts = db.collection<ForgeAttemptDoc>(COLLECTIONS.forgeAttempts);
    this.messages = db.collection<MessageDoc>(COLLECTIONS.messages);
    this.events = db.collection<EventDoc>(COLLECTIONS.events);
  }

  async createForgeRun(input: NewForgeRun): Promise<ForgeRun> {
    if (input.kind !== "tool" && input.kind !== "method")
      throw new InvalidInputError(`forge run kind ${JSON.stringify(input.kind)} is not tool or method`);
    const doc: ForgeRunDoc = {
      _key: randomUUID(),
      kind: input.kind,
      spec: input.spec,
      target: input.target,
      status: "running",
      result: null,
      error: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      ownerId: this.ownerId,
    };
    await this.runs.save(doc);
    return toForgeRun(doc, []);
  }

  async addForgeAttempt(runId: string, attempt: ForgeAttempt): Promise<void> {
    if (!(await this.runs.documentExists(runId))) throw missingForgeRun(runId);
    try {
      await this.attempts.save({ _key: `${runId}:${attempt.number}`, runId, number: attempt.number, attempt });
    } catch (error) {
      if (arangoErrorNum(error) === ARANGO_ERRORS.uniqueConstraintViolated) {
        throw new InvalidInputError(`forge run "${runId}" already has attempt ${attempt.number}`, "number attempts 1, 2, 3, … once each");
      }
      throw error;
    }
  }

  async finishForgeRun(runId: string, outcome: ForgeRunOutcome): Promise<ForgeRun> {
    const updated = await queryOne<ForgeRunDoc>(
      this.db,
      noTransaction,
      aql`
      FOR r IN ${this.runs} FILTER r._key == ${runId} AND r.status == "running"
        UPDATE r WITH { status: ${outcome.status}, result: ${outcome.result ?? null}, error: ${outcome.error ?? null},
                        finishedAt: ${new Date().toISOString()} } IN ${this.runs} OPTIONS { mergeObjects: false }
        RETURN NEW`,
    );
    if (!updated) {
      const run = await this.getForgeRun(runId);
      if (!run) throw missingForgeRun(runId);
      checkRunStillRunning(run);
    }
    const run = await this.getForgeRun(runId);
    if (!run) throw missingForgeRun(runId);
    return run;
  }

  async getForgeRun(id: string): Promise<ForgeRun | null> {
    return (await this.runsWithAttempts(aql`FILTER r._key == ${id}`, 1))[0] ?? null;
  }

  listForgeRuns(options: ForgeRunQuery = {}): Promise<ForgeRun[]> {
    const limit = checkLimit(options.limit);
    return this.runsWithAttempts(options.status ? aql`FILTER r.status == ${options.status}` : aql``, limit);
  }

  async createMessage(input: NewMessage): Promise<MessageRecord> {
    const doc: MessageDoc = {
      _key: randomUUID(),
      targetId: input.targetId,
      selector: input.selector,
      args: input.args,
      kwargs: input.kwargs,
      status: "pending",
      result: null,
      error: null,
      learned: false,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      ownerId: this.ownerId,
    };
    await this.messages.save(doc);
    return toMessageRecord(doc);
  }

  async updateMessage(id: string, patch: MessagePatch): Promise<MessageRecord> {
    const changes = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    // Only the holder updates, only an unfinished message, and only a pending one starts: checked
    // and written in one query, so a message another process took over is never touched here.
    const from = patch.status === "running" ? ["pending"] : ["pending", "running"];
    const updated = await queryOne<MessageDoc>(
      this.db,
      noTransaction,
      aql`
      FOR m IN ${this.messages} FILTER m._key == ${id} AND m.ownerId == ${this.ownerId} AND m.status IN ${from}
        UPDATE m WITH ${changes} IN ${this.messages} OPTIONS { mergeObjects: false, keepNull: true }
        RETURN NEW`,
    );
    if (updated) return toMessageRecord(updated);
    const current = await queryOne<MessageDoc | null>(this.db, noTransaction, aql`RETURN DOCUMENT(${this.messages}, ${id})`);
    if (!current) throw missingMessage(id);
    checkMessageHeld(id, { status: current.status, ownerId: current.ownerId ?? null }, this.ownerId, patch);
    throw new WorkNotHeldError(`message "${id}"`, "it changed while it was being updated");
  }

  async getMessage(id: string): Promise<MessageRecord | null> {
    const doc = await queryOne<MessageDoc | null>(this.db, noTransaction, aql`RETURN DOCUMENT(${this.messages}, ${id})`);
    return doc ? toMessageRecord(doc) : null;
  }

  appendEvent(type: string, payload: JsonObject): Promise<StoredEvent> {
    checkEventType(type);
    return inTransaction(this.db, counterCollections([]), (step) => insertEvent(this.db, step, type, payload, new Date().toISOString()));
  }

  async listEvents(options: EventQuery = {}): Promise<StoredEvent[]> {
    const limit = checkLimit(options.limit);
    const docs = await queryAll<EventDoc>(
      this.db,
      noTransaction,
      aql`
      FOR e IN ${this.events} FILTER e.seq > ${options.afterSeq ?? 0} SORT e.seq LIMIT ${limit} RETURN e`,
    );
    return docs.map((d) => ({ seq: d.seq, type: d.type, payload: d.payload, createdAt: d.createdAt }));
  }

  private async runsWithAttempts(filter: ReturnType<typeof aql>, limit: number): Promise<ForgeRun[]> {
    const rows = await queryAll<{ run: ForgeRunDoc; attempts: ForgeAttempt[] }>(
      this.db,
      noTransaction,
      aql`
      FOR r IN ${this.runs}
        ${filter}
        SORT r.startedAt DESC, r._key DESC
        LIMIT ${limit}
        LET attempts = (FOR a IN ${this.attempts} FILTER a.runId == r._key SORT a.number RETURN a.attempt)
        RETURN { run: r, attempts }`,
    );
    return rows.map((row) => toForgeRun(row.run, row.attempts));
  }
}
