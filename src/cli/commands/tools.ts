/**
 * `toolforge tools list | show NAME | rollback NAME [VERSION] | update NAME | search QUERY | add FILE|DIR…`:
 * the tool library, from a running server (GET /tools, GET /tools?q=, GET /tools/:name, POST /tools,
 * POST /tools/:name/rollback, POST /tools/:name/update) or, with --local, straight from the store
 * in DATA_DIR / ARANGO_URL (and, for `add` and `update`, the local gVisor sandbox).
 */
import type { Runtime } from "../../runtime.js";
import type { Command } from "commander";
import { loadConfig, type Config } from "../../config.js";
import { InvalidInputError } from "../../errors.js";
import type { Store } from "../../store/types.js";
import { inParallel } from "../../util/in-parallel.js";
import type { GrantAnswer } from "../../tools/grants.js";
import type { offeredToolsJson, rollbackToolJson, summaryJson, toolDetailJson } from "../../tools/library-json.js";
import type { addedJson, AddOutcome, ModuleSource, updatedJson } from "../../admission/index.js";
import { ServerError } from "../failure.js";
import { grantsInStore, grantsThroughServer, type GrantsJson } from "../grant-answers.js";
import { registerGrants } from "../tool-grants.js";
import { paint } from "../output.js";
import { ServerClient, serverTarget, withServerOptions } from "../server-client.js";

type ToolJson = ReturnType<typeof summaryJson>;
type ToolDetail = Awaited<ReturnType<typeof toolDetailJson>>;
type RollbackJson = Awaited<ReturnType<typeof rollbackToolJson>>;
type OfferedJson = Awaited<ReturnType<typeof offeredToolsJson>>;
type AddedJson = ReturnType<typeof addedJson>;
type UpdatedJson = ReturnType<typeof updatedJson>;

interface SourceOptions {
  local?: boolean;
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** Where the tools come from: the server's routes or the store itself. */
interface ToolsSource {
  list(): Promise<ToolJson[]>;
  show(name: string): Promise<ToolDetail>;
  rollback(name: string, version: number | undefined): Promise<RollbackJson>;
  /** Moves a tool's pins to the active versions of the tools it uses, if its test passes against them. */
  update(name: string): Promise<UpdatedJson>;
  search(query: string): Promise<OfferedJson>;
  /** Validates and installs the modules, `jobs` at a time; each comes back added or refused. */
  add(modules: ModuleSource[], jobs: number): Promise<AddOutcome[]>;
  /** A tool's hosts and where each stands (src/tools/grants.ts). */
  grants(name: string): Promise<GrantsJson>;
  /** Records a person's answer for a tool's hosts. */
  answer(name: string, answer: GrantAnswer): Promise<GrantsJson>;
  /** Revokes the standing answers for these hosts. */
  revoke(name: string, hosts: string[]): Promise<GrantsJson>;
  close(): Promise<void>;
}

async function openSource(options: SourceOptions, config: Config = loadConfig()): Promise<ToolsSource> {
  if (options.local) return openLocalSource(config);
  const client = new ServerClient(serverTarget(options, config));
  const path = (name: string) => `/tools/${encodeURIComponent(name)}`;
  return {
    list: async () => (await client.json<{ tools: ToolJson[] }>("GET", "/tools")).tools,
    show: (name) => client.json<ToolDetail>("GET", path(name)),
    rollback: (name, version) => client.json<RollbackJson>("POST", `${path(name)}/rollback`, version === undefined ? {} : { version }),
    update: (name) => client.json<UpdatedJson>("POST", `${path(name)}/update`, {}),
    search: (query) => client.json<OfferedJson>("GET", `/tools?q=${encodeURIComponent(query)}`),
    add: (modules, jobs) =>
      inParallel(modules, jobs, async (module): Promise<AddOutcome> => {
        const started = performance.now();
        try {
          const added = await client.json<AddedJson>("POST", "/tools", { source: module.source, file: module.file });
          return { file: module.file, status: "added", name: added.name, version: added.version, durationMs: added.duration_ms };
        } catch (error) {
          if (!(error instanceof ServerError) || error.code !== "module_refused") throw error;
          const stage = /refused at (\w+)/.exec(error.message)?.[1] ?? "sandbox";
          const reason = error.message.replace(/^the module was refused at \w+: /, "");
          return {
            file: module.file,
            status: "refused",
            stage: stage as "sandbox",
            reason,
            durationMs: Math.round(performance.now() - started),
          };
        }
      }),
    grants: (name) => client.json<GrantsJson>("GET", `${path(name)}/grants`),
    answer: grantsThroughServer(client),
    revoke: async (name, hosts) => {
      let last: GrantsJson | null = null;
      for (const host of hosts) last = await client.json<GrantsJson>("DELETE", `${path(name)}/grants/${encodeURIComponent(host)}`);
      return last ?? client.json<GrantsJson>("GET", `${path(name)}/grants`);
    },
    close: async () => undefined,
  };
}

/** The store (and, only when adding, the sandbox and registry) of this machine. */
async function openLocalSource(config: Config): Promise<ToolsSource> {
  const [{ openStore }, routes] = await Promise.all([import("../../store/index.js"), import("../../tools/library-json.js")]);
  const store: Store = await openStore(config);
  let runtime: Runtime | null = null;
  const library = async () => {
    if (!runtime) {
      const { createRuntime } = await import("../../runtime.js");
      runtime = await createRuntime(config, { store });
    }
    return runtime.admission;
  };
  const searchOnly = async () => {
    const [{ EventBus }, { createToolRegistry }, { toolRegistryOptions }] = await Promise.all([
      import("../../events.js"),
      import("../../tools/registry.js"),
      import("../../runtime.js"),
    ]);
    const noSandbox = { run: async () => Promise.reject(new Error("searching runs no tool")), close: async () => {} };
    // The runtime's own options (EMBED_MODEL's re-ranking included): the search ranks as BRICK's does.
    const registry = await createToolRegistry(toolRegistryOptions(config, { store, sandbox: noSandbox, bus: new EventBus() }));
    return { registry, bindLimit: config.toolBindLimit };
  };
  return {
    list: async () => (await store.listTools()).map(routes.summaryJson),
    show: (name) => routes.toolDetailJson(store, name),
    grants: (name) => routes.grantsJson(store, name),
    answer: grantsInStore({ store }),
    revoke: async (name, hosts) => {
      const { revokeGrants } = await import("../../tools/grants.js");
      await revokeGrants({ store }, name, hosts);
      return routes.grantsJson(store, name);
    },
    rollback: (name, version) => routes.rollbackToolJson(store, name, version),
    update: async (name) => {
      const [admission, { updatedJson }] = await Promise.all([library(), import("../../admission/index.js")]);
      return updatedJson(await admission.updateTool(name));
    },
    search: async (query) => routes.offeredToolsJson(store, await searchOnly(), query),
    add: async (modules, jobs) => {
      const admission = await library();
      return inParallel(modules, jobs, async (module) => admission.addTool(module));
    },
    close: async () => {
      const opened = runtime;
      if (opened) await opened.close(); // the sandbox; the store was passed in and is closed below
      await store.close();
    },
  };
}

export async function withSource<T>(options: SourceOptions, work: (source: ToolsSource) => Promise<T>, config?: Config): Promise<T> {
  const source = await openSource(options, config);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}

export function sourceOptions(command: Command): Command {
  return withServerOptions(command)
    .option("--local", "read the store directly instead of asking a running server")
    .option("--json", "print JSON");
}

export function register(program: Command): void {
  const tools = program.command("tools").description("list, search, add, inspect and roll back tools");

  sourceOptions(tools.command("list").description("list the tools with their active versions")).action(async (options: SourceOptions) => {
    const list = await withSource(options, (source) => source.list());
    if (options.json) return printJson(list);
    if (list.length === 0) {
      process.stdout.write("no tools yet: ask the agent for something it cannot do, and it forges one\n");
      return;
    }
    const width = Math.max(...list.map((t) => t.name.length));
    for (const tool of list) {
      const version = `v${tool.active_version}${tool.version_count > 1 ? ` (${tool.version_count} versions)` : ""}`;
      process.stdout.write(`${paint("bold", tool.name.padEnd(width))}  ${version.padEnd(16)}  ${tool.description}\n`);
    }
  });

  sourceOptions(
    tools.command("show").description("show a tool: description, schema, versions and source").argument("<name>", "the tool's name"),
  ).action(async (name: string, options: SourceOptions) => {
    const tool = await withSource(options, (source) => source.show(name));
    if (options.json) return printJson(tool);
    const out: string[] = [
      `${paint("bold", tool.name)} v${tool.active_version} — ${tool.description}`,
      "",
      "input schema:",
      indent(JSON.stringify(tool.schema, null, 2)),
      "",
      "versions:",
      ...tool.versions.map(
        (v) => `  v${v.version}  ${v.status.padEnd(8)}  ${v.origin.padEnd(8)}  ${v.created_at}  sha256 ${v.sha256.slice(0, 12)}`,
      ),
      ...(tool.uses.length ? ["", `uses (pinned): ${tool.uses.map((u) => `${u.name} v${u.version}`).join(", ")}`] : []),
      ...(tool.used_by.length
        ? ["", `used by: ${tool.used_by.map((d) => `${d.name} v${d.version} (pinned to v${d.pinned})`).join(", ")}`]
        : []),
      ...(tool.access.length
        ? [
            "",
            "reaches (only what a person granted):",
            ...tool.access.map((a) => `  ${a.host.padEnd(32)}  ${a.status}${a.credential ? ` (adds ${a.credential})` : ""}`),
            `  (toolforge tools grant|revoke ${tool.name} HOST…)`,
          ]
        : []),
      "",
      `source (v${tool.active_version}):`,
      indent(tool.source ?? "(not available)"),
    ];
    process.stdout.write(`${out.join("\n")}\n`);
  });

  sourceOptions(
    tools
      .command("rollback")
      .description("make an earlier version of a tool active (default: the one before the active one)")
      .argument("<name>", "the tool's name")
      .argument("[version]", "the version to make active"),
  ).action(async (name: string, version: string | undefined, options: SourceOptions) => {
    const wanted = version === undefined ? undefined : parseVersion(version);
    const result = await withSource(options, (source) => source.rollback(name, wanted));
    if (options.json) return printJson(result);
    process.stdout.write(`${result.name}: v${result.previous_version} → v${result.active_version} is now active\n`);
    if (result.warning) process.stderr.write(`${paint("yellow", "note:", process.stderr)} ${result.warning}\n`);
  });

  sourceOptions(
    tools
      .command("update")
      .description("move a tool to the active versions of the tools it uses, if its own test passes against them")
      .argument("<name>", "the tool's name"),
  ).action(async (name: string, options: SourceOptions) => {
    const result = await withSource(options, (source) => source.update(name));
    if (options.json) printJson(result);
    else process.stdout.write(`${describeUpdate(result)}\n`);
    if (result.status === "refused") process.exitCode = 1;
  });

  registerSearchAndAdd(tools);
  registerGrants(tools);
}

function describeUpdate(result: UpdatedJson): string {
  const moves = result.moved.map((m) => `${m.name} v${m.from} → v${m.to}`).join(", ");
  switch (result.status) {
    case "current": {
      const uses = (result.uses ?? []).map((u) => `${u.name} v${u.version}`).join(", ");
      return uses ? `${result.name} v${result.version} already uses the active versions (${uses})` : `${result.name} uses no library tool`;
    }
    case "updated":
      return `${result.name}: v${result.from} → v${result.version} is now active (${moves}; its test passed)`;
    case "refused":
      return `${result.name} stays at v${result.version}: against ${moves} ${result.reason ?? "it was refused"}`;
  }
}

function registerSearchAndAdd(tools: Command): void {
  sourceOptions(
    tools
      .command("search")
      .description("show the tools BRICK would be offered for a request (TOOL_BIND_LIMIT of them, find_tools included)")
      .argument("<query...>", "the request, as a user would write it"),
  ).action(async (words: string[], options: SourceOptions) => {
    const offered = await withSource(options, (source) => source.search(words.join(" ")));
    if (options.json) return printJson(offered);
    if (offered.tools.length === 0) {
      process.stdout.write("no tool in the library matches: BRICK would ask for a new one\n");
      return;
    }
    const width = Math.max(...offered.tools.map((t) => t.name.length));
    for (const tool of offered.tools) {
      process.stdout.write(
        `${paint("bold", tool.name.padEnd(width))}  ${String(tool.reason).padEnd(10)}  ${firstLine(tool.description)}\n`,
      );
    }
  });

  sourceOptions(
    tools
      .command("add")
      .description("validate hand-written tool modules (contract, audit, test in the gVisor sandbox) and install those that pass")
      .argument("<paths...>", "module files (.ts) or directories of them")
      .option("-j, --jobs <n>", "modules validated at once (default: SANDBOX_POOL_SIZE, at least 1)"),
  ).action(async (paths: string[], options: SourceOptions & { jobs?: string }) => {
    const config = loadConfig();
    const { readModuleSources } = await import("../../admission/add.js");
    const modules = (await Promise.all(paths.map((p) => readModuleSources(p)))).flat();
    const jobs = options.jobs === undefined ? Math.max(1, config.sandbox.poolSize) : parseJobs(options.jobs);
    const started = performance.now();
    const outcomes = await withSource(options, (source) => source.add(modules, jobs), config);
    const seconds = (performance.now() - started) / 1000;
    const refused = outcomes.filter((o) => o.status === "refused");
    if (options.json) {
      printJson({ added: outcomes.length - refused.length, refused: refused.length, seconds: Math.round(seconds * 100) / 100, outcomes });
    } else {
      for (const outcome of outcomes) {
        if (outcome.status === "added")
          process.stdout.write(`${paint("green", "added")}    ${outcome.name} v${outcome.version}  (${outcome.file})\n`);
        else process.stdout.write(`${paint("red", "refused")}  ${outcome.file}: ${outcome.stage}: ${outcome.reason}\n`);
      }
      process.stdout.write(`${outcomes.length - refused.length} added, ${refused.length} refused in ${seconds.toFixed(1)} s\n`);
    }
    if (refused.length > 0) process.exitCode = 1;
  });
}

function parseJobs(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 64)
    throw new InvalidInputError(`--jobs must be a whole number from 1 to 64, not ${JSON.stringify(text)}`);
  return value;
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

function parseVersion(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidInputError(
      `VERSION must be a whole number of 1 or more, not ${JSON.stringify(text)}`,
      "`toolforge tools show NAME` lists the versions",
    );
  }
  return value;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function indent(text: string): string {
  return text.replace(/^/gm, "  ");
}
