/**
 * `toolforge tools grants NAME`, `tools grant NAME [HOST…]` and `tools revoke NAME [HOST…]`: a
 * person's answers to a tool that asks to reach hosts. A grant holds for the active version and the
 * versions after it (`--this-version`: only this one); `--deny` refuses. A credential the host adds
 * to the tool's requests to one host is read from an environment variable (`--credential-env`),
 * never from the command line, so it does not land in the shell's history.
 */
import type { Command } from "commander";
import { InvalidInputError } from "../errors.js";
import { paint } from "./output.js";
import { sourceOptions, withSource } from "./commands/tools.js";
import type { GrantsJson } from "./grant-answers.js";

interface GrantOptions {
  local?: boolean;
  url?: string;
  apiKey?: string;
  json?: boolean;
  deny?: boolean;
  privateNetwork?: boolean;
  thisVersion?: boolean;
  credentialHeader?: string;
  credentialEnv?: string;
}

export function registerGrants(tools: Command): void {
  sourceOptions(
    tools.command("grants").description("show the hosts a tool reaches and where each grant stands").argument("<name>", "the tool's name"),
  ).action(async (name: string, options: GrantOptions) => {
    const grants = await withSource(options, (source) => source.grants(name));
    if (options.json) return printJson(grants);
    print(grants);
  });

  sourceOptions(
    tools
      .command("grant")
      .description("let a tool reach hosts it declares (all of them when none are named)")
      .argument("<name>", "the tool's name")
      .argument("[hosts...]", "the hosts to grant (default: every host the tool declares)")
      .option("--this-version", "grant for the active version only (a later version asks again)")
      .option("--deny", "refuse instead: the tool is not called until a person grants")
      .option("--private-network", "the hosts are on your own network: they may resolve to private addresses, and plain http is allowed")
      .option("--credential-header <header>", "a header the host adds to the tool's requests to this one host, e.g. Authorization")
      .option("--credential-env <variable>", "the environment variable holding that header's value (never typed on the command line)"),
  ).action(async (name: string, hosts: string[], options: GrantOptions) => {
    const credential = credentialOf(options, hosts);
    const answer = {
      decision: options.deny ? ("deny" as const) : ("grant" as const),
      scope: options.thisVersion ? ("version" as const) : ("tool" as const),
      ...(hosts.length ? { hosts } : {}),
      ...(options.privateNetwork ? { privateNetwork: true } : {}),
      ...(credential ? { credential } : {}),
    };
    const grants = await withSource(options, (source) => source.answer(name, answer));
    if (options.json) return printJson(grants);
    print(grants);
  });

  sourceOptions(
    tools
      .command("revoke")
      .description("take back the grants of a tool's hosts (all of them when none are named); its next call asks again")
      .argument("<name>", "the tool's name")
      .argument("[hosts...]", "the hosts to revoke"),
  ).action(async (name: string, hosts: string[], options: GrantOptions) => {
    const grants = await withSource(options, async (source) =>
      source.revoke(name, hosts.length ? hosts : (await source.grants(name)).hosts.map((h) => h.host)),
    );
    if (options.json) return printJson(grants);
    print(grants);
  });
}

function credentialOf(options: GrantOptions, hosts: string[]): { header: string; value: string } | null {
  if (!options.credentialHeader && !options.credentialEnv) return null;
  if (!options.credentialHeader || !options.credentialEnv) {
    throw new InvalidInputError(
      "a credential needs both --credential-header and --credential-env",
      "e.g. --credential-header Authorization --credential-env WEATHER_TOKEN",
    );
  }
  if (hosts.length !== 1)
    throw new InvalidInputError(
      "a credential is for exactly one host: name it",
      `toolforge tools grant NAME HOST --credential-header … --credential-env …`,
    );
  const value = process.env[options.credentialEnv];
  if (!value)
    throw new InvalidInputError(`the environment variable ${options.credentialEnv} is not set`, `export ${options.credentialEnv}=… first`);
  return { header: options.credentialHeader, value };
}

function print(grants: GrantsJson): void {
  const colour = (status: string) => (status === "granted" ? "green" : status === "denied" ? "red" : "yellow");
  process.stdout.write(`${paint("bold", grants.name)} v${grants.version}\n`);
  for (const host of grants.hosts) {
    const credential = host.credential ? `  (the host adds ${host.credential})` : "";
    process.stdout.write(`  ${host.host.padEnd(32)} ${paint(colour(host.status), host.status)}${credential}\n`);
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
