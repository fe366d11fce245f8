/**
 * The chat's consent question (src/cli/consent-question.ts): what it asks, what each answer
 * records, and that a plain yes never marks a host as on the person's own network.
 */
import { describe, expect, it } from "vitest";
import { answerConsent, consentQuestion, grantAnswersFor, parseConsentAnswer } from "../../src/cli/consent-question.js";
import type { GrantsJson } from "../../src/cli/grant-answers.js";
import type { ConsentRequest } from "../../src/tools/consent.js";
import type { GrantAnswer } from "../../src/tools/grants.js";

const request = (hosts: string[], denied: string[] = []): ConsentRequest => ({
  tool: "eur_rate",
  version: 2,
  description: "Exchange rates.",
  hosts: [...hosts, ...denied],
  missing: hosts,
  denied,
});

/** A dialogue whose person types `answers` in order; what it recorded and said. */
function scripted(answers: (string | null)[]) {
  const recorded: [string, GrantAnswer][] = [];
  const said: string[] = [];
  const asked: string[] = [];
  return {
    recorded,
    said,
    asked,
    dialogue: {
      ask: async (question: string) => {
        asked.push(question);
        return answers.shift() ?? null;
      },
      record: async (tool: string, answer: GrantAnswer) => {
        recorded.push([tool, answer]);
        return {} as GrantsJson;
      },
      say: (text: string) => void said.push(text),
    },
  };
}

describe("the chat's consent question", () => {
  it("names the tool, its version and every host it asks for, and offers the own-network answer only for an address or a local name", () => {
    expect(consentQuestion(request(["api.frankfurter.app"]))).toBe(
      "eur_rate v2 asks to reach api.frankfurter.app — allow? [y]es / [v] this version only / [n]o / [Enter] not now: ",
    );
    expect(consentQuestion(request(["127.0.0.1:8080"]))).toContain("/ [p] yes, on my own network (plain http) /");
    expect(consentQuestion(request(["nas.lan"]))).toContain("/ [p] yes, on my own network (plain http, private addresses) /");
    expect(consentQuestion(request(["api.example.com"], ["api.frankfurter.app"]))).toContain(
      "asks to reach api.example.com, api.frankfurter.app (denied before: api.frankfurter.app)",
    );
  });

  it("reads y, v, n and Enter, p only where it was offered, and nothing else", () => {
    const publicHost = request(["api.frankfurter.app"]);
    expect(["y", "YES", " v ", "n", "no", ""].map((a) => parseConsentAnswer(a, publicHost))).toEqual([
      "grant",
      "grant",
      "grant_version",
      "deny",
      "deny",
      "not_now",
    ]);
    expect(parseConsentAnswer("p", publicHost)).toBeNull();
    expect(parseConsentAnswer("p", request(["192.168.1.20"]))).toBe("grant_own_network");
    expect(parseConsentAnswer("maybe", publicHost)).toBeNull();
  });

  it("grants with y for this version and later ones, with v for this version only, denies with n, records nothing for Enter", () => {
    const asked = request(["api.frankfurter.app"], ["api.example.com"]);
    const hosts = ["api.frankfurter.app", "api.example.com"];
    expect(grantAnswersFor(asked, "grant")).toEqual([{ decision: "grant", scope: "tool", hosts }]);
    expect(grantAnswersFor(asked, "grant_version")).toEqual([{ decision: "grant", scope: "version", hosts }]);
    expect(grantAnswersFor(asked, "deny")).toEqual([{ decision: "deny", scope: "tool", hosts }]);
    expect(grantAnswersFor(asked, "not_now")).toEqual([]);
  });

  it("marks only the hosts on the person's own network as such when the answer is p, and never with y", () => {
    const mixed = request(["127.0.0.1:8080", "api.frankfurter.app"]);
    expect(grantAnswersFor(mixed, "grant_own_network")).toEqual([
      { decision: "grant", scope: "tool", hosts: ["127.0.0.1:8080"], privateNetwork: true },
      { decision: "grant", scope: "tool", hosts: ["api.frankfurter.app"] },
    ]);
    expect(grantAnswersFor(mixed, "grant").some((answer) => answer.privateNetwork)).toBe(false);
  });

  it("asks each tool in turn, asks again after an answer it does not understand, and says whether anything was granted", async () => {
    const person = scripted(["maybe", "y", ""]);
    const second = { ...request(["api.example.com"]), tool: "weather" };
    const granted = await answerConsent([request(["api.frankfurter.app"]), second], person.dialogue);
    expect(granted).toBe(true);
    expect(person.asked).toHaveLength(3);
    expect(person.said).toContain("answer y, v or n, or press Enter for not now");
    expect(person.recorded).toEqual([["eur_rate", { decision: "grant", scope: "tool", hosts: ["api.frankfurter.app"] }]]);
    expect(person.said.at(-1)).toMatch(/^not now: weather stays unable to reach api\.example\.com/);
  });

  it("stops asking when the person cancels, records nothing more and says what is still asked and how to grant it", async () => {
    const person = scripted([null]);
    const granted = await answerConsent([request(["api.frankfurter.app"])], person.dialogue);
    expect(granted).toBe(false);
    expect(person.recorded).toEqual([]);
    expect(person.said.join("\n")).toContain("`toolforge tools grant eur_rate api.frankfurter.app`");
  });

  it("does not count a denial as something granted", async () => {
    const person = scripted(["n"]);
    expect(await answerConsent([request(["api.frankfurter.app"])], person.dialogue)).toBe(false);
    expect(person.recorded).toEqual([["eur_rate", { decision: "deny", scope: "tool", hosts: ["api.frankfurter.app"] }]]);
  });
});
