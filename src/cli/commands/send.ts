/**
 * `toolforge send <target> <method> [args…] [--kwargs JSON] [--no-wait]`: sends a message to an
 * object through a running server (POST /message), then polls GET /message/:id and prints the
 * result. Each argument is JSON when it parses as JSON and a string otherwise, so
 * `toolforge send system greet Ada` and `toolforge send system add '[1,2]'` both do what they say.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { InvalidInputError, ToolForgeError, errorMessage } from "../../errors.js";
import type { JsonObject, JsonValue } from "../../store/types.js";
import { ServerClient, serverTarget, withServerOptions } from "../server-client.js";

interface SendOptions {
  kwargs?: string;
  wait: boolean;
  timeout: string;
  url?: string;
  apiKey?: string;
}

interface MessageStatus {
  message_id: string;
  status: "pending" | "running" | "done" | "failed";
  result?: JsonValue;
  error?: string;
  learned?: boolean;
}

/** One command-line argument: its JSON value when it is valid JSON, else the text itself. */
export function parseSendArg(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    if (error instanceof SyntaxError) return text;
    throw error;
  }
}

/** `--kwargs`: must be a JSON object. */
export function parseKwargs(text: string | undefined): JsonObject {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--kwargs is not valid JSON: ${errorMessage(error)}`, `pass an object, e.g. --kwargs '{"name":"Ada"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidInputError("--kwargs must be a JSON object", `pass an object, e.g. --kwargs '{"name":"Ada"}'`);
  }
  return value as JsonObject;
}

/** How a result is printed: strings as they are, anything else as JSON. */
export function formatResult(result: JsonValue | undefined): string {
  if (typeof result === "string") return result;
  return JSON.stringify(result ?? null, null, 2);
}

export function register(program: Command): void {
  withServerOptions(
    program
      .command("send")
      .description("send a message to an object; an object that lacks the method learns it first")
      .argument("<target>", "the object's id (e.g. system, or UvmObjects/system)")
      .argument("<method>", "the method name (teach_yourself_to_<skill> teaches a method)")
      .argument("[args...]", "positional arguments: JSON when valid JSON, else a string")
      .option("--kwargs <json>", "keyword arguments as a JSON object")
      .option("--no-wait", "print the message id and return without waiting for the result")
      .option("--timeout <seconds>", "how long to wait for the result", "600"),
  ).action(async (target: string, method: string, args: string[], options: SendOptions) => {
    const config = loadConfig();
    // `send` has no --local: messages are delivered by a server (the hint must not offer one).
    const client = new ServerClient(serverTarget(options, config), { offersLocal: false });
    const body = { target_object_id: target, method_name: method, args: args.map(parseSendArg), kwargs: parseKwargs(options.kwargs) };
    const posted = await client.json<{ message_id: string }>("POST", "/message", body);
    if (!options.wait) {
      process.stdout.write(`${posted.message_id}\n`);
      return;
    }
    const finished = await waitForMessage(client, posted.message_id, timeoutMs(options.timeout));
    if (finished.status === "failed") {
      throw new ToolForgeError("message_failed", `message ${finished.message_id} failed: ${finished.error ?? "no reason recorded"}`);
    }
    if (finished.learned) process.stderr.write(`(${target} learned ${method.replace(/^teach_yourself_to_/, "")})\n`);
    process.stdout.write(`${formatResult(finished.result)}\n`);
  });
}

function timeoutMs(seconds: string): number {
  const value = Number(seconds);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidInputError(`--timeout ${JSON.stringify(seconds)} is not a positive number of seconds`);
  return value * 1000;
}

/** Polls until the message is done or failed (every 200 ms, easing to 1 s). */
async function waitForMessage(client: ServerClient, id: string, timeout: number): Promise<MessageStatus> {
  const deadline = Date.now() + timeout;
  let interval = 200;
  for (;;) {
    const message = await client.json<MessageStatus>("GET", `/message/${encodeURIComponent(id)}`);
    if (message.status === "done" || message.status === "failed") return message;
    if (Date.now() >= deadline) {
      throw new ToolForgeError("message_pending", `message ${id} is still ${message.status} after ${timeout / 1000} s`, {
        hint: `poll it later with GET /message/${id}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
    interval = Math.min(1000, interval * 1.5);
  }
}
