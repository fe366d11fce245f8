/**
 * The static audit of a forged module: the second wall, after the gVisor container (the first).
 * It reads the compiled ES module (what will run), judges it with the rules in ./audit/rules.ts,
 * and reports every finding at a line and column of the TypeScript the model wrote.
 *
 *   auditModule(tsSource, compiledJs, sourceMap?, { contract: "tool" | "method", expectedName? })
 *     → AuditFinding[]   // { rule, line, column, message }; sorted by line, then column
 *
 * - `compiledJs` and `sourceMap` come from transpileModule() (./transpile.ts). Without a source map
 *   the positions are those of the compiled JavaScript.
 * - Lines are 1-based; columns are 1-based (as editors and the model count them).
 * - Rule ids are stable (./audit/rules.ts): security rules say what the code may not do; `contract-*`
 *   rules say what the module must export. An empty array means the module passed.
 * - The audit never throws for anything in the module (a module acorn cannot parse is a `parse`
 *   finding); it throws only for a broken source map or a bug.
 *
 *   formatFindings(findings, tsSource) → the text fed back to the model (rule, line, column, message
 *   and the offending line of its code).
 *
 * Compiler helpers: for a few constructs (decorators, `using`, auto-accessors) esbuild emits helper
 * functions (`var __defProp = Object.defineProperty`, …) with no source position. They are not the
 * model's code, so they are not judged line by line; instead each use of them is refused with
 * `unsupported-syntax` (a helper would hand Object.defineProperty to the module under another name).
 */
import type { AuditFinding } from "../store/types.js";
import { beyondShape, commonJsFinding, commonJsShape } from "./audit/commonjs.js";
import { contractFindings, declaredName, declaredUses, type ModuleContract } from "./audit/contract.js";
import { createPositionMapper, type PositionMapper } from "./audit/positions.js";
import { analyseProgram, childNodes, ProgramInfo, type Node } from "./audit/program.js";
import { isSecurityRule } from "./audit/rules.js";
import { securityFindings, type RawFinding } from "./audit/security.js";

export { AUDIT_RULES, SECURITY_RULES, isContractRule } from "./audit/rules.js";
export type { ModuleContract } from "./audit/contract.js";

export interface AuditOptions {
  contract: ModuleContract;
  /** The snake_case name the module must export (a requested tool name, or a method's selector). */
  expectedName?: string | undefined;
}

export function auditModule(
  tsSource: string,
  compiledJs: string,
  sourceMap: string | object | undefined,
  options: AuditOptions,
): AuditFinding[] {
  const mapper = createPositionMapper(sourceMap);
  const analysed = analyseProgram(compiledJs);
  if (!(analysed instanceof ProgramInfo)) {
    const at = mapper.toSource(analysed.line, analysed.column);
    return [{ rule: "parse", line: at.line, column: at.column, message: `the compiled module does not parse: ${analysed.message}` }];
  }
  const helpers = sourceMap === undefined ? { nodes: new Set<Node>(), findings: [] } : compilerHelpers(analysed, mapper);
  const security = [...helpers.findings, ...securityFindings(analysed, helpers.nodes)];
  const commonJs = commonJsShape(analysed);
  const raw = commonJs
    ? [commonJsFinding(commonJs, options.contract, options.expectedName), ...beyondShape(security, analysed)]
    : [...security, ...contractFindings(analysed, options)];
  return finish(raw, mapper, sourceMap === undefined ? null : tsSource);
}

/**
 * What the compiled module declares, read without running it: its `name` (null when it is not a
 * string literal) and the library tools it names in `export const uses` ([] for none; null when
 * `uses` is not a literal array of names — the audit refuses such a module with `contract-uses`).
 */
export function declaredOf(compiledJs: string): { name: string | null; uses: string[] | null } {
  const analysed = analyseProgram(compiledJs);
  if (!(analysed instanceof ProgramInfo)) return { name: null, uses: null };
  return { name: declaredName(analysed), uses: declaredUses(analysed) };
}

/** True when any finding is a security finding (not only contract problems). */
export function hasSecurityFindings(findings: readonly AuditFinding[]): boolean {
  return findings.some((finding) => isSecurityRule(finding.rule));
}

/** At most this many findings are spelled out for the model (the rest are counted). */
const MAX_FORMATTED = 12;

/** A contract finding about an export that is missing altogether: it has no line of its own to show. */
const MISSING_EXPORT = /^the module must /;

/**
 * The failure text for the model: what was refused, where, the line of its code, and what to do.
 * A message of several lines (the CommonJS finding's expected shape) continues after the code line.
 */
export function formatFindings(findings: readonly AuditFinding[], tsSource: string): string {
  const lines = tsSource.split("\n");
  const count = `${findings.length} finding${findings.length === 1 ? "" : "s"}`;
  const security = findings.some((finding) => isSecurityRule(finding.rule));
  const todo = security ? "Rewrite it without these constructs" : "Give it the shape the contract asks for";
  const out = [`The static audit refused the module (${count}). ${todo}:`];
  for (const finding of findings.slice(0, MAX_FORMATTED)) {
    const [first, ...rest] = finding.message.split("\n");
    out.push(`- line ${finding.line}, column ${finding.column} [${finding.rule}]: ${first}`);
    const text = lines[finding.line - 1];
    if (text !== undefined && text.trim() !== "" && !MISSING_EXPORT.test(finding.message))
      out.push(`    ${finding.line} | ${text.trimEnd().slice(0, 160)}`);
    out.push(...rest);
  }
  if (findings.length > MAX_FORMATTED) out.push(`- … and ${findings.length - MAX_FORMATTED} more`);
  return out.join("\n");
}

/** Maps, de-duplicates and sorts; with the TypeScript at hand, lines are kept inside it. */
function finish(raw: RawFinding[], mapper: PositionMapper, tsSource: string | null): AuditFinding[] {
  const lastLine = tsSource === null ? Number.MAX_SAFE_INTEGER : Math.max(1, tsSource.split("\n").length);
  const seen = new Set<string>();
  const findings: AuditFinding[] = [];
  for (const { rule, message, node } of raw) {
    const start = node ? node.loc?.start : undefined;
    const at = start ? mapper.toSource(start.line, start.column) : { line: 1, column: 1, mapped: true };
    const line = Math.min(at.line, lastLine);
    const key = `${rule}\u0000${line}\u0000${at.column}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({ rule, line, column: at.column, message: at.mapped ? message : `${message} (in code the compiler generated)` });
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule));
}

/** esbuild's helper declarations (top-level `var __x = …` with no source position) and their uses. */
function compilerHelpers(program: ProgramInfo, mapper: PositionMapper): { nodes: Set<Node>; findings: RawFinding[] } {
  const nodes = new Set<Node>();
  const declarators = new Set<Node>();
  for (const statement of program.ast.body) {
    if (statement.type !== "VariableDeclaration" || !statement.loc) continue;
    const generated = statement.declarations.every((d) => d.id.type === "Identifier" && d.id.name.startsWith("__"));
    if (!generated || mapper.isMapped(statement.loc.start.line, statement.loc.start.column)) continue;
    for (const declarator of statement.declarations) declarators.add(declarator);
    addSubtree(statement, nodes);
  }
  const findings: RawFinding[] = [];
  if (declarators.size === 0) return { nodes, findings };
  for (const node of program.nodes) {
    if (nodes.has(node) || node.type !== "Identifier") continue;
    const variable = program.variableOf(node);
    if (variable?.defs.some((def) => declarators.has(def.node))) {
      findings.push({
        rule: "unsupported-syntax",
        message: `this line needs compiler helper code (\`${variable.name}\`): decorators, \`using\` declarations and auto-accessors are not supported in forged modules; write it without them.`,
        node,
      });
    }
  }
  return { nodes, findings };
}

function addSubtree(node: Node, into: Set<Node>): void {
  into.add(node);
  for (const child of childNodes(node)) addSubtree(child, into);
}
