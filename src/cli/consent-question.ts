/**
 * The chat's consent question. A turn that ends with tools asking for hosts no person granted
 * (ChatTurnResult.consent) asks the person at the terminal about each tool — allow (this version
 * and later ones), allow this version only, no, or not now — and records the answer where the
 * turns go (ChatTarget.recordGrants). A host that may be on the person's own network (an IPv4
 * address, a local name: `ownNetworkHost`) gets one more answer, "on my own network" (plain http,
 * private addresses); a plain yes never grants that. Without a terminal, the requests are printed.
 */
import { ownNetworkHost } from "../contract.js";
import { consentMessage, type ConsentRequest } from "../tools/consent.js";
import type { GrantAnswer } from "../tools/grants.js";
import type { RecordGrants } from "./grant-answers.js";

export type ConsentChoice = "grant" | "grant_version" | "grant_own_network" | "deny" | "not_now";

/** The hosts a request asks about: those nobody answered and those a person denied before. */
function askedHosts(request: ConsentRequest): string[] {
  return [...request.missing, ...request.denied];
}

function offersOwnNetwork(request: ConsentRequest): boolean {
  return askedHosts(request).some((host) => ownNetworkHost(host) !== null);
}

/** The question for one tool, e.g. `eur_rate v1 asks to reach api.frankfurter.app — allow? [y]es / … : `. */
export function consentQuestion(request: ConsentRequest): string {
  const hosts = askedHosts(request);
  const before = request.denied.length ? ` (denied before: ${request.denied.join(", ")})` : "";
  const own = offersOwnNetwork(request)
    ? ` / [p] yes, on my own network (plain http${hosts.some((h) => ownNetworkHost(h) === "name") ? ", private addresses" : ""})`
    : "";
  return `${request.tool} v${request.version} asks to reach ${hosts.join(", ")}${before} — allow? [y]es / [v] this version only${own} / [n]o / [Enter] not now: `;
}

/** What a typed answer means (null: not an answer to this question). */
export function parseConsentAnswer(text: string, request: ConsentRequest): ConsentChoice | null {
  const answer = text.trim().toLowerCase();
  if (answer === "") return "not_now";
  if (answer === "y" || answer === "yes") return "grant";
  if (answer === "v") return "grant_version";
  if (answer === "p" && offersOwnNetwork(request)) return "grant_own_network";
  if (answer === "n" || answer === "no") return "deny";
  return null;
}

/** The answers to record for a choice (one per kind of host: the own-network mark goes only to the hosts it fits). */
export function grantAnswersFor(request: ConsentRequest, choice: ConsentChoice): GrantAnswer[] {
  const hosts = askedHosts(request);
  switch (choice) {
    case "grant":
      return [{ decision: "grant", scope: "tool", hosts }];
    case "grant_version":
      return [{ decision: "grant", scope: "version", hosts }];
    case "grant_own_network": {
      const own = hosts.filter((host) => ownNetworkHost(host) !== null);
      const others = hosts.filter((host) => ownNetworkHost(host) === null);
      return [
        { decision: "grant", scope: "tool", hosts: own, privateNetwork: true },
        ...(others.length ? [{ decision: "grant" as const, scope: "tool" as const, hosts: others }] : []),
      ];
    }
    case "deny":
      return [{ decision: "deny", scope: "tool", hosts }];
    case "not_now":
      return [];
  }
}

export interface ConsentDialogue {
  /** Asks on the terminal; resolves to the typed line, or null when the person cancelled (Ctrl-C, Ctrl-D). */
  ask(question: string): Promise<string | null>;
  record: RecordGrants;
  /** A line for the person (stderr). */
  say(text: string): void;
}

/** Asks about each request and records the answers; resolves to whether anything was granted. */
export async function answerConsent(requests: readonly ConsentRequest[], dialogue: ConsentDialogue): Promise<boolean> {
  let granted = false;
  for (const [index, request] of requests.entries()) {
    let choice: ConsentChoice | null = null;
    while (choice === null) {
      const typed = await dialogue.ask(consentQuestion(request));
      if (typed === null) {
        dialogue.say("left unanswered");
        printConsent(requests.slice(index), dialogue.say);
        return granted;
      }
      choice = parseConsentAnswer(typed, request);
      if (choice === null) dialogue.say(`answer y, v${offersOwnNetwork(request) ? ", p" : ""} or n, or press Enter for not now`);
    }
    const hosts = askedHosts(request).join(", ");
    if (choice === "not_now") {
      dialogue.say(`not now: ${request.tool} stays unable to reach ${hosts} (\`toolforge tools grant ${request.tool}\` allows it later)`);
      continue;
    }
    for (const answer of grantAnswersFor(request, choice)) await dialogue.record(request.tool, answer);
    if (choice === "deny") dialogue.say(`denied: ${request.tool} will not reach ${hosts}`);
    else {
      granted = true;
      dialogue.say(`allowed: ${request.tool} may reach ${hosts}${choice === "grant_version" ? ` (v${request.version} only)` : ""}`);
    }
  }
  return granted;
}

/** Without a terminal to ask on: what each tool asks, and how to grant it. */
export function printConsent(requests: readonly ConsentRequest[], say: (text: string) => void): void {
  for (const request of requests) say(consentMessage(request));
}
