/**
 * Code extraction: find the forged module in the model's reply, the way local models actually
 * write it (liberal in what it accepts; the audit and the sandbox are strict about what runs).
 *
 *   extractModule(reply) → { ok: true, code } | { ok: false, failure }
 *
 * 1. Thinking is never code: `<think>…</think>` (and a lone `</think>`, an unclosed `<think>`) is
 *    removed first with splitThinking (../util/thinking.ts). A draft inside it is never extracted.
 * 2. Candidates are the fenced blocks (CommonMark: a line of three or more backticks or tildes,
 *    indented by at most three spaces, closed by a fence of the same character at least as long)
 *    tagged typescript, ts, javascript, js, mjs, … or untagged. Everything goes through esbuild's
 *    ts loader later, JavaScript included.
 * 3. The module is the block that carries the contract: it exports a default function and `name`
 *    or `test` (or, failing that, any of name / default / test / description / schema, or it is
 *    CommonJS: the audit then says so). Among those the LAST complete (closed) one wins: a draft and
 *    then a corrected module → the corrected one; prose and a usage example, then the module → the
 *    module. Exports are read from the compiled code when the block compiles, from the text when it
 *    does not (a module with a syntax error is still the module: the compiler says where).
 * 4. No fenced module: the module written as bare text (from its first import/export line to the
 *    last line that ends it, such that it compiles and carries the contract).
 * 5. Nothing carries the contract: the last block tagged as TypeScript or JavaScript, so the audit
 *    can say which exports are missing. Otherwise a failure that says what was found and what to do:
 *    no code at all, only blocks of other languages, a module only inside the thinking, a reply cut
 *    off (an unclosed fence, or an unclosed `<think>`), an empty block.
 *
 * `code` has `\n` line endings and ends with one newline; its line 1 is the first line of the block
 * (the line after the opening fence, or the first line of a bare module), so audit and compiler
 * positions refer to lines of `code`.
 */
import { parse } from "acorn";
import type * as ESTree from "estree";
import { splitThinking } from "../util/thinking.js";
import { compiledOrNull } from "../admission/transpile.js";

export type ExtractResult = { ok: true; code: string } | { ok: false; failure: string };

/** Fence tags of code the ts loader reads (lowercase; "" is an untagged block). */
const CODE_TAGS = new Set(["typescript", "ts", "mts", "cts", "javascript", "js", "mjs", "cjs", "es6", "node", ""]);
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
/** How many end lines a bare module is tried with before giving up. */
const MAX_BARE_ATTEMPTS = 40;

const ANSWER_SHAPE =
  "Answer with exactly one ```typescript block holding the whole module (imports, the exports name, " +
  "description and schema, the default export function and test()), and nothing else in a code block.";
const CONTRACT_PARTS = "`export const name`, `export default function`, `export function test`";

interface Block {
  tag: string;
  lines: string[];
  closed: boolean;
  /** The line (0-based) of its opening fence. */
  start: number;
}

/** How much of the contract a piece of code carries: 2, a module (a default export and name or
 * test); 1, some of the contract, or CommonJS; 0, none. */
type Tier = 0 | 1 | 2;

export function extractModule(reply: string): ExtractResult {
  const text = reply.replace(/\r\n?/g, "\n");
  const { thinking, content } = splitThinking(text);
  const found = findModule(content);
  if (found.ok) return found;

  if (cutOffWhileThinking(text)) {
    return {
      ok: false,
      failure: `The reply was cut off while still thinking (a <think> block is never closed), so it holds no module. Think briefly, close the thinking, then give the module. ${ANSWER_SHAPE}`,
    };
  }
  if (thinking !== "" && findModule(thinking).ok) {
    return {
      ok: false,
      failure: `The module is only inside your thinking (<think>…</think>), which is never read as the answer. After the thinking, write the final module. ${ANSWER_SHAPE}`,
    };
  }
  return found;
}

/** The module in a reply without its thinking, or the failure that says why there is none. */
function findModule(content: string): ExtractResult {
  const blocks = fencedBlocks(content);
  const code = blocks.filter((block) => CODE_TAGS.has(block.tag));
  const complete = code.filter((block) => block.closed && blockCode(block).trim() !== "");

  const best = lastOfHighestTier(complete.map((block) => ({ code: blockCode(block), tier: tierOfCode(blockCode(block)) })));
  if (best) return { ok: true, code: best };

  const cut = code.find((block) => !block.closed);
  if (cut) {
    return {
      ok: false,
      failure: `The ${describeTag(cut.tag)} block is never closed (the reply looks cut off). Keep the answer short: only the module. ${ANSWER_SHAPE}`,
    };
  }

  const bare = bareModule(outsideFences(content, blocks));
  if (bare) return { ok: true, code: bare };

  const tagged = complete.filter((block) => block.tag !== "");
  if (tagged.length > 0) return { ok: true, code: blockCode(tagged[tagged.length - 1]!) };

  const empty = code.find((block) => block.closed && blockCode(block).trim() === "");
  if (empty) return { ok: false, failure: `The ${describeTag(empty.tag)} block is empty. ${ANSWER_SHAPE}` };
  return {
    ok: false,
    failure: `No \`\`\`typescript code block holding the module was found in the reply${describeOthers(blocks)}. ${ANSWER_SHAPE}`,
  };
}

/** The code of the last candidate of the highest tier above 0, or null. */
function lastOfHighestTier(candidates: Array<{ code: string; tier: Tier }>): string | null {
  let best: { code: string; tier: Tier } | null = null;
  for (const candidate of candidates) {
    if (candidate.tier > 0 && (!best || candidate.tier >= best.tier)) best = candidate;
  }
  return best?.code ?? null;
}

function blockCode(block: Block): string {
  return `${block.lines.join("\n").replace(/\s+$/, "")}\n`;
}

// ------------------------------------------------------------------ the contract a piece of code carries

function tierOfCode(code: string): Tier {
  const compiled = compiledOrNull(code);
  const tier = compiled === null ? null : compiledTier(compiled);
  return tier ?? lexicalTier(code);
}

const CONTRACT_EXPORTS = ["name", "description", "schema", "default", "test"];

/** The tier from the compiled ES module's export statements (null when acorn cannot read it). */
function compiledTier(js: string): Tier | null {
  let ast: ESTree.Program;
  try {
    ast = parse(js, { ecmaVersion: "latest", sourceType: "module" }) as unknown as ESTree.Program;
  } catch {
    return null;
  }
  const names = new Set<string>();
  let commonJs = false;
  for (const statement of ast.body) {
    if (statement.type === "ExportDefaultDeclaration") {
      const declaration = statement.declaration as ESTree.Node;
      // esbuild's CommonJS wrapper: `export default require_module();`
      if (
        declaration.type === "CallExpression" &&
        declaration.callee.type === "Identifier" &&
        declaration.callee.name.startsWith("require_")
      )
        commonJs = true;
      else names.add("default");
    } else if (statement.type === "ExportNamedDeclaration") {
      for (const name of declaredNames(statement)) names.add(name);
    }
  }
  return tierOf(names, commonJs);
}

function declaredNames(statement: ESTree.ExportNamedDeclaration): string[] {
  const names = statement.specifiers.map((specifier) =>
    specifier.exported.type === "Identifier" ? specifier.exported.name : String(specifier.exported.value),
  );
  const declaration = statement.declaration;
  if (declaration?.type === "VariableDeclaration") {
    for (const declarator of declaration.declarations) if (declarator.id.type === "Identifier") names.push(declarator.id.name);
  } else if (declaration && "id" in declaration && declaration.id) {
    names.push(declaration.id.name);
  }
  return names;
}

/** For code that does not compile: the export lines as written. */
function lexicalTier(code: string): Tier {
  const names = new Set<string>();
  if (/^\s*export\s+default\b/m.test(code)) names.add("default");
  for (const match of code.matchAll(/^\s*export\s+(?:const|let|var|(?:async\s+)?function\*?)\s+([A-Za-z_$][\w$]*)/gm)) names.add(match[1]!);
  const commonJs = /(^|[^.\w$])(module\.exports|exports\.[A-Za-z_$][\w$]*)\s*=/m.test(code);
  return tierOf(names, commonJs);
}

function tierOf(names: ReadonlySet<string>, commonJs: boolean): Tier {
  if (names.has("default") && (names.has("name") || names.has("test"))) return 2;
  if (commonJs || CONTRACT_EXPORTS.some((name) => names.has(name))) return 1;
  return 0;
}

// ------------------------------------------------------------------ a module written without a fence

/** Lines that can start a module: an import or export (with the comments just above it). */
const MODULE_START = /^\s*(import\s|export\s)/;
/** Lines a module can end on. */
const MODULE_END = /[;})\]`'"]\s*$/;

/** The module written as bare text: from its first import/export line to the last line that ends it. */
function bareModule(text: string): string | null {
  const lines = text.split("\n");
  let start = lines.findIndex((line) => MODULE_START.test(line));
  if (start < 0) return null;
  while (start > 0 && /^\s*(\/\/|\/\*|\*)/.test(lines[start - 1]!)) start--;
  let attempts = 0;
  for (let end = lines.length - 1; end > start && attempts < MAX_BARE_ATTEMPTS; end--) {
    if (!MODULE_END.test(lines[end]!)) continue;
    attempts++;
    const code = `${lines
      .slice(start, end + 1)
      .join("\n")
      .replace(/\s+$/, "")}\n`;
    const compiled = compiledOrNull(code);
    if (compiled === null) continue;
    if (compiledTier(compiled) === 2) return code;
  }
  return null;
}

/** The reply with every fenced block (`blocks`, found in it; fences included) blanked out. */
function outsideFences(content: string, blocks: Block[]): string {
  if (blocks.length === 0) return content;
  const lines = content.split("\n");
  // A block spans its opening fence, its lines and its closing fence (an unclosed one: to the end).
  for (const block of blocks) lines.fill("", block.start, block.start + 1 + block.lines.length + (block.closed ? 1 : 0));
  return lines.join("\n");
}

// ------------------------------------------------------------------ fences and thinking

function fencedBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let open: { fence: string; block: Block } | null = null;
  for (const [index, line] of text.split("\n").entries()) {
    const match = FENCE.exec(line);
    if (open) {
      if (match && isClosing(match, open.fence)) {
        open.block.closed = true;
        open = null;
      } else {
        open.block.lines.push(line);
      }
      continue;
    }
    if (!match) continue;
    const info = match[2]!.trim();
    // A backtick fence's info string may not contain backticks (CommonMark); such a line is text.
    if (match[1]![0] === "`" && info.includes("`")) continue;
    const block: Block = { tag: (info.split(/\s+/)[0] ?? "").toLowerCase(), lines: [], closed: false, start: index };
    blocks.push(block);
    open = { fence: match[1]!, block };
  }
  return blocks;
}

function isClosing(match: RegExpExecArray, fence: string): boolean {
  return match[1]!.startsWith(fence[0]!) && match[1]!.length >= fence.length && match[2]!.trim() === "";
}

/** An opening thinking tag with no closing tag after it: the model was cut off while thinking. */
function cutOffWhileThinking(text: string): boolean {
  const open = /<(think|thinking|reasoning)>/i.exec(text);
  if (!open) return false;
  return !new RegExp(`</${open[1]}>`, "i").test(text.slice(open.index));
}

function describeTag(tag: string): string {
  return tag === "" ? "untagged ```" : `\`\`\`${tag}`;
}

function describeOthers(blocks: Block[]): string {
  if (blocks.length === 0) return " (the reply has no code block at all)";
  const tags = [...new Set(blocks.map((block) => (block.tag === "" ? "an untagged block" : `\`\`\`${block.tag}`)))];
  return ` (found ${tags.join(", ")}, but none of them is a module: it must export its parts, ${CONTRACT_PARTS})`;
}
