/**
 * Terminal output: colours only when the stream is a TTY (and NO_COLOR is unset), the ✓/✗ marks,
 * and errors to stderr.
 */
import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

function colourEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "") return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY);
}

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return colourEnabled(stream) ? styleText(style, text) : text;
}

export const mark = {
  ok: (stream?: NodeJS.WriteStream) => paint("green", "✓", stream),
  fail: (stream?: NodeJS.WriteStream) => paint("red", "✗", stream),
  warn: (stream?: NodeJS.WriteStream) => paint("yellow", "!", stream),
};

export function printError(message: string): void {
  process.stderr.write(`${paint("red", "error:", process.stderr)} ${message}\n`);
}

export function printHint(hint: string): void {
  process.stderr.write(`  ${paint("dim", "→", process.stderr)} ${hint}\n`);
}
