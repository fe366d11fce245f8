/**
 * Names the store accepts, checked the same way by every adapter so that data moves between them.
 * Object ids follow ArangoDB's document-key rules (so `system` is stored as `UvmObjects/system`
 * there) and are accepted bare or with the `UvmObjects/` prefix of the original design.
 */
import { isMessageSelector, isToolName, MESSAGE_SELECTOR_RULE, NAME_RULE, quotedName } from "../contract.js";
import { InvalidInputError } from "../errors.js";

export const OBJECT_COLLECTION = "UvmObjects";

const OBJECT_KEY = /^[A-Za-z0-9_\-:.@()+,=;$!*'%]{1,254}$/;

/** `UvmObjects/system` → `system`; a bare id is returned as is. Refuses ids ArangoDB could not store. */
export function normaliseObjectId(id: string): string {
  const bare = id.startsWith(`${OBJECT_COLLECTION}/`) ? id.slice(OBJECT_COLLECTION.length + 1) : id;
  if (!OBJECT_KEY.test(bare)) {
    throw new InvalidInputError(
      `object id ${JSON.stringify(id)} is not valid`,
      `use 1–254 characters from letters, digits and _-:.@()+,=;$!*'% (optionally prefixed with "${OBJECT_COLLECTION}/")`,
    );
  }
  return bare;
}

/** A tool name as src/contract.ts defines it. */
export function checkToolName(name: string): string {
  if (!isToolName(name)) throw new InvalidInputError(`tool name ${quotedName(name)} is not valid`, `use ${NAME_RULE}`);
  return name;
}

/**
 * A message selector as src/contract.ts defines it: a method's selector, or `teach_yourself_to_`
 * followed by one (the store keeps both: messages carry either, methods only the first).
 */
export function checkSelector(selector: string): string {
  if (!isMessageSelector(selector)) {
    throw new InvalidInputError(`method selector ${JSON.stringify(selector)} is not valid`, `use ${MESSAGE_SELECTOR_RULE}`);
  }
  return selector;
}

export function checkVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1) {
    throw new InvalidInputError(`version ${version} is not valid`, "versions are whole numbers from 1");
  }
  return version;
}

/** How many conversations `Store.listThreads` answers with when no limit is given. */
export const DEFAULT_THREAD_LIMIT = 50;
