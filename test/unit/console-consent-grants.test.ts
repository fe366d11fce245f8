/**
 * What the console's consent card records for an answer: a plain grant never carries the
 * private-network mark; only the hosts the person ticked as on their own network do.
 */
import { describe, expect, it } from "vitest";
import { grantBodies } from "../../console/src/consent-grants.js";

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
});
