/**
 * `toolforge ask "…"`: one question, the answer on stdout (progress on stderr). A tool that asks
 * for hosts no person granted is not called: what it asks, and the command that grants it, go to
 * stderr (with --json, `consent` lists the requests) and the exit code stays 0 — the turn did
 * answer; a script checks `consent` (or stderr) to see that something waits for a person.
 */
import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { checkThreadOption, openChatTarget, withChatOptions, type ChatTargetOptions } from "../chat-target.js";
import { printConsent } from "../consent-question.js";
import { renderTurn } from "../render-turn.js";

export function register(program: Command): void {
  withChatOptions(
    program
      .command("ask")
      .description("ask one question and print the answer")
      .argument("<question...>", "the question (words are joined with spaces)")
      .option("--json", "print {reply, thread_id, tools_used, tools_created, consent} as JSON instead"),
  ).action(async (words: string[], options: ChatTargetOptions & { json?: boolean }) => {
    const thread = checkThreadOption(options.thread);
    const target = await openChatTarget(options, loadConfig());
    try {
      const request = { threadId: thread ?? randomUUID(), messages: [{ role: "user" as const, content: words.join(" ") }] };
      if (options.json) {
        const result = await target.chat.run(request);
        const json = {
          reply: result.reply,
          thread_id: result.threadId,
          tools_used: result.toolsUsed,
          tools_created: result.toolsCreated,
          consent: result.consent ?? [],
        };
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        const result = await renderTurn(target.chat, request, { summary: true });
        printConsent(result.consent ?? [], (text) => void process.stderr.write(`${text}\n`));
      }
    } finally {
      await target.close();
    }
  });
}
