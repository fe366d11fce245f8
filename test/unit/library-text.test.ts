/** The terms the library indexes and searches with (src/store/library-text.ts): one definition for every store. */
import { describe, expect, it } from "vitest";
import { libraryFields, queryTerms, terms, words } from "../../src/store/library-text.js";

describe("library terms", () => {
  it("splits snake_case, camelCase, PascalCase and digits into words", () => {
    expect(words("count_words")).toEqual(["count", "words"]);
    expect(words("countWords_inUTF8Text")).toEqual(["count", "words", "in", "utf8", "text"]);
    expect(terms("is 101 a prime? x, md5 and base64")).toEqual(["prime", "md5", "base64"]);
    expect(words("HTTPServerError")).toEqual(["http", "server", "error"]);
    expect(words("Café—naïve")).toEqual(["cafe", "naive"]);
  });

  it("makes count_words and word_count the same terms, in any order", () => {
    expect(new Set(terms("count_words"))).toEqual(new Set(terms("word_count")));
    expect(new Set(terms("counting the words"))).toEqual(new Set(terms("word counts")));
  });

  it("drops stopwords and maps programming synonyms onto one term", () => {
    expect(terms("What is the largest number in the list?")).toEqual(terms("maximum numbers array"));
    expect(terms("please tell me how many vowels")).toEqual(["count", "vowel"]);
    expect(queryTerms("sort sort sorted order", 10)).toEqual(["sort"]);
  });

  it("indexes the name, description, argument names and descriptions, and the spec as separate fields", () => {
    const fields = libraryFields({
      kind: "tool",
      name: "word_count",
      objectId: null,
      version: 1,
      description: "Counts the words in a text.",
      schema: { type: "object", properties: { text: { type: "string", description: "the input sentence" } } },
      spec: "word_count: number of words",
    });
    expect(fields).toEqual({
      name: "word count",
      description: "count word string",
      args: "string input sentenc",
      spec: "word count number word",
    });
  });
});
