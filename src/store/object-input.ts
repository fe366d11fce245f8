/** Validation of object input shared by the adapters. */
import { InvalidInputError, NotFoundError } from "../errors.js";
import { normaliseObjectId } from "./ids.js";
import type { JsonObject, NewObject } from "./types.js";

interface CheckedNewObject {
  id: string;
  attributes: JsonObject;
  prototypes: string[];
}

export function checkNewObject(input: NewObject): CheckedNewObject {
  const id = normaliseObjectId(input.id);
  return { id, attributes: checkAttributes(input.attributes ?? {}, id), prototypes: checkPrototypeList(id, input.prototypes ?? []) };
}

export function checkAttributes(attributes: JsonObject, objectId: string): JsonObject {
  if (attributes === null || typeof attributes !== "object" || Array.isArray(attributes)) {
    throw new InvalidInputError(`attributes of object "${objectId}" must be a JSON object`);
  }
  return attributes;
}

/** Normalises prototype ids and refuses duplicates (a link appears once in the order). */
export function checkPrototypeList(objectId: string, prototypes: readonly string[]): string[] {
  const ids = prototypes.map(normaliseObjectId);
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) {
      throw new InvalidInputError(`object "${objectId}" lists prototype "${id}" twice`, "list each prototype once, in lookup order");
    }
    seen.add(id);
  }
  return ids;
}

export function missingObject(id: string): NotFoundError {
  return new NotFoundError(`no such object "${id}"`, "create it first (POST /objects or genesis for system and nil)");
}

export function objectAlreadyExists(id: string): InvalidInputError {
  return new InvalidInputError(`object "${id}" already exists`, "pick another id, or use ensureObject to reuse it");
}
