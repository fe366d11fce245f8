/**
 * `toolforge tools list | show NAME | rollback NAME [VERSION]`: the tool registry, from a running
 * server (GET /tools, GET /tools/:name, POST /tools/:name/rollback) or, with --local, straight
 * from the store in DATA_DIR / ARANGO_URL.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { InvalidInputError } from "../../errors.js";
import type { Store } from "../../store/types.js";
import type { rollbackToolJson, summaryJson, toolDetailJson } from "../../server/routes/tools.js";
import { paint } from "../output.js";
import { ServerClient, serverTarget, withServerOptions } from "../server-client.js";

type ToolJson = ReturnType<typeof summaryJson>;
type ToolDetail = Awaited<ReturnType<typeof toolDetailJson>>;
type RollbackJson = Awaited<ReturnType<typeof rollbackToolJson>>;

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
  close(): Promise<void>;
}

async function openSource(options: SourceOptions): Promise<ToolsSource> {
  const config = loadConfig();
  if (options.local) {
    const [{ openStore }, { rollbackToolJson, summaryJson, toolDetailJson }] = await Promise.all([
      import("../../store/index.js"),
      import("../../server/routes/tools.js"),
    ]);
    const store: Store = await openStore(config);
    return {
      list: async () => (await store.listTools()).map(summaryJson),
      show: (name) => toolDetailJson(store, name),
      rollback: (name, version) => rollbackToolJson(store, name, version),
      close: () => store.close(),
    };
  }
  const client = new ServerClient(serverTarget(options, config));
  const path = (name: string) => `/tools/${encodeURIComponent(name)}`;
  return {
    list: async () => (await client.json<{ tools: ToolJson[] }>("GET", "/tools")).tools,
    show: (name) => client.json<ToolDetail>("GET", path(name)),
    rollback: (name, version) => client.json<RollbackJson>("POST", `${path(name)}/rollback`, version === undefined ? {} : { version }),
    close: async () => undefined,
  };
}

async function withSource<T>(options: SourceOptions, work: (source: ToolsSource) => Promise<T>): Promise<T> {
  const source = await openSource(options);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}

function sourceOptions(command: Command): Command {
  return withServerOptions(command)
    .option("--local", "read the store directly instead of asking a running server")
    .option("--json", "print JSON");
}

export function register(program: Command): void {
  const tools = program.command("tools").description("list, inspect and roll back forged tools");

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

  sourceOptions(tools.command("show").description("show a tool: description, schema, versions and source").argument("<name>", "the tool's name")).action(
    async (name: string, options: SourceOptions) => {
      const tool = await withSource(options, (source) => source.show(name));
      if (options.json) return printJson(tool);
      const out: string[] = [
        `${paint("bold", tool.name)} v${tool.active_version} — ${tool.description}`,
        "",
        "input schema:",
        indent(JSON.stringify(tool.schema, null, 2)),
        "",
        "versions:",
        ...tool.versions.map((v) => `  v${v.version}  ${v.status.padEnd(8)}  ${v.created_at}  sha256 ${v.sha256.slice(0, 12)}`),
        "",
        `source (v${tool.active_version}):`,
        indent(tool.source ?? "(not available)"),
      ];
      process.stdout.write(`${out.join("\n")}\n`);
    },
  );

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
  });
}

function parseVersion(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidInputError(`VERSION must be a whole number of 1 or more, not ${JSON.stringify(text)}`, "`toolforge tools show NAME` lists the versions");
  }
  return value;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function indent(text: string): string {
  return text.replace(/^/gm, "  ");
}
