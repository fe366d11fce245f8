/**
 * One call of a forged tool: the consent check (a tool that reaches the world runs only once a
 * person granted every host it declares, src/tools/consent.ts), then the job in the sandbox through
 * the version's loader, then its outcome. Never throws: every way a call can end is an outcome.
 */
import { errorMessage } from "../errors.js";
import type { Sandbox } from "../sandbox/types.js";
import type { Store } from "../store/types.js";
import { consentMessage, consentOf, type ConsentRequest } from "./consent.js";
import type { ForgedEntry } from "./forged-loader.js";
import { failure, outcomeFromJob } from "./outcome.js";
import type { RegisteredTool, ToolCallOutcome } from "./types.js";

export interface ForgedCallDeps {
  store: Store;
  sandbox: Sandbox;
  /** Wall-clock limit of one call (default: the sandbox's own). */
  callTimeoutMs: number | undefined;
  maxResultBytes: number;
}

/** What the tool still asks a person for (null: it calls no host, or every host stands granted). */
export async function consentRequestFor(store: Store, tool: RegisteredTool): Promise<ConsentRequest | null> {
  if (tool.hosts.length === 0) return null;
  const consent = consentOf(tool, await store.listGrants(tool.name));
  if (consent.missing.length === 0 && consent.denied.length === 0) return null;
  return {
    tool: tool.name,
    version: tool.version,
    description: tool.description,
    hosts: tool.hosts,
    missing: consent.missing,
    denied: consent.denied,
  };
}

export async function callForged(deps: ForgedCallDeps, entry: ForgedEntry, args: unknown, elapsed: () => number): Promise<ToolCallOutcome> {
  const { tool } = entry;
  let request: ConsentRequest | null;
  try {
    request = await consentRequestFor(deps.store, tool);
  } catch (error) {
    return failure("sandbox", `${tool.name}'s grants could not be read: ${errorMessage(error)}`, elapsed());
  }
  if (request) return { ...failure("not_granted", consentMessage(request), elapsed()), consent: request };
  try {
    const timeoutMs = deps.callTimeoutMs;
    const job = (await entry.loader.run(deps.sandbox, args ?? {}, timeoutMs === undefined ? {} : { timeoutMs })) as Parameters<
      typeof outcomeFromJob
    >[1];
    return { ...outcomeFromJob(tool.name, job, deps.maxResultBytes, timeoutMs), durationMs: elapsed() };
  } catch (error) {
    return failure("sandbox", `${tool.name} could not be run in the sandbox: ${errorMessage(error)}`, elapsed());
  }
}
