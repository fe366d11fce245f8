/**
 * Where the command line records a person's answer to a tool asking for hosts: a running server
 * (POST /tools/:name/grants) or, with --local, the store itself through src/tools/grants.ts (the
 * one place every face answers through). `tools grant` and the chat's consent question both use it.
 */
import type { GrantAnswer, GrantsDeps } from "../tools/grants.js";
import type { grantsJson } from "../tools/library-json.js";
import type { ServerClient } from "./server-client.js";

/** A tool's hosts and where each stands, as GET /tools/:name/grants answers. */
export type GrantsJson = Awaited<ReturnType<typeof grantsJson>>;

/** Records an answer for a tool's hosts; resolves to where they stand afterwards. */
export type RecordGrants = (toolName: string, answer: GrantAnswer) => Promise<GrantsJson>;

export function grantsThroughServer(client: ServerClient): RecordGrants {
  return (toolName, { privateNetwork, ...answer }) =>
    client.json<GrantsJson>("POST", `/tools/${encodeURIComponent(toolName)}/grants`, {
      ...answer,
      // The HTTP body's name for it.
      ...(privateNetwork !== undefined ? { private_network: privateNetwork } : {}),
    });
}

export function grantsInStore(deps: GrantsDeps): RecordGrants {
  return async (toolName, answer) => {
    const [{ answerGrants }, { grantsJson }] = await Promise.all([import("../tools/grants.js"), import("../tools/library-json.js")]);
    await answerGrants(deps, toolName, answer);
    return grantsJson(deps.store, toolName);
  };
}
