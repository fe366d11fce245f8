/**
 * Every setting of ToolForge, in one place: read from the environment (and an optional `.env` in
 * the working directory, which never overrides a variable that is already set), validated with zod.
 * `.env.example` documents each variable; keep the two in step.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";
import { ConfigError } from "./errors.js";

/** The package's own directory (where package.json, sandbox/ and dynamic_tools/ live). */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "toolforge") return dir;
      } catch {
        // not ours or unreadable: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const onOff = z.enum(["on", "off", "true", "false", "1", "0"]).transform((v) => v === "on" || v === "true" || v === "1");
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));
const url = z.url({ protocol: /^https?$/ });
const think = z.enum(["on", "off", "low", "medium", "high", "decisions"]);

/**
 * The one model a first run needs for every persona and the forge: tool calling (Ollama's "tools"
 * capability) and good code in 8B, one `ollama pull` (see the README for why this one).
 */
export const DEFAULT_MODEL = "qwen3:8b";

/** The context window every model call asks for unless NUM_CTX says otherwise (tokens). */
export const DEFAULT_NUM_CTX = 16_384;

const THINK_FORM =
  "on, off, low, medium or high (Ollama's think), or decisions (BRICK: think when choosing what to do, not when reporting tool results)";

/** Each entry: the variable's schema and the accepted form, shown when a value is refused. */
const settings = {
  OLLAMA_HOST: { schema: url.default("http://127.0.0.1:11434"), form: "an http(s) URL, e.g. http://127.0.0.1:11434" },
  BRICK_MODEL: { schema: z.string().min(1).default(DEFAULT_MODEL), form: "an Ollama model tag that supports tools" },
  ROBIN_MODEL: { schema: z.string().min(1).default(DEFAULT_MODEL), form: "an Ollama model tag" },
  BABS_MODEL: { schema: z.string().min(1).default(DEFAULT_MODEL), form: "an Ollama model tag" },
  ALFRED_MODEL: { schema: z.string().min(1).default(DEFAULT_MODEL), form: "an Ollama model tag" },
  FORGE_MODEL: { schema: optionalText, form: "an Ollama model tag (defaults to ALFRED_MODEL)" },
  BRICK_ADAPTER: { schema: optionalText, form: "a path to a LoRA adapter for genesis to attach" },
  ROBIN_ADAPTER: { schema: optionalText, form: "a path to a LoRA adapter for genesis to attach" },
  BABS_ADAPTER: { schema: optionalText, form: "a path to a LoRA adapter for genesis to attach" },
  ALFRED_ADAPTER: { schema: optionalText, form: "a path to a LoRA adapter for genesis to attach" },
  NUM_CTX: { schema: integer(512, 1_048_576).default(DEFAULT_NUM_CTX), form: "a number of tokens from 512 to 1048576" },
  METACOG: { schema: onOff.default(false), form: "on or off" },
  BRICK_THINK: { schema: think.default("decisions"), form: THINK_FORM },
  ROBIN_THINK: { schema: think.default("off"), form: THINK_FORM },
  BABS_THINK: { schema: think.default("off"), form: THINK_FORM },
  ALFRED_THINK: { schema: think.default("off"), form: THINK_FORM },
  FORGE_THINK: { schema: think.default("on"), form: THINK_FORM },
  NOTE_MAX_TOKENS: { schema: integer(32, 4_096).default(200), form: "a number of tokens from 32 to 4096" },
  MODEL_KEEP_ALIVE: {
    schema: optionalText.pipe(
      z
        .string()
        .regex(/^-?\d+(\.\d+)?(ms|s|m|h)?$/)
        .optional(),
    ),
    form: "a duration Ollama reads, e.g. 30m, 2h, 3600 (seconds) or -1 (keep loaded); empty = Ollama's own default",
  },
  MAX_TOOL_ROUNDS: { schema: integer(1, 50).default(6), form: "a whole number from 1 to 50" },
  MAX_FORGES_PER_TURN: { schema: integer(0, 10).default(2), form: "a whole number from 0 to 10" },

  DATA_DIR: { schema: optionalText, form: "a directory path (default: data/ in the project)" },
  DYNAMIC_TOOLS_DIR: { schema: optionalText, form: "a directory path (default: dynamic_tools/ in the project)" },
  ARANGO_URL: { schema: optionalText.pipe(url.optional()), form: "an http(s) URL of an ArangoDB server, e.g. http://127.0.0.1:8529" },
  ARANGO_DB: {
    schema: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/)
      .default("toolforge"),
    form: "a database name (letters, digits, _ and -)",
  },
  ARANGO_USER: { schema: z.string().min(1).default("root"), form: "a user name" },
  ARANGO_PASS: { schema: z.string().default(""), form: "a password (may be empty)" },

  SANDBOX_RUNTIME: {
    schema: z.enum(["runsc", "runc"]).default("runsc"),
    form: "runsc (gVisor, the default) or runc (no security boundary)",
  },
  SANDBOX_IMAGE: { schema: optionalText, form: "a Docker image reference (default: toolforge-sandbox:<runner hash>)" },
  SANDBOX_TIMEOUT_MS: { schema: integer(100, 600_000).default(10_000), form: "milliseconds, from 100 to 600000" },
  SANDBOX_MEMORY_MB: { schema: integer(32, 16_384).default(256), form: "megabytes, from 32 to 16384" },
  SANDBOX_CPUS: { schema: z.coerce.number().min(0.05).max(64).default(0.5), form: "a number of CPUs, from 0.05 to 64 (e.g. 0.5)" },
  SANDBOX_POOL_SIZE: { schema: integer(0, 64).default(2), form: "a whole number from 0 (no pool) to 64" },
  SANDBOX_MAX_CONTAINERS: {
    schema: optionalText.transform((v) => (v === undefined ? undefined : Number(v))).pipe(z.number().int().min(1).max(256).optional()),
    form: "a whole number from 1 to 256 (empty: sized from the machine's CPUs and memory)",
  },
  SANDBOX_JOBS_PER_CONTAINER: {
    schema: integer(1, 10_000).default(100),
    form: "a whole number from 1 (a fresh container per job) to 10000",
  },
  SANDBOX_QUEUE_LIMIT: { schema: integer(0, 100_000).default(64), form: "a whole number from 0 (no waiting) to 100000" },
  SANDBOX_QUEUE_TIMEOUT_MS: { schema: integer(0, 600_000).default(30_000), form: "milliseconds, from 0 to 600000" },

  FORGE_MAX_ATTEMPTS: { schema: integer(1, 10).default(3), form: "a whole number from 1 to 10" },

  TOOL_BIND_LIMIT: { schema: integer(1, 64).default(8), form: "a whole number from 1 to 64" },
  EMBED_MODEL: { schema: optionalText, form: "an Ollama embedding model tag (empty = search without embeddings)" },

  HOST: { schema: z.string().min(1).default("127.0.0.1"), form: "an address to listen on, e.g. 127.0.0.1" },
  PORT: { schema: integer(0, 65_535).default(8000), form: "a TCP port from 0 to 65535" },
  EGRESS_ALLOW_LOOPBACK: {
    schema: onOff.default(false),
    form: "on or off (on only for tests on one machine: a person may then grant loopback hosts; refused unless HOST is a loopback address)",
  },
  TOOLFORGE_API_KEY: { schema: optionalText, form: "any non-empty secret; clients send it as a Bearer token" },
  LOG_LEVEL: {
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    form: "one of fatal, error, warn, info, debug, trace, silent",
  },
} as const;

type Settings = typeof settings;
type Raw = { [K in keyof Settings]: z.output<Settings[K]["schema"]> };

export type PersonaName = "brick" | "robin" | "babs" | "alfred";

/**
 * Whether a model thinks before it answers (sent as Ollama's `think`, and only to models whose
 * /api/show lists the `thinking` capability): on, off, a level (gpt-oss), or `decisions`: on for
 * calls that choose what to do (a new question, after a forge or a failed tool), off for a call
 * that reports tool results that came back fine.
 */
export type ThinkSetting = z.infer<typeof think>;

export interface Config {
  ollamaHost: string;
  models: Record<PersonaName, string> & { forge: string };
  adapters: Partial<Record<PersonaName, string>>;
  /** The context window (tokens) each model call asks Ollama for, at most the model's maximum. */
  numCtx: number;
  metacognition: boolean;
  /** Thinking per persona and for the forge. */
  thinking: Record<PersonaName | "forge", ThinkSetting>;
  /** The most tokens ROBIN's and BABS's notes may take (Ollama's num_predict). */
  noteMaxTokens: number;
  /** Ollama's keep_alive sent with every model call; undefined: Ollama's own default (5 minutes). */
  keepAlive: string | undefined;
  maxToolRounds: number;
  maxForgesPerTurn: number;
  dataDir: string;
  dynamicToolsDir: string;
  arango: { url: string; database: string; user: string; password: string } | null;
  sandbox: {
    runtime: "runsc" | "runc";
    /** An explicit image reference, or undefined to use the image built from sandbox/ (tagged by runner hash). */
    image: string | undefined;
    timeoutMs: number;
    memoryMb: number;
    cpus: number;
    /** Containers kept started and waiting for a job when nothing runs. */
    poolSize: number;
    /** The most containers at once (starting, waiting, running or clearing a job); undefined = sized from the machine. */
    maxContainers: number | undefined;
    /** Jobs one container runs, each in a fresh process, before it is replaced. */
    jobsPerContainer: number;
    /** Jobs that may wait for a container; beyond it a job is refused as busy. */
    queueLimit: number;
    /** The longest a job waits for a container before it is refused as busy. */
    queueTimeoutMs: number;
  };
  forgeMaxAttempts: number;
  /** The most tools BRICK gets bound per model call (built-ins and find_tools included). */
  toolBindLimit: number;
  /** An Ollama embedding model that re-ranks library search results; undefined = BM25 only. */
  embedModel: string | undefined;
  server: { host: string; port: number; apiKey: string | undefined };
  /** Tools may reach loopback hosts a person granted (tests on one machine only; never with a public listen). */
  egressAllowLoopback: boolean;
  logLevel: Raw["LOG_LEVEL"];
}

export type Env = Record<string, string | undefined>;

/** Names of every variable ToolForge reads (used by the docs test and `.env.example`). */
export const SETTING_NAMES = Object.keys(settings) as (keyof Settings)[];

/**
 * Reads the configuration from `env` (default: process.env merged over `./.env`).
 * Throws ConfigError naming every bad variable, its value and the accepted form.
 */
export function loadConfig(env?: Env): Config {
  const source = env ?? { ...readDotenv(path.join(process.cwd(), ".env")), ...process.env };
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, { schema, form }] of Object.entries(settings)) {
    const value = source[name];
    const given = value === undefined || value === "" ? undefined : value;
    const parsed = (schema as z.ZodType).safeParse(given);
    if (parsed.success) raw[name] = parsed.data;
    else problems.push(`${name}=${JSON.stringify(value)} is not valid: expected ${form}`);
  }
  const maxContainers = raw.SANDBOX_MAX_CONTAINERS as number | undefined;
  if (maxContainers !== undefined && typeof raw.SANDBOX_POOL_SIZE === "number" && raw.SANDBOX_POOL_SIZE > maxContainers) {
    problems.push(
      `SANDBOX_POOL_SIZE=${raw.SANDBOX_POOL_SIZE} keeps more containers waiting than SANDBOX_MAX_CONTAINERS=${maxContainers} lets run: lower the first or raise the second`,
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  ${problems.join("\n  ")}\nfix the variable in the environment or in .env (see .env.example)`,
    );
  }
  return toConfig(raw as Raw);
}

function readDotenv(file: string): Env {
  if (!existsSync(file)) return {};
  return parseDotenv(readFileSync(file));
}

function toConfig(r: Raw): Config {
  const resolveDir = (value: string | undefined, fallback: string) => path.resolve(value ?? path.join(PROJECT_ROOT, fallback));
  const adapters: Partial<Record<PersonaName, string>> = {};
  if (r.BRICK_ADAPTER) adapters.brick = r.BRICK_ADAPTER;
  if (r.ROBIN_ADAPTER) adapters.robin = r.ROBIN_ADAPTER;
  if (r.BABS_ADAPTER) adapters.babs = r.BABS_ADAPTER;
  if (r.ALFRED_ADAPTER) adapters.alfred = r.ALFRED_ADAPTER;
  return {
    ollamaHost: r.OLLAMA_HOST.replace(/\/+$/, ""),
    models: {
      brick: r.BRICK_MODEL,
      robin: r.ROBIN_MODEL,
      babs: r.BABS_MODEL,
      alfred: r.ALFRED_MODEL,
      forge: r.FORGE_MODEL ?? r.ALFRED_MODEL,
    },
    adapters,
    numCtx: r.NUM_CTX,
    metacognition: r.METACOG,
    thinking: { brick: r.BRICK_THINK, robin: r.ROBIN_THINK, babs: r.BABS_THINK, alfred: r.ALFRED_THINK, forge: r.FORGE_THINK },
    noteMaxTokens: r.NOTE_MAX_TOKENS,
    keepAlive: r.MODEL_KEEP_ALIVE,
    maxToolRounds: r.MAX_TOOL_ROUNDS,
    maxForgesPerTurn: r.MAX_FORGES_PER_TURN,
    dataDir: resolveDir(r.DATA_DIR, "data"),
    dynamicToolsDir: resolveDir(r.DYNAMIC_TOOLS_DIR, "dynamic_tools"),
    arango: r.ARANGO_URL ? { url: r.ARANGO_URL, database: r.ARANGO_DB, user: r.ARANGO_USER, password: r.ARANGO_PASS } : null,
    sandbox: {
      runtime: r.SANDBOX_RUNTIME,
      image: r.SANDBOX_IMAGE,
      timeoutMs: r.SANDBOX_TIMEOUT_MS,
      memoryMb: r.SANDBOX_MEMORY_MB,
      cpus: r.SANDBOX_CPUS,
      poolSize: r.SANDBOX_POOL_SIZE,
      maxContainers: r.SANDBOX_MAX_CONTAINERS,
      jobsPerContainer: r.SANDBOX_JOBS_PER_CONTAINER,
      queueLimit: r.SANDBOX_QUEUE_LIMIT,
      queueTimeoutMs: r.SANDBOX_QUEUE_TIMEOUT_MS,
    },
    forgeMaxAttempts: r.FORGE_MAX_ATTEMPTS,
    toolBindLimit: r.TOOL_BIND_LIMIT,
    embedModel: r.EMBED_MODEL,
    server: { host: r.HOST, port: r.PORT, apiKey: r.TOOLFORGE_API_KEY },
    egressAllowLoopback: r.EGRESS_ALLOW_LOOPBACK,
    logLevel: r.LOG_LEVEL,
  };
}
