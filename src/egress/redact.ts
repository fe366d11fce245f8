/**
 * The credentials of a policy kept out of what a tool gets back. A granted server may echo the
 * headers it received (httpbin's /headers does): the body and headers of every answer have each
 * credential value replaced before the tool sees them. A value shorter than 6 characters is left
 * alone (replacing it would mangle ordinary text); an echo in another encoding is not caught.
 */
import type { HostGrant } from "./types.js";

const REPLACEMENT = "[credential]";
const MIN_SECRET_CHARS = 6;
const MIN_TOKEN_CHARS = 8;

export interface Redactor {
  text(text: string): string;
  bytes(bytes: Buffer): Buffer;
}

export function redactorFor(grants: readonly HostGrant[]): Redactor {
  const secrets = new Set<string>();
  for (const { credential } of grants) {
    if (!credential) continue;
    const value = credential.value.trim();
    if (value.length >= MIN_SECRET_CHARS) secrets.add(value);
    // "Bearer abc…": the token alone is the secret too.
    const token = value.replace(/^\S+\s+/, "");
    if (token !== value && token.length >= MIN_TOKEN_CHARS) secrets.add(token);
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const text = (input: string) => ordered.reduce((out, secret) => out.split(secret).join(REPLACEMENT), input);
  // Latin-1 maps bytes to characters one to one, so replacing in it is replacing bytes.
  const latin1 = ordered.map((secret) => Buffer.from(secret, "utf8").toString("latin1"));
  const bytes = (input: Buffer) => {
    if (latin1.length === 0) return input;
    const original = input.toString("latin1");
    const replaced = latin1.reduce((out, secret) => out.split(secret).join(REPLACEMENT), original);
    return replaced === original ? input : Buffer.from(replaced, "latin1");
  };
  return { text, bytes };
}
