/**
 * Maps positions in the compiled JavaScript back to the TypeScript the model wrote, through the
 * source map esbuild produced (@jridgewell/trace-mapping). Findings and stack frames are reported
 * in the model's own lines.
 *
 * Positions: `line` 1-based; `column` 1-based on the way out (what a person reads), 0-based on the
 * way in (acorn's and V8's `column - 1`).
 */
import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";

export interface SourcePosition {
  line: number;
  /** 1-based. */
  column: number;
  /** False when the compiled position has no counterpart in the TypeScript (compiler-generated code). */
  mapped: boolean;
}

export interface PositionMapper {
  /** `line` 1-based, `column` 0-based, in the compiled JavaScript. */
  toSource(line: number, column: number): SourcePosition;
  /** True when the compiled position maps to the TypeScript at all. */
  isMapped(line: number, column: number): boolean;
}

/** Without a source map, positions stay those of the compiled JavaScript (still 1-based columns). */
export function createPositionMapper(sourceMap: string | object | undefined): PositionMapper {
  if (sourceMap === undefined) {
    return {
      toSource: (line, column) => ({ line, column: column + 1, mapped: true }),
      isMapped: () => true,
    };
  }
  const trace = new TraceMap(sourceMap as ConstructorParameters<typeof TraceMap>[0]);
  const lookup = (line: number, column: number, bias: typeof GREATEST_LOWER_BOUND | typeof LEAST_UPPER_BOUND) => {
    const position = originalPositionFor(trace, { line, column, bias });
    return position.line === null || position.column === null ? null : position;
  };
  return {
    toSource(line, column) {
      const exact = lookup(line, column, GREATEST_LOWER_BOUND) ?? lookup(line, column, LEAST_UPPER_BOUND);
      if (exact) return { line: exact.line, column: exact.column + 1, mapped: true };
      return { line: 1, column: 1, mapped: false };
    },
    isMapped(line, column) {
      return lookup(line, column, GREATEST_LOWER_BOUND) !== null;
    },
  };
}
