/**
 * The library as JSON, one shape for every face that shows it: GET /tools, GET /tools/:name,
 * GET /tools?q= and the rollback answer over HTTP, and `toolforge tools list | show | search |
 * rollback` on the command line.
 */
import type { Store, ToolSummary, ToolVersion } from "../store/types.js";
import type { ToolGrant } from "../store/grant-types.js";
import { grantsOf } from "./grants.js";
import { noSuchTool } from "./no-such-tool.js";
import { selectTools } from "./selection.js";
import type { ToolRegistry } from "./types.js";

/**
 * GET /tools?q='s answer: the tools BRICK would get bound for `q` as the first message of a thread
 * (TOOL_BIND_LIMIT, find_tools included when the library does not fit), each with why. Without the
 * registry (a bare store), the store's best matches.
 */
export async function offeredToolsJson(store: Store, library: { registry: ToolRegistry; bindLimit: number } | undefined, q: string) {
  // The origin GET /tools shows (forged, added, imported); the registry knows only forged or built-in.
  const storedOrigin = async (name: string) => (await store.getTool(name))?.origin ?? "forged";
  if (!library) {
    const hits = await store.searchLibrary(q, { kind: "tool" });
    const tools = [];
    for (const h of hits) tools.push({ name: h.name, description: h.description, origin: await storedOrigin(h.name), reason: "matched" });
    return { query: q, bind_limit: null, tools };
  }
  const selection = await selectTools(library.registry, { text: q, used: [], found: [] }, library.bindLimit);
  const tools = [];
  for (const name of selection.names) {
    const tool = await library.registry.get(name);
    if (!tool) continue;
    const origin = tool.origin === "builtin" ? tool.origin : await storedOrigin(name);
    tools.push({ name, description: tool.description, origin, reason: selection.reasons[name] });
  }
  return { query: q, bind_limit: library.bindLimit, tools };
}

/** GET /tools/:name's answer: the tool, where each host it calls stands (`access`), its active source and every version. */
export async function toolDetailJson(store: Store, name: string) {
  const summary = await store.getTool(name);
  if (!summary) throw noSuchTool(name);
  const versions = await store.listToolVersions(name);
  const active = versions.find((v) => v.version === summary.activeVersion);
  const access = summary.hosts.length > 0 ? (await grantsJson(store, name)).hosts : [];
  const usedBy = (await store.listDependents(name)).map((d) => ({ name: d.name, version: d.version, pinned: d.pinned }));
  return {
    ...summaryJson(summary),
    access,
    uses: active?.uses ?? [],
    used_by: usedBy,
    source: active?.source ?? null,
    versions: versions.map(versionJson),
  };
}

/** Makes `version` (default: the one before the active one) active; POST /tools/:name/rollback's answer. */
export async function rollbackToolJson(store: Store, name: string, version: number | undefined) {
  const before = await store.getTool(name);
  if (!before) throw noSuchTool(name);
  const active = await store.rollbackTool(name, version);
  // Tools that use this one stay on the version they were checked with: say so, and how they follow.
  const pinned = (await store.listDependents(name)).filter((d) => d.pinned === before.activeVersion);
  return {
    name,
    active_version: active.version,
    previous_version: before.activeVersion,
    pinned_dependents: pinned.map((d) => ({ name: d.name, version: d.version, pinned: d.pinned })),
    ...(pinned.length
      ? {
          warning: `${pinned.map((d) => `${d.name} v${d.version}`).join(", ")} still ${pinned.length === 1 ? "uses" : "use"} ${name} v${before.activeVersion} (pinned); \`toolforge tools update NAME\` moves a tool to v${active.version} if its test passes`,
        }
      : {}),
  };
}

/** The JSON of a tool in GET /tools (also what `toolforge tools --local` prints). */
export function summaryJson(tool: ToolSummary) {
  return {
    name: tool.name,
    description: tool.description,
    hosts: tool.hosts,
    active_version: tool.activeVersion,
    version_count: tool.versionCount,
    origin: tool.origin,
    schema: tool.schema,
    updated_at: tool.updatedAt,
  };
}

/** The JSON of one version in GET /tools/:name. */
function versionJson(version: ToolVersion) {
  return {
    version: version.version,
    status: version.status,
    description: version.description,
    schema: version.schema,
    sha256: version.sha256,
    origin: version.origin,
    hosts: version.hosts,
    uses: version.uses,
    forge_run_id: version.forgeRunId,
    created_at: version.createdAt,
    source: version.source,
  };
}

/** GET /tools/:name/grants' answer: the hosts the active version calls, where each stands, every answer given (never a credential). */
export async function grantsJson(store: Store, name: string) {
  const { version, hosts, consent, answers } = await grantsOf(store, name);
  const standing = (host: string) =>
    consent.granted.some((g) => g.host === host) ? "granted" : consent.denied.includes(host) ? "denied" : "not answered";
  return {
    name,
    version,
    hosts: hosts.map((host) => ({
      host,
      status: standing(host),
      credential: consent.granted.find((g) => g.host === host)?.credentialHeader ?? null,
    })),
    answers: answers.map(grantAnswerJson),
  };
}

function grantAnswerJson(grant: ToolGrant) {
  return {
    host: grant.host,
    decision: grant.decision,
    private_network: grant.privateNetwork,
    version: grant.version,
    only_this_version: grant.onlyThisVersion,
    credential: grant.credentialHeader,
    created_at: grant.createdAt,
    revoked_at: grant.revokedAt,
  };
}
