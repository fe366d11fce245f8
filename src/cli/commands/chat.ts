/**
 * `toolforge chat`: an interactive conversation on one thread, the answer streaming as it comes
 * and a spinner showing what the agent does.
 *
 * Lines that start with `/` are commands, handled here and never sent to the agent (`/help` lists
 * them; `//text` sends `/text`). Ctrl-C during a turn cancels that turn; Ctrl-C at the prompt (or
 * `/exit`, or Ctrl-D) leaves. Prompts are shown only when the input is a terminal, and go to stderr:
 * with piped input, stdout carries the answers and nothing else.
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { checkThreadOption, openChatTarget, withChatOptions, type ChatTargetOptions } from "../chat-target.js";
import { reportFailure } from "../failure.js";
import { paint } from "../output.js";
import { renderTurn } from "../render-turn.js";

/** The exit code after Ctrl-C at the prompt (128 + SIGINT, as shells report it). */
const EXIT_INTERRUPTED = 130;

const CHAT_HELP = [
  "commands (never sent to the agent):",
  "  /help          this list",
  "  /new           start a new thread",
  "  /thread        show the current thread id",
  "  /exit, /quit   leave (so do Ctrl-D, and Ctrl-C at the prompt)",
  "Ctrl-C while the agent works cancels that turn. To send a line that starts with /, start it with //.",
].join("\n");

export type ChatLine = { kind: "message"; text: string } | { kind: "command"; name: string } | { kind: "empty" };

/** What a typed line is: a message for the agent, a command for the chat, or nothing. */
export function classifyLine(raw: string): ChatLine {
  const line = raw.trim();
  if (line === "") return { kind: "empty" };
  if (line.startsWith("//")) return { kind: "message", text: line.slice(1) };
  if (line.startsWith("/")) return { kind: "command", name: line.slice(1).split(/\s+/)[0]!.toLowerCase() };
  return { kind: "message", text: line };
}

export function register(program: Command): void {
  withChatOptions(
    program.command("chat").description("chat with the agent (/help lists the commands; Ctrl-C cancels a turn, Ctrl-D leaves)"),
  ).action(async (options: ChatTargetOptions) => {
    const thread = checkThreadOption(options.thread);
    const target = await openChatTarget(options, loadConfig());
    try {
      process.exitCode = await converse(target.chat, thread ?? randomUUID(), target.description);
    } finally {
      await target.close();
    }
  });
}

async function converse(chat: Parameters<typeof renderTurn>[0], firstThread: string, description: string): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  const say = (text: string) => process.stderr.write(`${paint("dim", text, process.stderr)}\n`);
  const lines = createInterface({ input: process.stdin, ...(interactive ? { output: process.stderr } : {}), terminal: interactive });
  const prompt = () => {
    if (interactive) lines.prompt();
  };
  let threadId = firstThread;
  let turn: AbortController | null = null;
  let exitCode = 0;

  say(`ToolForge chat — ${description} — thread ${threadId} — /help for commands`);
  lines.setPrompt(paint("bold", "you › ", process.stderr));

  const onInterrupt = () => {
    if (turn) {
      turn.abort();
      return;
    }
    exitCode = EXIT_INTERRUPTED;
    lines.close();
  };
  // On a terminal readline reads Ctrl-C itself; with piped input it arrives as the signal.
  lines.on("SIGINT", onInterrupt);
  process.on("SIGINT", onInterrupt);

  try {
    prompt();
    // The async iterator buffers lines typed (or piped) while a turn runs; it ends at Ctrl-D / EOF / close.
    for await (const raw of lines) {
      const line = classifyLine(raw);
      if (line.kind === "command") {
        if (line.name === "exit" || line.name === "quit") break;
        if (line.name === "help") say(CHAT_HELP);
        else if (line.name === "new") {
          threadId = randomUUID();
          say(`new thread ${threadId}`);
        } else if (line.name === "thread") say(`thread ${threadId}`);
        else say(`unknown command /${line.name}: /help lists the commands (start a line with // to send it to the agent)`);
      } else if (line.kind === "message") {
        turn = new AbortController();
        if (interactive) process.stderr.write(paint("bold", "toolforge › ", process.stderr));
        try {
          await renderTurn(
            chat,
            { threadId, messages: [{ role: "user", content: line.text }], signal: turn.signal },
            { summary: true, stdinOwned: true },
          );
        } catch (error) {
          // A cancelled turn says so; any other failure (Ollama down, …) is reported; the conversation goes on.
          if (turn.signal.aborted) say("(turn cancelled)");
          else reportFailure(error);
        } finally {
          turn = null;
        }
      }
      prompt();
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    lines.close();
    if (interactive) process.stderr.write("\n");
  }
  return exitCode;
}
