import { describe, expect, it } from "vitest";
import { walkPrototypes } from "../../src/store/prototype-walk.js";

function order(links: Record<string, string[]>, start: string, maxDepth?: number): string[] {
  return [...walkPrototypes(start, (id) => links[id] ?? [], maxDepth)].map((v) => `${v.id}@${v.depth}`);
}

describe("prototype walk order", () => {
  it("visits depth-first with prototypes in link order", () => {
    expect(order({ r: ["a", "b"], a: ["a1", "a2"], b: ["b1"] }, "r")).toEqual(["r@0", "a@1", "a1@2", "a2@2", "b@1", "b1@2"]);
  });

  it("visits a diamond's shared ancestor once, through the first path in link order", () => {
    expect(order({ r: ["b", "c"], b: ["d"], c: ["d"] }, "r")).toEqual(["r@0", "b@1", "d@2", "c@1"]);
    expect(order({ r: ["c", "b"], b: ["d"], c: ["d"] }, "r")).toEqual(["r@0", "c@1", "d@2", "b@1"]);
  });

  it("terminates on cycles, self-links included", () => {
    expect(order({ a: ["b"], b: ["a", "b", "c"], c: ["a"] }, "a")).toEqual(["a@0", "b@1", "c@2"]);
  });

  it("goes no further than maxDepth links", () => {
    const chain = { o0: ["o1"], o1: ["o2"], o2: ["o3"], o3: ["o4"] };
    expect(order(chain, "o0", 2)).toEqual(["o0@0", "o1@1", "o2@2"]);
    expect(order(chain, "o0", 0)).toEqual(["o0@0"]);
  });

  it("reads the links of an object only when the walk gets to it", () => {
    const asked: string[] = [];
    const walk = walkPrototypes("r", (id) => {
      asked.push(id);
      return ({ r: ["a", "b"], a: [], b: [] } as Record<string, string[]>)[id] ?? [];
    });
    walk.next(); // r
    walk.next(); // a
    expect(asked).toEqual(["r"]);
  });

  it("walks a chain far longer than the call stack could recurse", () => {
    const links: Record<string, string[]> = {};
    for (let i = 0; i < 50_000; i++) links[`o${i}`] = [`o${i + 1}`];
    expect(order(links, "o0", 100_000)).toHaveLength(50_001);
  });
});
