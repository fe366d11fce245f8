/** The Porter stemmer (src/store/porter-stemmer.ts) that library-text.ts makes its terms with. */
import { describe, expect, it } from "vitest";
import { stem } from "../../src/store/porter-stemmer.js";

describe("Porter stemmer", () => {
  it("stems with Porter's rules", () => {
    expect(["counts", "counting", "counted"].map(stem)).toEqual(["count", "count", "count"]);
    expect(["caresses", "ponies", "relational", "hopping", "generalization"].map(stem)).toEqual([
      "caress",
      "poni",
      "relat",
      "hop",
      "gener",
    ]);
  });

  it("leaves short words and words with digits as they are", () => {
    expect(["is", "md5", "base64", "utf8"].map(stem)).toEqual(["is", "md5", "base64", "utf8"]);
  });
});
