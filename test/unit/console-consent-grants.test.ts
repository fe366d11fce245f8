/**
 * What the console's consent card records for an answer: a plain grant never carries the
 * private-network mark; only the hosts the person ticked as on their own network do.
 */
import { describe, expect, it } from "vitest";
import { grantBodies, withOwnNetwork } from "../../console/src/consent-grants.js";

describe("the consent card's grant requests", () => {
  const hosts = ["127.0.0.1:8080", "api.frankfurter.app"];

  it("grants every host for HTTPS only when nothing is ticked, for this version and later ones or this version only", () => {
    expect(grantBodies("grant", hosts, new Set())).toEqual([{ decision: "grant", scope: "tool", hosts }]);
    expect(grantBodies("grant_version", hosts, new Set())).toEqual([{ decision: "grant", scope: "version", hosts }]);
  });

  it("marks only the ticked hosts as on the person's own network", () => {
    expect(grantBodies("grant", hosts, new Set(["127.0.0.1:8080"]))).toEqual([
      { decision: "grant", scope: "tool", hosts: ["127.0.0.1:8080"], private_network: true },
      { decision: "grant", scope: "tool", hosts: ["api.frankfurter.app"] },
    ]);
  });

  it("denies every host in one request, ticked or not", () => {
    expect(grantBodies("deny", hosts, new Set(["127.0.0.1:8080"]))).toEqual([{ decision: "deny", scope: "tool", hosts }]);
  });

  it("keeps the ticked hosts as a new set when one is ticked or unticked, never changing the one it was given", () => {
    const ticked = new Set(["127.0.0.1:8080"]);
    expect([...withOwnNetwork(ticked, "nas.local", true)]).toEqual(["127.0.0.1:8080", "nas.local"]);
    expect([...withOwnNetwork(ticked, "127.0.0.1:8080", false)]).toEqual([]);
    expect([...ticked]).toEqual(["127.0.0.1:8080"]);
  });
});
