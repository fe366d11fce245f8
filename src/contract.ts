/**
 * The forged-module contract's names, markers and limits: the ONE definition, imported wherever
 * they are checked (the HTTP door, the store, the forge, the audit, the host's reading of the
 * sandbox's output). A leaf module: it imports nothing from the project.
 *
 * sandbox/runner.mjs runs alone in the container and cannot import TypeScript: it carries a copy of
 * the constants it needs between `BEGIN CONTRACT` / `END CONTRACT` lines, and
 * test/unit/contract-runner-pin.test.ts fails when that copy drifts from this file.
 *
 * Names
 * - A tool's name and a method's selector have one shape: snake_case (a lowercase letter, then
 *   lowercase letters, digits or `_`), at most MAX_NAME_LENGTH characters (Ollama's limit for
 *   function names), and not one of RESERVED_NAMES.
 * - A method's selector may not start with TEACH_PREFIX: that prefix is how a message asks an
 *   object to learn a method, so a method installed under it could never be called.
 * - A message selector (what POST /message and `send` accept) is a selector, or TEACH_PREFIX
 *   followed by a selector (`teach_yourself_to_greet` teaches the method `greet`). Its limit is
 *   therefore MAX_MESSAGE_SELECTOR_LENGTH, and the method it names always fits MAX_NAME_LENGTH.
 */

/** A module longer than this (characters) is refused before compiling (a model answer is never this long). */
export const MAX_SOURCE_CHARS = 200_000;

/**
 * The longest spec (characters) the forge takes, whatever the door: MCP's forge_tool, BRICK's
 * TOOL_REQUIRED (cut to it), a message teaching an object a method. About 1,100 tokens: room for
 * what a tool must do, its input, its output and examples, and a small part of the model's window.
 */
export const MAX_SPEC_CHARS = 4_000;

/** The longest tool name or method selector. */
export const MAX_NAME_LENGTH = 64;

/**
 * The longest `description` a module may export (characters). It is stored with every version,
 * listed by GET /tools and MCP's tools/list, and its first sentence is what BRICK sees: a sentence
 * or two, never a document.
 */
export const MAX_DESCRIPTION_CHARS = 1_000;

/** snake_case, starting with a letter, at most MAX_NAME_LENGTH characters. */
export const NAME_PATTERN = new RegExp(`^[a-z][a-z0-9_]{0,${MAX_NAME_LENGTH - 1}}$`);

/**
 * snake_case words that are never a tool's name or a method's selector: JavaScript's own object
 * machinery (an object's `constructor` and `prototype`, a function's `caller`, `callee`), and names
 * the static audit refuses as strings in any module (so a module exporting them could never pass).
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["constructor", "prototype", "caller", "callee", "dlopen"]);

/** The library's built-in search tool (src/tools/find-tools.ts): bound to BRICK, listed over MCP. */
export const FIND_TOOLS_NAME = "find_tools";

/** The MCP face's own tool that forges a new one (src/mcp/tools.ts). */
export const FORGE_TOOL_NAME = "forge_tool";

/**
 * The names of ToolForge's own tools, in any face: no module is ever installed under one (the
 * admission's toolRefusal refuses it, whoever wrote the module: the forge, `tools add`, POST /tools),
 * because the face would show its own tool and hide the module, or the other way round.
 */
export const RESERVED_TOOL_NAMES: ReadonlySet<string> = new Set([FIND_TOOLS_NAME, FORGE_TOOL_NAME]);

/** `teach_yourself_to_<selector>`: the message that teaches an object the method `<selector>`. */
export const TEACH_PREFIX = "teach_yourself_to_";

/** The longest message selector: the teach prefix and a selector of the longest length. */
export const MAX_MESSAGE_SELECTOR_LENGTH = TEACH_PREFIX.length + MAX_NAME_LENGTH;

/** In words, for messages and hints: what a name must look like. */
export const NAME_RULE = `snake_case: a lowercase letter, then lowercase letters, digits or _ (at most ${MAX_NAME_LENGTH} characters), and not a reserved name (${[...RESERVED_NAMES].join(", ")})`;

/** In words: what a message selector must look like. */
export const MESSAGE_SELECTOR_RULE = `a method name (${NAME_RULE}), or ${TEACH_PREFIX} followed by one`;

/** Why `value` is not a valid name, in words that follow `name "x"`; null when it is one. */
/**
 * A name as a refusal quotes it back: whole when it could be a name, else its start and its length
 * (a name from a request or a model may be megabytes; a reply never echoes all of it).
 */
export function quotedName(value: string): string {
  if (value.length <= MAX_NAME_LENGTH) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, 39) + "…")} (${value.length} characters; a name has at most ${MAX_NAME_LENGTH})`;
}

export function nameProblem(value: string): string | null {
  if (value.length > MAX_NAME_LENGTH) return `is longer than ${MAX_NAME_LENGTH} characters`;
  if (!NAME_PATTERN.test(value)) return "is not snake_case (a lowercase letter, then lowercase letters, digits or _)";
  if (RESERVED_NAMES.has(value)) return `is a reserved name (${[...RESERVED_NAMES].join(", ")} never name a tool or a method)`;
  return null;
}

/** True for a valid tool name (see the top of this file). */
export function isToolName(value: unknown): value is string {
  return typeof value === "string" && NAME_PATTERN.test(value) && !RESERVED_NAMES.has(value);
}

/** True for a valid method selector: a name that does not start with the teach prefix. */
export function isSelector(value: unknown): value is string {
  return isToolName(value) && !value.startsWith(TEACH_PREFIX);
}

/** True for what a message may name: a selector, or the teach prefix followed by one. */
export function isMessageSelector(value: unknown): value is string {
  return isSelector(value) || teachingSkill(value) !== null;
}

/** The selector a teaching message names (`teach_yourself_to_greet` → `greet`), or null. */
export function teachingSkill(value: unknown): string | null {
  if (typeof value !== "string" || !value.startsWith(TEACH_PREFIX)) return null;
  const skill = value.slice(TEACH_PREFIX.length);
  return isSelector(skill) ? skill : null;
}

/** The method a message selector makes the object run or learn: the skill it teaches, or itself. */
export function methodSelectorOf(messageSelector: string): string {
  return teachingSkill(messageSelector) ?? messageSelector;
}

// ------------------------------------------------------------------ tools that use tools

/**
 * A tool that builds on library tools names them: `export const uses = ["factorize", "is_prime"]`
 * (a literal array of tool names), and calls each as `await ctx.tools.factorize({ n })`. The
 * versions it was checked with are pinned at install; the calls run in the same sandboxed job.
 */
export const USES_EXPORT = "uses";
/** The most library tools one module may use directly. */
export const MAX_USED_TOOLS = 8;
/** The most tool versions one call may bring into its job, dependencies of dependencies included. */
export const MAX_DEPENDENCIES = 16;

// ------------------------------------------------------------------ what a module may reach

/**
 * A tool that reaches the world declares the hosts it calls: `export const hosts = ["api.example.com"]`.
 * It reaches them only through the `fetch` of the context its default export is handed (never a
 * network of its own), and only once a person granted each host (src/tools/consent.ts).
 */
export const HOSTS_EXPORT = "hosts";
/** The most hosts one module may declare. */
export const MAX_DECLARED_HOSTS = 8;

/** A host as declared or granted: a DNS name (letters, digits, hyphens, dots) or an IPv4 address, an optional `:port`; lowercase. */
const HOST_PATTERN =
  /^(?=.{1,253}(?::\d+)?$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?::(\d{1,5}))?$/;

/** In words: what a host must look like. */
export const HOST_RULE =
  "a lowercase host name or IPv4 address with an optional :port (e.g. api.example.com or 192.168.1.20:8080), no scheme and no path";

/** Why `value` is not a host a module may declare or a person may grant, in words that follow `host "x"`; null when it is one. */
export function hostProblem(value: string): string | null {
  if (value !== value.trim() || value === "") return "is empty or has spaces around it";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || value.includes("/")) return "has a scheme or a path: give the host alone";
  const match = HOST_PATTERN.exec(value);
  if (!match) return `is not ${HOST_RULE}`;
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return "has a port outside 1–65535";
  return null;
}

/** Name suffixes that only a local network resolves (RFC 6762's .local, RFC 8375's .home.arpa, and the usual private ones). */
const LOCAL_NAME_SUFFIXES = [".local", ".lan", ".home", ".internal", ".intranet", ".localhost", ".home.arpa"];

/**
 * Whether a declared host may be on the person's own network, where its grant may need the
 * "private network" mark (plain http; a name that resolves to private addresses, docs/egress.md):
 * "address" for an IPv4 address (a grant reaches exactly that address; the mark adds plain http),
 * "name" for `localhost`, a one-label name or one under a local-only suffix; null for a public
 * name, which never gets the mark from a consent question. Faces offer the mark for these hosts
 * as an answer of its own, never silently.
 */
export function ownNetworkHost(host: string): "address" | "name" | null {
  const hostname = host.replace(/:\d+$/, "");
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)) return "address";
  if (hostname === "localhost" || !hostname.includes(".")) return "name";
  return LOCAL_NAME_SUFFIXES.some((suffix) => hostname.endsWith(suffix)) ? "name" : null;
}

// ------------------------------------------------------------------ the sandbox runner's protocol

/** The runner's first line on stdout: it is ready for its job. */
export const READY_MARKER = "TOOLFORGE_READY\n";
/** Starts the runner's report line: `TOOLFORGE_REPORT <token> <json>`. */
export const REPORT_MARKER = "TOOLFORGE_REPORT";
export const REPORT_PREFIX = `${REPORT_MARKER} `;
/** The runner's last line on stderr, `TOOLFORGE_STDERR_END <token>`: stderr is complete. */
export const STDERR_END_PREFIX = "TOOLFORGE_STDERR_END ";
/** The runner refuses a report longer than this (characters); the host keeps enough output for it. */
export const REPORT_MAX_CHARS = 512 * 1024;
/**
 * A tool's outside request, runner → host, one line on stdout: `TOOLFORGE_REQUEST <token> <json>`
 * where json is `{id, url, method?, headers?, body?}`. The host answers on the runner's stdin with
 * one JSON line `{id, ok: true, status, statusText, headers, body, bodyEncoding, url, redirected}` or
 * `{id, ok: false, refused}`. Only a job whose tool a person granted hosts is answered at all.
 */
export const REQUEST_PREFIX = "TOOLFORGE_REQUEST ";
/** The most outside requests one tool call may make (each also counts against the call's deadline). */
export const MAX_REQUESTS_PER_CALL = 32;
/** The most outside requests of one call in flight at once; more wait their turn in the runner. */
export const MAX_OPEN_REQUESTS = 4;
/** The longest request line (characters of JSON): the runner refuses a longer request before sending it, the host refuses it unread. */
export const MAX_REQUEST_LINE_CHARS = 1024 * 1024;
