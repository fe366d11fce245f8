import { ArangoError, FetchFailedError, HttpError } from "arangojs/errors";
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/errors.js";
import { describeArangoFailure } from "../../src/store/arango/errors.js";

const settings = { url: "http://db.example:8529", database: "toolforge", user: "forge", password: "secret" };

describe("ArangoDB failures a user can act on", () => {
  it("names the URL and how to start the server when it cannot be reached", () => {
    const failure = new FetchFailedError("Fetch failed", new Request("http://db.example:8529/_api/version"), {
      cause: new Error("connect ECONNREFUSED"),
    });
    const error = describeArangoFailure(failure, settings);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error?.message).toContain("cannot reach ArangoDB at http://db.example:8529");
    expect(error?.message).toContain("ECONNREFUSED");
    expect(error?.message).toContain("docker compose up -d arangodb");
  });

  it("names the user, the database and ARANGO_USER/ARANGO_PASS when credentials are refused", () => {
    for (const failure of [
      new ArangoError({ code: 401, errorNum: 11, errorMessage: "not authorized to execute this request" }),
      new HttpError({ status: 401, headers: new Headers(), body: "" } as unknown as ConstructorParameters<typeof HttpError>[0]),
    ]) {
      const error = describeArangoFailure(failure, settings);
      expect(error?.message).toContain('refused user "forge" for database "toolforge"');
      expect(error?.message).toContain("ARANGO_USER and ARANGO_PASS");
      expect(error?.message).not.toContain("secret");
    }
  });

  it("says how to get the database when it is missing and cannot be created", () => {
    const error = describeArangoFailure(new ArangoError({ code: 404, errorNum: 1228, errorMessage: "database not found" }), settings);
    expect(error?.message).toContain('has no database "toolforge"');
  });

  it("leaves every other error to the caller", () => {
    expect(describeArangoFailure(new ArangoError({ code: 409, errorNum: 1200, errorMessage: "conflict" }), settings)).toBeNull();
    expect(describeArangoFailure(new Error("boom"), settings)).toBeNull();
  });
});
