/**
 * One call of a forged tool: the consent check (a tool that reaches the world runs only once a
 * person granted every host it declares, src/tools/consent.ts), then the job in the sandbox through
 * the version's loader, then its outcome. Never throws: every way a call can end is an outcome.
 */
import { SandboxBusyError, errorMessage } from "../errors.js";
import type { EventBus, OutsideRequestRecord } from "../events.js";
import type { JobTools, Sandbox, SandboxJob } from "../sandbox/types.js";
import { closureOfPins, type VersionCache } from "./dependencies.js";
import type { EgressHooks } from "../egress/types.js";
import type { Store } from "../store/types.js";
import { consentMessage, consentOf, type Consent, type ConsentRequest } from "./consent.js";
import type { ForgedEntry } from "./forged-loader.js";
import { busyFailure, failure, outcomeFromJob } from "./outcome.js";
import { outsideRequests } from "./outside-requests.js";
import type { RegisteredTool, ToolCallOutcome } from "./types.js";

export interface ForgedCallDeps {
  store: Store;
  sandbox: Sandbox;
  /** Wall-clock limit of one call (default: the sandbox's own). */
  callTimeoutMs: number | undefined;
  maxResultBytes: number;
  /** Where each outside request is announced (tool.request). */
  bus: EventBus | undefined;
  /** Loopback hosts a person granted may be reached (EGRESS_ALLOW_LOOPBACK). */
  allowLoopback: boolean;
  egressHooks?: EgressHooks | undefined;
  /** Tool versions already read, for the versions a tool uses (they never change). */
  versions?: VersionCache | undefined;
}

/** The outside requests' deadline when the call has no timeout of its own (the sandbox's default). */
const DEFAULT_CALL_DEADLINE_MS = 10_000;
/**
 * Outside requests end this much before the call's own deadline (at most a tenth of it), so that a
 * request to a server that never finishes is refused while the tool can still say so.
 */
const OUTSIDE_DEADLINE_MARGIN_MS = 1_000;

/** What the tool still asks a person for (null: it calls no host, or every host stands granted). */
export async function consentRequestFor(store: Store, tool: RegisteredTool): Promise<ConsentRequest | null> {
  if (tool.hosts.length === 0) return null;
  return requestOf(tool, consentOf(tool, await store.listGrants(tool.name)));
}

function requestOf(tool: RegisteredTool, consent: Consent): ConsentRequest | null {
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

export async function callForged(
  deps: ForgedCallDeps,
  entry: ForgedEntry,
  args: unknown,
  elapsed: () => number,
  signal?: AbortSignal | undefined,
): Promise<ToolCallOutcome> {
  const { tool } = entry;
  const timeoutMs = deps.callTimeoutMs;
  let tools: JobTools | undefined;
  if (entry.uses.length > 0) {
    if (!entry.closure) {
      const closure = await closureOfPins(deps.store, tool.name, entry.uses, deps.versions).catch((error: unknown) => ({
        ok: false as const,
        kind: "damaged" as const,
        problem: `the versions it uses could not be read: ${errorMessage(error)}`,
      }));
      if (!closure.ok) return failure("missing_dependency", `${tool.name} cannot run: ${closure.problem}`, elapsed());
      entry.closure = closure.closure;
    }
    tools = entry.closure.tools;
  }
  let onRequest: SandboxJob["onRequest"];
  const requests: OutsideRequestRecord[] = [];
  if (tool.hosts.length > 0) {
    let consent: Consent;
    try {
      consent = consentOf(tool, await deps.store.listGrants(tool.name));
    } catch (error) {
      return failure("sandbox", `${tool.name}'s grants could not be read: ${errorMessage(error)}`, elapsed());
    }
    const request = requestOf(tool, consent);
    if (request) return { ...failure("not_granted", consentMessage(request), elapsed()), consent: request };
    const callMs = timeoutMs ?? DEFAULT_CALL_DEADLINE_MS;
    const deadline = Date.now() + callMs - Math.min(OUTSIDE_DEADLINE_MARGIN_MS, callMs / 10);
    onRequest = await outsideRequests(
      {
        store: deps.store,
        bus: deps.bus,
        allowLoopback: deps.allowLoopback,
        hooks: deps.egressHooks,
        onRecord: (record) => requests.push(record),
      },
      tool,
      consent,
      deadline,
    );
  }
  try {
    const options = {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(signal ? { signal } : {}),
      ...(onRequest ? { onRequest } : {}),
      ...(tools ? { tools } : {}),
    };
    const job = (await entry.loader.run(deps.sandbox, args ?? {}, options)) as Parameters<typeof outcomeFromJob>[1];
    const outcome: ToolCallOutcome = { ...outcomeFromJob(tool.name, job, deps.maxResultBytes, timeoutMs), durationMs: elapsed() };
    return requests.length > 0 ? { ...outcome, requests } : outcome;
  } catch (error) {
    if (error instanceof SandboxBusyError) return busyFailure(tool.name, error, elapsed());
    return failure("sandbox", `${tool.name} could not be run in the sandbox: ${errorMessage(error)}`, elapsed());
  }
}
