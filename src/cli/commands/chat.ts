/**
 * `toolforge chat`: an interactive conversation on one thread, the answer streaming as it comes
 * and a spinner showing what the agent does. /new starts a new thread, /exit (or Ctrl-D) ends.
 */
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { openChatTarget, withChatOptions, type ChatTargetOptions } from "../chat-target.js";
import { reportFailure } from "../failure.js";
import { paint } from "../output.js";
import { renderTurn } from "../render-turn.js";

export function register(program: Command): void {
  withChatOptions(program.command("chat").description("chat with the agent (type /exit or press Ctrl-D to leave, /new for a new thread)")).action(
    async (options: ChatTargetOptions) => {
      const target = await openChatTarget(options, loadConfig());
      const lines = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
      let threadId = options.thread ?? randomUUID();
      process.stderr.write(`${paint("dim", `ToolForge chat — ${target.description} — thread ${threadId}`, process.stderr)}\n`);
      lines.setPrompt(paint("bold", "you › "));
      lines.prompt();
      try {
        // The async iterator buffers lines typed (or piped) while a turn runs; it ends at Ctrl-D / EOF.
        for await (const raw of lines) {
          const line = raw.trim();
          if (line === "/exit" || line === "/quit") break;
          if (line === "/new") {
            threadId = randomUUID();
            process.stderr.write(`${paint("dim", `new thread ${threadId}`, process.stderr)}\n`);
          } else if (line !== "") {
            process.stdout.write(paint("bold", "toolforge › "));
            try {
              await renderTurn(target.chat, { threadId, messages: [{ role: "user", content: line }] }, { summary: true });
            } catch (error) {
              // One failed turn (Ollama down, …) is reported; the conversation goes on.
              reportFailure(error);
            }
          }
          lines.prompt();
        }
      } finally {
        lines.close();
        await target.close();
      }
    },
  );
}
