/**
 * Stream transactions and the writes every install shares (counter bumps, event appends).
 * Transactions that bump a counter take the Meta collection EXCLUSIVELY: installs, rollbacks and
 * event appends are serialised, so the registry revision and event sequence never skip or repeat.
 */
import type { Database } from "arangojs";
import { aql, type AqlQuery } from "arangojs/aql";
import type { TransactionCollectionOptions } from "arangojs/transactions";
import { StoreUnavailableError, errorMessage } from "../../errors.js";
import type { JsonObject, StoredEvent } from "../types.js";
import { COLLECTIONS, COUNTERS, type CounterDoc, type CounterKey, type EventDoc } from "./collections.js";

/** Runs one arangojs call inside the transaction (arangojs: each step wraps exactly one request). */
export type Step = <T>(call: () => Promise<T>) => Promise<T>;

/** Outside a transaction: run the call as it is. */
export const noTransaction: Step = (call) => call();

/** Seconds a transaction waits for a lock (e.g. behind another install) before failing. */
const LOCK_TIMEOUT_SECONDS = 60;

export async function inTransaction<T>(
  db: Database,
  collections: TransactionCollectionOptions,
  work: (step: Step) => Promise<T>,
  beforeCommit?: () => void | Promise<void>,
): Promise<T> {
  const trx = await db.beginTransaction(collections, { lockTimeout: LOCK_TIMEOUT_SECONDS });
  let result: T;
  try {
    result = await work((call) => trx.step(call));
    await beforeCommit?.();
  } catch (error) {
    try {
      await trx.abort();
    } catch (abortError) {
      throw new StoreUnavailableError(
        `an ArangoDB transaction failed and could not be aborted (${errorMessage(abortError)})`,
        "the server aborts it when its idle timeout passes; check the server's health and logs",
        new AggregateError([error, abortError]),
      );
    }
    throw error;
  }
  await trx.commit();
  return result;
}

/** All results of an AQL query run through `step`. */
export async function queryAll<T>(db: Database, step: Step, query: AqlQuery<T>): Promise<T[]> {
  const cursor = await step(() => db.query<T>(query));
  return cursor.all();
}

export async function queryOne<T>(db: Database, step: Step, query: AqlQuery<T>): Promise<T | undefined> {
  return (await queryAll(db, step, query))[0];
}

/** Adds one to a counter; the caller's transaction must hold Meta exclusively. */
export async function bumpCounter(db: Database, step: Step, key: CounterKey): Promise<number> {
  const meta = db.collection(COLLECTIONS.meta);
  const value = await queryOne<number>(
    db,
    step,
    aql`
    FOR m IN ${meta} FILTER m._key == ${key}
      UPDATE m WITH { value: m.value + 1 } IN ${meta}
      RETURN NEW.value`,
  );
  if (value === undefined)
    throw new Error(`internal: counter "${key}" is missing from ${COLLECTIONS.meta}; the schema migration did not run`);
  return value;
}

export async function readCounter(db: Database, key: CounterKey): Promise<number> {
  const doc = await db.collection<CounterDoc>(COLLECTIONS.meta).document(key);
  return doc.value;
}

/** Appends an event with the next sequence number; the caller's transaction must hold Meta exclusively and write Events. */
export async function insertEvent(db: Database, step: Step, type: string, payload: JsonObject, at: string): Promise<StoredEvent> {
  const seq = await bumpCounter(db, step, COUNTERS.events);
  const doc: EventDoc = { _key: String(seq), seq, type, payload, createdAt: at };
  await step(() => db.collection<EventDoc>(COLLECTIONS.events).save(doc));
  return { seq, type, payload, createdAt: at };
}

/** The collections every counter-bumping transaction declares. */
export function counterCollections(write: string[], read: string[] = []): TransactionCollectionOptions {
  return { exclusive: [COLLECTIONS.meta], write: [...write, COLLECTIONS.events], read };
}
