/** Checks on forged code before any adapter stores it. */
import { createHash } from "node:crypto";
import { InvalidInputError } from "../errors.js";
import { checkSelector, checkToolName, normaliseObjectId } from "./ids.js";
import type { CodeArtifact, NewMethodVersion, NewToolVersion, ToolOrigin } from "./types.js";

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Refuses an artifact whose `sha256` is not the hash of its `compiled` code (`what` names it). */
export function verifyArtifact(artifact: CodeArtifact, what: string): void {
  const actual = sha256Hex(artifact.compiled);
  if (artifact.sha256.toLowerCase() !== actual) {
    throw new InvalidInputError(
      `${what}: sha256 ${JSON.stringify(artifact.sha256)} does not match the compiled code (its sha256 is ${actual})`,
      "compute sha256 (hex) over exactly the `compiled` string that is being installed",
    );
  }
}

/** Validates a new tool version before any adapter writes it; returns it with its origin decided. */
export function checkNewToolVersion(input: NewToolVersion): NewToolVersion & { origin: ToolOrigin } {
  checkToolName(input.toolName);
  const what = `tool "${input.toolName}"`;
  const origin = input.origin ?? (input.forgeRunId === null ? "imported" : "forged");
  if (origin !== "forged" && origin !== "added" && origin !== "imported") {
    throw new InvalidInputError(`${what}: origin ${JSON.stringify(origin)} is not valid`, 'use "forged", "added" or "imported"');
  }
  if ((origin === "forged") !== (input.forgeRunId !== null)) {
    throw new InvalidInputError(
      `${what}: origin "${origin}" ${origin === "forged" ? "needs the forge run that made it" : "cannot have a forge run"}`,
      "a forged version carries its forgeRunId; an added or imported one has forgeRunId null",
    );
  }
  if (input.schema === null || typeof input.schema !== "object" || Array.isArray(input.schema)) {
    throw new InvalidInputError(`${what}: schema must be a JSON Schema object`, 'pass e.g. { type: "object", properties: {…} }');
  }
  checkText(input.description, `${what}: description`);
  verifyArtifact(input, what);
  return { ...input, origin };
}

/** Validates a new method version; returns it with the object id normalised. */
export function checkNewMethodVersion(input: NewMethodVersion): NewMethodVersion {
  const objectId = normaliseObjectId(input.objectId);
  checkSelector(input.selector);
  const what = `method "${input.selector}" of object "${objectId}"`;
  checkText(input.description, `${what}: description`);
  verifyArtifact(input, what);
  return { ...input, objectId };
}

function checkText(value: unknown, what: string): void {
  if (typeof value !== "string") throw new InvalidInputError(`${what} must be a string`);
}
