/**
 * Transpile: the forged TypeScript module → ES module JavaScript for the sandbox, with esbuild's
 * `transform` (no type checking: a module that is wrong only in its types still runs, and its own
 * test decides). Options: loader ts, format esm, target node20, no minification, an external source
 * map (the audit maps its findings back to lines of the TypeScript through it), utf8 output.
 *
 *   transpileModule(tsSource) → Promise<TranspileResult>
 *
 * - Success: `{ ok: true, code, map, warnings }`; `map` is the source map as JSON text.
 * - Syntax errors: `{ ok: false, errors, failure }`; each error has a 1-based line and column in the
 *   TypeScript source, and `failure` is the text to feed back to the model (message, line, column,
 *   the offending line and a caret).
 * - Anything else esbuild throws (its service died, a bug) is not the model's fault and propagates.
 *
 * Names: without minification esbuild never renames a function or class, so `keepNames` is off on
 * purpose: with it esbuild injects an `Object.defineProperty` helper (`__name`) into every module,
 * which the audit would have to trust.
 */
import { transform, transformSync, type Message, type TransformFailure, type TransformOptions } from "esbuild";

export interface TranspileMessage {
  /** 1-based line in the TypeScript source. */
  line: number;
  /** 1-based column (in characters) in the TypeScript source. */
  column: number;
  message: string;
  /** The source line the message points at, when known. */
  lineText?: string;
}

export type TranspileResult =
  { ok: true; code: string; map: string; warnings: TranspileMessage[] } | { ok: false; errors: TranspileMessage[]; failure: string };

/** The file name the TypeScript source has in the source map and in esbuild's messages. */
export const SOURCE_FILE = "module.ts";

/** At most this many compiler errors go into the failure text. */
const MAX_REPORTED_ERRORS = 5;

/** The options of every transform (TypeScript and JavaScript alike go through the ts loader). */
const OPTIONS: TransformOptions = {
  loader: "ts",
  format: "esm",
  target: "node20",
  sourcemap: "external",
  sourcesContent: false,
  sourcefile: SOURCE_FILE,
  charset: "utf8",
  minify: false,
  keepNames: false,
  legalComments: "none",
  logLevel: "silent",
};

export async function transpileModule(tsSource: string): Promise<TranspileResult> {
  try {
    const result = await transform(tsSource, OPTIONS);
    return { ok: true, code: result.code, map: result.map, warnings: result.warnings.map(toMessage) };
  } catch (error) {
    if (!isTransformFailure(error)) throw error;
    const errors = error.errors.map(toMessage);
    return { ok: false, errors, failure: formatCompileErrors(errors) };
  }
}

/**
 * The compiled JavaScript when `source` compiles, else null: a synchronous yes/no for code
 * extraction, which asks whether a piece of a reply is code at all (no source map).
 */
export function compiledOrNull(source: string): string | null {
  try {
    return transformSync(source, { ...OPTIONS, sourcemap: false }).code;
  } catch (error) {
    if (isTransformFailure(error)) return null;
    throw error;
  }
}

/** The failure text for compiler errors, as the model will read it. */
function formatCompileErrors(errors: TranspileMessage[]): string {
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  const lines = [`The TypeScript does not compile (${errors.length} error${errors.length === 1 ? "" : "s"}):`];
  for (const error of shown) {
    lines.push(`- line ${error.line}, column ${error.column}: ${error.message}`);
    if (error.lineText !== undefined) {
      const gutter = `    ${error.line} | `;
      lines.push(`${gutter}${error.lineText}`);
      lines.push(`${" ".repeat(gutter.length - 2)}| ${" ".repeat(Math.max(0, error.column - 1))}^`);
    }
  }
  if (errors.length > shown.length) lines.push(`- … and ${errors.length - shown.length} more`);
  return lines.join("\n");
}

function isTransformFailure(error: unknown): error is TransformFailure {
  return error instanceof Error && Array.isArray((error as Partial<TransformFailure>).errors);
}

function toMessage(message: Message): TranspileMessage {
  const location = message.location;
  if (!location) return { line: 1, column: 1, message: message.text };
  // esbuild counts columns in UTF-8 bytes; the model (and our audit) count characters.
  const column = Buffer.from(location.lineText, "utf8").subarray(0, location.column).toString("utf8").length;
  return { line: location.line, column: column + 1, message: message.text, lineText: location.lineText };
}
