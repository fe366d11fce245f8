/**
 * Runs one chat turn and shows it: an ora spinner (on stderr) says what the agent is doing — the
 * personas, tool calls, forge attempts — and ALFRED's answer streams to stdout as it arrives.
 * Without a TTY the spinner does not animate and stdout carries only the answer.
 */
import ora from "ora";
import { describeProgress, type ChatProgress, type ChatService, type ChatTurnRequest, type ChatTurnResult } from "../server/chat/types.js";
import { truncate } from "../util/text.js";
import { paint } from "./output.js";

export interface RenderOptions {
  /** Also print the tools used and created after the answer (on stderr). */
  summary?: boolean;
  /**
   * The caller reads stdin itself (the chat's readline, which takes Ctrl-C as "cancel the turn"):
   * the spinner must leave it alone. Otherwise ora puts a terminal's stdin in raw mode and turns
   * Ctrl-C into a real SIGINT — one that arrives after the turn was cancelled and ends the chat.
   */
  stdinOwned?: boolean;
}

export async function renderTurn(chat: ChatService, request: ChatTurnRequest, options: RenderOptions = {}): Promise<ChatTurnResult> {
  // A terminal of unknown width (a pty without a size) would make the spinner redraw endlessly.
  const interactive = Boolean(process.stderr.isTTY) && (process.stderr.columns ?? 0) > 0;
  const spinner = ora({
    text: "BRICK is analysing the task…",
    stream: process.stderr,
    isEnabled: interactive,
    isSilent: !interactive,
    discardStdin: !options.stdinOwned,
  });
  spinner.start();
  let answering = false;

  const onProgress = (progress: ChatProgress) => {
    if (progress.type === "answer") {
      if (!answering) {
        spinner.stop();
        answering = true;
      }
      process.stdout.write(progress.text);
      return;
    }
    const line = truncate(describeProgress(progress).replace(/\s+/g, " "), 160);
    if (progress.type === "forge" || progress.type === "tool_call" || progress.type === "tool_result") {
      if (interactive) spinner.stopAndPersist({ symbol: paint("cyan", "•", process.stderr), text: line }).start(nextStep(progress));
    } else {
      spinner.text = nextStep(progress);
    }
  };

  try {
    const result = await chat.run(request, onProgress);
    spinner.stop();
    if (!answering) process.stdout.write(result.reply);
    process.stdout.write("\n");
    if (options.summary) printSummary(result);
    return result;
  } catch (error) {
    spinner.stop();
    if (answering) process.stdout.write("\n");
    throw error;
  }
}

function nextStep(progress: ChatProgress): string {
  if (progress.type === "persona") {
    const next: Record<string, string> = {
      brick: "ROBIN is considering it…",
      robin: "BABS is checking the facts…",
      babs: "ALFRED is writing the answer…",
    };
    return next[progress.persona] ?? "working…";
  }
  if (progress.type === "forge") return "forging…";
  if (progress.type === "tool_call") return `running ${progress.name}…`;
  return "BRICK is thinking…";
}

function printSummary(result: ChatTurnResult): void {
  const parts: string[] = [];
  if (result.toolsUsed.length > 0) parts.push(`tools used: ${result.toolsUsed.join(", ")}`);
  if (result.toolsCreated.length > 0) parts.push(`tools created: ${result.toolsCreated.join(", ")}`);
  if (parts.length > 0) process.stderr.write(`${paint("dim", parts.join(" · "), process.stderr)}\n`);
}
