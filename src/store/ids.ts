/**
 * Names the store accepts, checked the same way by every adapter so that data moves between them.
 * Object ids follow ArangoDB's document-key rules (so `system` is stored as `UvmObjects/system`
 * there) and are accepted bare or with the `UvmObjects/` prefix of the original design.
 */
import { InvalidInputError } from "../errors.js";

export const OBJECT_COLLECTION = "UvmObjects";

const OBJECT_KEY = /^[A-Za-z0-9_\-:.@()+,=;$!*'%]{1,254}$/;
const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const SELECTOR = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

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

export function checkToolName(name: string): string {
  if (!TOOL_NAME.test(name)) {
    throw new InvalidInputError(
      `tool name ${JSON.stringify(name)} is not valid`,
      "use snake_case: a lowercase letter, then lowercase letters, digits or _ (at most 64 characters)",
    );
  }
  return name;
}

export function checkSelector(selector: string): string {
  if (!SELECTOR.test(selector)) {
    throw new InvalidInputError(
      `method selector ${JSON.stringify(selector)} is not valid`,
      "use an identifier: a letter or _, then letters, digits or _ (at most 128 characters)",
    );
  }
  return selector;
}

export function checkVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1) {
    throw new InvalidInputError(`version ${version} is not valid`, "versions are whole numbers from 1");
  }
  return version;
}
