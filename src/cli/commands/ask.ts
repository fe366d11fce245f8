/** `toolforge ask "…"`: one question, the answer on stdout (progress on stderr). */
import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { checkThreadOption, openChatTarget, withChatOptions, type ChatTargetOptions } from "../chat-target.js";
import { renderTurn } from "../render-turn.js";

export function register(program: Command): void {
  withChatOptions(
    program
      .command("ask")
      .description("ask one question and print the answer")
      .argument("<question...>", "the question (words are joined with spaces)")
      .option("--json", "print {reply, thread_id, tools_used, tools_created} as JSON instead"),
  ).action(async (words: string[], options: ChatTargetOptions & { json?: boolean }) => {
    const thread = checkThreadOption(options.thread);
    const target = await openChatTarget(options, loadConfig());
    try {
      const request = { threadId: thread ?? randomUUID(), messages: [{ role: "user" as const, content: words.join(" ") }] };
      if (options.json) {
        const result = await target.chat.run(request);
        const json = { reply: result.reply, thread_id: result.threadId, tools_used: result.toolsUsed, tools_created: result.toolsCreated };
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        await renderTurn(target.chat, request, { summary: true });
      }
    } finally {
      await target.close();
    }
  });
}
