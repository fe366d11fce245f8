/** `toolforge serve`: the HTTP server (what `npm start` runs); SIGTERM/SIGINT stop it gracefully. */
import type { Command } from "commander";
import { loadConfig, type Config } from "../../config.js";
import { InvalidInputError } from "../../errors.js";
import { paint } from "../output.js";

interface ServeOptions {
  host?: string;
  port?: string;
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("start the HTTP server: OpenAI-compatible chat, /chat, tools, objects, events, health")
    .option("--host <address>", "address to listen on (default: HOST, 127.0.0.1)")
    .option("--port <number>", "port to listen on (default: PORT, 8000; 0 picks a free one)")
    .action(async (options: ServeOptions) => {
      const config = withListenOptions(loadConfig(), options);
      // Loaded here, so that `--help` and the other commands do not load the whole agent.
      const { startServer } = await import("../../server/start.js");
      const server = await startServer(config);
      const banner = [
        `ToolForge is listening on ${server.url}`,
        `  Console: ${server.consoleUrl}   (open it in a browser${config.server.apiKey ? "; it asks for TOOLFORGE_API_KEY" : ""})`,
        `  OpenAI base URL: ${server.url}/v1   model: toolforge${config.server.apiKey ? "   API key: TOOLFORGE_API_KEY" : ""}`,
        "  Ctrl-C stops it (running requests finish first).",
      ];
      process.stderr.write(`${paint("green", banner[0] ?? "", process.stderr)}\n${banner.slice(1).join("\n")}\n`);
    });
}

function withListenOptions(config: Config, options: ServeOptions): Config {
  const server = { ...config.server };
  if (options.host !== undefined) server.host = options.host;
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new InvalidInputError(`--port ${JSON.stringify(options.port)} is not a TCP port`, "give a whole number from 0 to 65535");
    }
    server.port = port;
  }
  return { ...config, server };
}
