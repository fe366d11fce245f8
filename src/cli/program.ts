/**
 * The `toolforge` command: commander with every module of ./commands registered. Each module
 * exports `register(program)`; new modules are picked up without editing this file. Their order in
 * `--help` follows COMMAND_ORDER, then the alphabet.
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command } from "commander";
import { printError } from "./output.js";
import { errorMessage } from "../errors.js";

const COMMANDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");
const COMMAND_ORDER = ["serve", "chat", "ask", "send", "tools", "mcp", "doctor", "genesis", "archive", "dataset"];

export interface CommandModule {
  register(program: Command): void;
}

/** The command modules' files (`.ts` from a clone run through tsx, `.js` when built). */
export function commandModuleFiles(dir = COMMANDS_DIR): string[] {
  const extension = path.extname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((file) => file.endsWith(extension) && !file.endsWith(".d.ts") && !file.includes(".test."));
  const rank = (file: string) => {
    const index = COMMAND_ORDER.indexOf(path.basename(file, extension));
    return index === -1 ? COMMAND_ORDER.length : index;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((file) => path.join(dir, file));
}

export async function buildProgram(version: string): Promise<Command> {
  const program = new Command("toolforge")
    .description("ToolForge: an agent that forges, tests in gVisor, and installs its own tools while it runs")
    .version(version, "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError();
  for (const file of commandModuleFiles()) {
    const name = path.basename(file, path.extname(file));
    let module: Partial<CommandModule>;
    try {
      module = (await import(pathToFileURL(file).href)) as Partial<CommandModule>;
    } catch (error) {
      // One broken command must not take `doctor` and the rest down with it; say which and why.
      printError(`the command module "${name}" failed to load and is unavailable: ${errorMessage(error)}`);
      continue;
    }
    if (typeof module.register !== "function") {
      printError(`the command module "${name}" does not export register(program) and is unavailable`);
      continue;
    }
    module.register(program);
  }
  return program;
}
