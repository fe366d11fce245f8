/**
 * How a command fails: a message on stderr and an exit code. ConfigError → 2 (fix the settings);
 * every other error → 1. Errors carrying a hint (ToolForgeError, server errors) print it too.
 */
import { ConfigError, ToolForgeError } from "../errors.js";
import { printError, printHint } from "./output.js";

export const EXIT_FAILURE = 1;
const EXIT_CONFIG = 2;

/** An error from a ToolForge server: its status and the `{error}` body it sent. */
export class ServerError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint: string | undefined;

  constructor(status: number, code: string, message: string, hint?: string) {
    super(message);
    this.name = "ServerError";
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

/** Prints the error and returns the exit code for it. */
export function reportFailure(error: unknown): number {
  if (error instanceof ConfigError) {
    printError(error.message);
    return EXIT_CONFIG;
  }
  if (error instanceof ToolForgeError) {
    const [first, ...rest] = error.message.split(/\n\s*→\s*/);
    printError(first ?? error.message);
    for (const hint of rest) printHint(hint);
    return EXIT_FAILURE;
  }
  if (error instanceof ServerError) {
    printError(`${error.message} (HTTP ${error.status}, ${error.code})`);
    if (error.hint) printHint(error.hint);
    return EXIT_FAILURE;
  }
  if (error instanceof Error) {
    printError(error.message);
    if (process.env.TOOLFORGE_DEBUG && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
  printError(String(error));
  return EXIT_FAILURE;
}
