/**
 * Listening on anything but loopback exposes an agent that runs code; without an API key anyone
 * who reaches the address could use it. That combination is refused at start, with the reason.
 */
import { isIP } from "node:net";
import { ConfigError } from "../errors.js";

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (bare.startsWith("::ffff:")) return bare.slice(7).startsWith("127.");
  return false;
}

export function assertSafeListen(host: string, apiKey: string | undefined): void {
  if (apiKey || isLoopback(host)) return;
  throw new ConfigError(
    `refusing to listen on ${host} without an API key: HOST=${host} is reachable from other machines, and anyone who ` +
      "reaches it could run the agent, forge tools and execute code in the sandbox.\n" +
      "  → set TOOLFORGE_API_KEY=<a long random secret> (clients send it as 'Authorization: Bearer <secret>'), " +
      "or listen on loopback only with HOST=127.0.0.1",
  );
}
