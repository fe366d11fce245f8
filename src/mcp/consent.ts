/**
 * A tool call over MCP that needs a person's grant. A client that supports elicitation
 * (`capabilities.elicitation`) is asked — the person answers in the client, the answer is
 * recorded (src/tools/grants.ts) and the call made; any other client gets the refusal as it is:
 * `isError`, naming the command that grants. A model on the client's side never answers: the
 * elicitation goes to the person using the client.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { errorMessage } from "../errors.js";
import type { ConsentRequest } from "../tools/consent.js";
import { answerGrants } from "../tools/grants.js";
import type { ToolCallOptions, ToolCallOutcome } from "../tools/types.js";
import type { McpDeps } from "./server.js";

const CHOICES = {
  grant: "Allow (this version and later ones)",
  grant_version: "Allow this version only",
  deny: "Deny",
} as const;

export async function callAsking(
  server: Server,
  deps: Pick<McpDeps, "registry" | "store" | "bus" | "diagnostics">,
  name: string,
  args: unknown,
  options: ToolCallOptions = {},
): Promise<ToolCallOutcome> {
  const outcome = await deps.registry.call(name, args, options);
  if (outcome.ok || outcome.kind !== "not_granted" || !outcome.consent) return outcome;
  if (!server.getClientCapabilities()?.elicitation) return outcome;
  const decision = await ask(server, outcome.consent).catch((error: unknown) => {
    deps.diagnostics.warn("mcp", `could not ask the client's person about ${name}: ${errorMessage(error)}`);
    return null;
  });
  if (decision === null) return outcome;
  await answerGrants(deps, name, {
    decision: decision === "deny" ? "deny" : "grant",
    scope: decision === "grant_version" ? "version" : "tool",
    hosts: [...outcome.consent.missing, ...outcome.consent.denied],
  });
  return decision === "deny" ? outcome : deps.registry.call(name, args, options);
}

/** The person's choice, or null when they declined or cancelled the question. */
async function ask(server: Server, request: ConsentRequest): Promise<keyof typeof CHOICES | null> {
  const hosts = [...request.missing, ...request.denied];
  const result = await server.elicitInput({
    message:
      `The tool "${request.tool}" (v${request.version}: ${request.description}) asks to reach ${hosts.join(", ")}. ` +
      "Its code runs in a gVisor sandbox without a network; ToolForge makes these requests for it, to these hosts only.",
    requestedSchema: {
      type: "object",
      properties: {
        decision: { type: "string", title: "Your answer", enum: Object.keys(CHOICES), enumNames: Object.values(CHOICES) },
      },
      required: ["decision"],
    },
  });
  if (result.action !== "accept") return null;
  const decision = result.content?.decision;
  return decision === "grant" || decision === "grant_version" || decision === "deny" ? decision : null;
}
