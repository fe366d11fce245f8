/**
 * Listening on anything but loopback exposes an agent that runs code: without an API key anyone
 * who reaches the address could use it, and a short key is guessed. Both are refused at start,
 * with the reason. (On loopback any key, or none, is accepted: only this machine can connect.)
 */
import { isIP } from "node:net";
import { ConfigError } from "../errors.js";

/** The shortest TOOLFORGE_API_KEY accepted for a public listen (16 characters: 24 random hex digits make 96 bits). */
export const MIN_PUBLIC_API_KEY_LENGTH = 16;

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (bare.startsWith("::ffff:")) return bare.slice(7).startsWith("127.");
  return false;
}

export function assertSafeListen(host: string, apiKey: string | undefined, egressAllowLoopback = false): void {
  if (isLoopback(host)) return;
  if (egressAllowLoopback) {
    throw new ConfigError(
      `refusing to listen on ${host} with EGRESS_ALLOW_LOOPBACK=on: tools could then reach this machine's own loopback services ` +
        "for anyone who reaches the server.\n  → EGRESS_ALLOW_LOOPBACK is for tests on one machine: turn it off, or listen on HOST=127.0.0.1",
    );
  }
  if (!apiKey) {
    throw new ConfigError(
      `refusing to listen on ${host} without an API key: HOST=${host} is reachable from other machines, and anyone who ` +
        "reaches it could run the agent, forge tools and execute code in the sandbox.\n" +
        `  → set TOOLFORGE_API_KEY=<a long random secret, at least ${MIN_PUBLIC_API_KEY_LENGTH} characters> ` +
        "(e.g. `openssl rand -hex 24`; clients send it as 'Authorization: Bearer <secret>'), or listen on loopback only with HOST=127.0.0.1",
    );
  }
  const length = [...apiKey].length;
  if (length < MIN_PUBLIC_API_KEY_LENGTH) {
    throw new ConfigError(
      `refusing to listen on ${host} with a TOOLFORGE_API_KEY of ${length} character${length === 1 ? "" : "s"}: a key that guards a ` +
        `public address must have at least ${MIN_PUBLIC_API_KEY_LENGTH}, or it can be guessed.\n` +
        "  → set TOOLFORGE_API_KEY to a long random secret (e.g. `openssl rand -hex 24`), or listen on loopback only with HOST=127.0.0.1",
    );
  }
}
