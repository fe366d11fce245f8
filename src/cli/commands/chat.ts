/**
 * `toolforge chat`: an interactive conversation on one thread, the answer streaming as it comes
 * and a spinner showing what the agent does.
 *
 * Lines that start with `/` are commands, handled here and never sent to the agent (`/help` lists
 * them; `//text` sends `/text`). Ctrl-C during a turn cancels that turn; Ctrl-C at the prompt (or
 * `/exit`, or Ctrl-D) leaves. Prompts are shown only when the input is a terminal, and go to stderr:
 * with piped input, stdout carries the answers and nothing else.
 *
 * A turn that ends with tools asking for hosts asks the person about each (consent-question.ts),
 * and once something was granted sends the same question again, once. With piped input the
 * requests are printed on stderr and the conversation goes on.
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import type { ChatTurnResult } from "../../server/chat/types.js";
import { checkThreadOption, openChatTarget, withChatOptions, type ChatTarget, type ChatTargetOptions } from "../chat-target.js";
import { answerConsent, printConsent } from "../consent-question.js";
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
  "When a tool asks to reach a host, you are asked: y allows it, v for this version only, p on your own network (an address or a local name), n denies, Enter waits.",
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
      process.exitCode = await converse(target, thread ?? randomUUID());
    } finally {
      await target.close();
    }
  });
}

async function converse(target: ChatTarget, firstThread: string): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  const say = (text: string): void => void process.stderr.write(`${paint("dim", text, process.stderr)}\n`);
  const lines = createInterface({ input: process.stdin, ...(interactive ? { output: process.stderr } : {}), terminal: interactive });
  // Ctrl-D (or Ctrl-C at the prompt) closes the interface, maybe while a turn runs: prompting
  // after that would resume stdin, and the chat would never exit.
  let closed = false;
  lines.once("close", () => (closed = true));
  const prompt = () => {
    if (interactive && !closed) lines.prompt();
  };
  let threadId = firstThread;
  let turn: AbortController | null = null;
  /** A consent question waiting for its answer: Ctrl-C leaves it unanswered (the chat goes on). */
  let question: AbortController | null = null;
  let exitCode = 0;

  say(`ToolForge chat — ${target.description} — thread ${threadId} — /help for commands`);
  lines.setPrompt(paint("bold", "you › ", process.stderr));

  const onInterrupt = () => {
    if (turn) {
      turn.abort();
      return;
    }
    if (question) {
      question.abort();
      return;
    }
    exitCode = EXIT_INTERRUPTED;
    lines.close();
  };

  /** One turn, shown; null when it was cancelled or failed (said on stderr). */
  const runTurn = async (text: string): Promise<ChatTurnResult | null> => {
    turn = new AbortController();
    if (interactive) process.stderr.write(paint("bold", "toolforge › ", process.stderr));
    try {
      const request = { threadId, messages: [{ role: "user" as const, content: text }], signal: turn.signal };
      return await renderTurn(target.chat, request, { summary: true, stdinOwned: true });
    } catch (error) {
      // A cancelled turn says so; any other failure (Ollama down, …) is reported; the conversation goes on.
      if (turn.signal.aborted) say("(turn cancelled)");
      else reportFailure(error);
      return null;
    } finally {
      turn = null;
    }
  };

  const ask = (text: string): Promise<string | null> =>
    new Promise((resolve) => {
      const asking = new AbortController();
      question = asking;
      let settled = false;
      const done = (answer: string | null) => {
        if (settled) return;
        settled = true;
        question = null;
        lines.off("close", onClose);
        resolve(answer);
      };
      const onClose = () => done(null);
      if (closed) return done(null);
      lines.once("close", onClose);
      asking.signal.addEventListener("abort", () => {
        process.stderr.write("\n");
        done(null);
      });
      lines.question(paint("yellow", text, process.stderr), { signal: asking.signal }, done);
    });

  /** A message for the agent; then, for tools that ask for hosts, the person's answers and the question once more. */
  const converseAbout = async (text: string): Promise<void> => {
    let result = await runTurn(text);
    let resent = false;
    while (result?.consent?.length) {
      if (!interactive) return printConsent(result.consent, say);
      let granted: boolean;
      try {
        granted = await answerConsent(result.consent, { ask, record: target.recordGrants, say });
      } catch (error) {
        reportFailure(error);
        return;
      }
      if (!granted) return;
      if (resent) return say("send your question again to use what you allowed");
      resent = true;
      say("asking again…");
      result = await runTurn(text);
    }
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
        await converseAbout(line.text);
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
