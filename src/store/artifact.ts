/** Checks on forged code before any adapter stores it. */
import { createHash } from "node:crypto";
import { InvalidInputError } from "../errors.js";
import { checkSelector, checkToolName, checkVersion, normaliseObjectId } from "./ids.js";
import { HOST_RULE, hostProblem, MAX_DECLARED_HOSTS, MAX_USED_TOOLS } from "../contract.js";
import type { CodeArtifact, JsonObject, NewMethodVersion, NewToolVersion, ToolOrigin, ToolPin } from "./types.js";
import type { NewToolGrant } from "./grant-types.js";

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
export function checkNewToolVersion(input: NewToolVersion): NewToolVersion & { origin: ToolOrigin; hosts: string[]; uses: ToolPin[] } {
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
  const hosts = input.hosts ?? [];
  if (!Array.isArray(hosts) || hosts.length > MAX_DECLARED_HOSTS || new Set(hosts).size !== hosts.length) {
    throw new InvalidInputError(`${what}: hosts must be at most ${MAX_DECLARED_HOSTS} distinct host names`);
  }
  for (const host of hosts) checkHost(host, what);
  const uses = input.uses ?? [];
  if (!Array.isArray(uses) || uses.length > MAX_USED_TOOLS || new Set(uses.map((pin) => pin?.name)).size !== uses.length) {
    throw new InvalidInputError(`${what}: uses must be at most ${MAX_USED_TOOLS} distinct tools, each pinned to one version`);
  }
  for (const pin of uses) {
    checkToolName(pin.name);
    checkVersion(pin.version);
    if (pin.name === input.toolName) throw new InvalidInputError(`${what}: a tool cannot use itself`);
  }
  return { ...input, origin, hosts, uses: uses.map((pin) => ({ name: pin.name, version: pin.version })) };
}

/** Refuses a host that is not HOST_RULE's shape (`what` names whose it is). */
export function checkHost(host: unknown, what: string): asserts host is string {
  const problem = typeof host === "string" ? hostProblem(host) : "is not a string";
  if (problem !== null) throw new InvalidInputError(`${what}: host ${JSON.stringify(host)} ${problem}`, `a host is ${HOST_RULE}`);
}

/** Validates a person's answer for a tool's host before any adapter writes it. */
export function checkNewToolGrant(input: NewToolGrant): NewToolGrant {
  checkToolName(input.toolName);
  const what = `the grant for tool "${input.toolName}"`;
  checkHost(input.host, what);
  if (!Number.isSafeInteger(input.version) || input.version < 1)
    throw new InvalidInputError(`${what}: version ${input.version} is not a version number`);
  if (input.decision !== "granted" && input.decision !== "denied")
    throw new InvalidInputError(`${what}: decision must be "granted" or "denied"`);
  const credential = input.credential ?? null;
  if (credential !== null) {
    if (input.decision !== "granted") throw new InvalidInputError(`${what}: a denial carries no credential`);
    if (
      !/^[A-Za-z0-9-]{1,64}$/.test(credential.header) ||
      /^(host|connection|content-length|transfer-encoding|cookie)$/i.test(credential.header)
    ) {
      throw new InvalidInputError(
        `${what}: ${JSON.stringify(credential.header)} cannot carry a credential`,
        "use a header such as Authorization or X-Api-Key",
      );
    }
    if (typeof credential.value !== "string" || credential.value === "" || /[\r\n]/.test(credential.value)) {
      throw new InvalidInputError(`${what}: the credential's value must be one line of text`);
    }
  }
  if (input.privateNetwork !== undefined && typeof input.privateNetwork !== "boolean")
    throw new InvalidInputError(`${what}: privateNetwork must be true or false`);
  return { ...input, credential, privateNetwork: input.privateNetwork === true };
}

/** The event recording an answer publishes (both stores): the credential's header, never its value. */
export function grantEvent(grant: NewToolGrant): { type: "tool.granted" | "tool.denied"; payload: JsonObject } {
  return {
    type: grant.decision === "granted" ? "tool.granted" : "tool.denied",
    payload: {
      name: grant.toolName,
      host: grant.host,
      version: grant.version,
      onlyThisVersion: grant.onlyThisVersion,
      privateNetwork: grant.privateNetwork === true,
      credential: grant.credential ? grant.credential.header : null,
    },
  };
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
