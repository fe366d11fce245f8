/**
 * `toolforge tools grants | grant | revoke` as a child process, against a running server and on
 * the store directly (--local): where each host stands, a grant with a credential read from the
 * environment (never from the command line, never printed), a denial for one version, revocation,
 * and the refusals a person can act on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedOllama } from "../support/scripted-ollama.js";
import { toolVersion } from "../support/store.js";
import { runCli } from "./cli-harness.js";
import { cascade, startTestServer, type TestServer } from "./test-server.js";

describe("granting a tool's hosts from the command line", () => {
  let ollama: ScriptedOllama;
  let served: TestServer;

  beforeAll(async () => {
    ollama = await ScriptedOllama.start({ respond: cascade(() => "unused") });
    served = await startTestServer({ ollama });
    await served.server.runtime.store.installToolVersion({ ...toolVersion("eur_rate"), hosts: ["api.frankfurter.app", "api.example.com"] });
  });

  afterAll(async () => {
    await served?.close();
    await ollama?.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    DATA_DIR: served.config.dataDir,
    DYNAMIC_TOOLS_DIR: served.config.dynamicToolsDir,
    ...extra,
  });
  const cli = (args: string[], extra?: Record<string, string>) => runCli([...args, "--url", served.url], env(extra), served.dir);

  it("`tools grants` lists every host the tool calls as not answered at first", async () => {
    const run = await cli(["tools", "grants", "eur_rate"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^eur_rate v1$/m);
    expect(run.stdout).toMatch(/^\s+api\.frankfurter\.app\s+not answered$/m);
    expect(run.stdout).toMatch(/^\s+api\.example\.com\s+not answered$/m);
  });

  it("`tools grant NAME HOST --credential-header H --credential-env VAR` grants it, and the value never appears", async () => {
    const run = await cli(
      ["tools", "grant", "eur_rate", "api.frankfurter.app", "--credential-header", "X-Api-Key", "--credential-env", "RATES_KEY"],
      {
        RATES_KEY: "key-from-the-environment",
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\s+api\.frankfurter\.app\s+granted\s+\(the host adds X-Api-Key\)$/m);
    expect(run.stdout + run.stderr).not.toContain("key-from-the-environment");
    const grants = await served.server.runtime.store.listGrants("eur_rate");
    expect(await served.server.runtime.store.grantCredential(grants[0]!.id)).toEqual({
      header: "X-Api-Key",
      value: "key-from-the-environment",
    });
    const show = await cli(["tools", "show", "eur_rate"]);
    expect(show.stdout).toMatch(/reaches \(only what a person granted\):\n\s+api\.frankfurter\.app\s+granted \(adds X-Api-Key\)/);
  });

  it("`tools grant --deny --this-version` refuses a host for the active version only (read back with --local)", async () => {
    const run = await cli(["tools", "grant", "eur_rate", "api.example.com", "--deny", "--this-version"]);
    expect(run.code, run.stderr).toBe(0);
    const local = await runCli(["tools", "grants", "eur_rate", "--local", "--json"], env(), served.dir);
    expect(JSON.parse(local.stdout).answers.at(-1)).toMatchObject({ host: "api.example.com", decision: "denied", only_this_version: true });
  });

  it("`tools grant NAME HOST --private-network` against a server records the private-network mark", async () => {
    const run = await cli(["tools", "grant", "eur_rate", "api.example.com", "--private-network"]);
    expect(run.code, run.stderr).toBe(0);
    const grants = await served.server.runtime.store.listGrants("eur_rate");
    expect(grants.at(-1)).toMatchObject({ host: "api.example.com", decision: "granted", privateNetwork: true });
  });

  it("`tools revoke NAME` takes back every host's answers: the next call asks again", async () => {
    const run = await cli(["tools", "revoke", "eur_rate"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\s+api\.frankfurter\.app\s+not answered$/m);
    expect(run.stdout).toMatch(/^\s+api\.example\.com\s+not answered$/m);
    expect(await served.server.runtime.registry.consentRequest("eur_rate")).toMatchObject({
      missing: ["api.frankfurter.app", "api.example.com"],
    });
  });

  it.each([
    [["tools", "grant", "eur_rate", "evil.example"], /does not call evil\.example; it declares api\.frankfurter\.app, api\.example\.com/],
    [
      ["tools", "grant", "eur_rate", "--credential-header", "Authorization", "--credential-env", "TOKEN"],
      /a credential is for exactly one host/,
    ],
    [
      ["tools", "grant", "eur_rate", "api.example.com", "--credential-header", "Authorization"],
      /needs both --credential-header and --credential-env/,
    ],
    [
      ["tools", "grant", "eur_rate", "api.example.com", "--credential-header", "Authorization", "--credential-env", "UNSET_VAR"],
      /UNSET_VAR is not set/,
    ],
  ])("refuses `%s` with a message that says what to do, exit 1", async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
  });
});
