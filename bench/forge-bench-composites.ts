/**
 * The composite problems of `npm run bench:forge -- --composite`: new tasks, written by hand, whose
 * natural solution builds on HumanEval-X functions the library already holds. Each has
 *
 * - the request BRICK would write after `TOOL_REQUIRED:` (`sum_prime_digits: … Input: {n: integer}.
 *   Output: integer.`), which never names the library tools: the forge's own search offers them;
 * - the library tools it is meant to use (`uses`), each one a HumanEval-X problem's canonical
 *   solution (LIBRARY), installed beforehand through the admission (./forge-bench-library.ts);
 * - a reference module that uses them (`export const uses`, `ctx.tools`): the proof that the task
 *   can be solved by composing, checked by test/integration/forge-bench-composite.test.ts;
 * - hidden tests in HumanEval's form (`console.assert(sumPrimeDigits(2357) === 17)`), run against the
 *   installed tool by ./forge-bench-hidden.ts and never shown to the model.
 */
import type { BenchProblem } from "./forge-bench-problems.js";
import { jsonSchemaOf } from "./forge-bench-library.js";

/** The library: each tool's name (the bench's snake_case entry point) and the HumanEval-X problem it comes from. */
export const LIBRARY = {
  is_prime: "JavaScript/31",
  factorize: "JavaScript/25",
  greatest_common_divisor: "JavaScript/13",
  fib: "JavaScript/55",
  is_palindrome: "JavaScript/48",
  int_to_mini_roman: "JavaScript/156",
  words_string: "JavaScript/101",
  median: "JavaScript/47",
  vowels_count: "JavaScript/64",
  unique: "JavaScript/34",
  change_base: "JavaScript/44",
  prime_fib: "JavaScript/39",
  remove_vowels: "JavaScript/51",
  count_distinct_characters: "JavaScript/16",
} as const;

export type LibraryTool = keyof typeof LIBRARY;

export interface Composite {
  /** The tool's name, which the request asks for. */
  name: string;
  /** What the tool does: the request's prose. */
  task: string;
  /** The input fields and their types, as the request states them ("integer", "array of integers"). */
  input: Record<string, string>;
  output: string;
  /** The library tools a composing solution uses (the reference module's `uses`). */
  uses: LibraryTool[];
  /** The reference default export's body: the input fields are in scope, and `ctx`. */
  body: string;
  /** The reference module's own test(): statements with `ctx` in scope, calling the default export by `name`. */
  test: string;
  /** The hidden assertions, each an expression over the entry point (`name` in camelCase). */
  hidden: string[];
}

/** sum_prime_digits → sumPrimeDigits: the function the hidden tests call. */
export function entryPointOf(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export const COMPOSITES: Composite[] = [
  {
    name: "sum_prime_digits",
    task: "the sum of the decimal digits of a non-negative integer n that are prime numbers (each occurrence counts).",
    input: { n: "integer" },
    output: "integer",
    uses: ["is_prime"],
    body: `let sum = 0;
  for (const digit of String(n)) if (await ctx.tools.is_prime({ n: Number(digit) })) sum += Number(digit);
  return sum;`,
    test: `assert.equal(await sum_prime_digits({ n: 2357 }, ctx), 17);`,
    hidden: [
      "sumPrimeDigits(2357) === 17",
      "sumPrimeDigits(1234) === 5",
      "sumPrimeDigits(0) === 0",
      "sumPrimeDigits(4689) === 0",
      "sumPrimeDigits(707) === 14",
    ],
  },
  {
    name: "count_primes",
    task: "how many numbers in a list of integers are prime.",
    input: { numbers: "array of integers" },
    output: "integer",
    uses: ["is_prime"],
    body: `let count = 0;
  for (const n of numbers) if (await ctx.tools.is_prime({ n })) count++;
  return count;`,
    test: `assert.equal(await count_primes({ numbers: [2, 4, 5] }, ctx), 2);`,
    hidden: [
      "countPrimes([2, 3, 4, 5, 6, 7]) === 4",
      "countPrimes([]) === 0",
      "countPrimes([1, 0, -3, 9]) === 0",
      "countPrimes([11, 13, 17, 19, 23]) === 5",
      "countPrimes([97, 100, 101]) === 2",
    ],
  },
  {
    name: "least_common_multiple",
    task: "the least common multiple of two positive integers a and b.",
    input: { a: "integer", b: "integer" },
    output: "integer",
    uses: ["greatest_common_divisor"],
    body: `return (a / (await ctx.tools.greatest_common_divisor({ a, b }))) * b;`,
    test: `assert.equal(await least_common_multiple({ a: 4, b: 6 }, ctx), 12);`,
    hidden: [
      "leastCommonMultiple(4, 6) === 12",
      "leastCommonMultiple(21, 6) === 42",
      "leastCommonMultiple(1, 1) === 1",
      "leastCommonMultiple(7, 13) === 91",
      "leastCommonMultiple(10, 5) === 10",
    ],
  },
  {
    name: "reduce_fraction",
    task: "the fraction numerator/denominator (two positive integers) in lowest terms, as a list [numerator, denominator].",
    input: { numerator: "integer", denominator: "integer" },
    output: "array of integers",
    uses: ["greatest_common_divisor"],
    body: `const divisor = await ctx.tools.greatest_common_divisor({ a: numerator, b: denominator });
  return [numerator / divisor, denominator / divisor];`,
    test: `assert.deepEqual(await reduce_fraction({ numerator: 6, denominator: 8 }, ctx), [3, 4]);`,
    hidden: [
      "JSON.stringify(reduceFraction(6, 8)) === JSON.stringify([3, 4])",
      "JSON.stringify(reduceFraction(10, 5)) === JSON.stringify([2, 1])",
      "JSON.stringify(reduceFraction(7, 13)) === JSON.stringify([7, 13])",
      "JSON.stringify(reduceFraction(100, 75)) === JSON.stringify([4, 3])",
      "JSON.stringify(reduceFraction(1, 1)) === JSON.stringify([1, 1])",
    ],
  },
  {
    name: "gcd_of_list",
    task: "the greatest common divisor of all the numbers of a non-empty list of positive integers.",
    input: { numbers: "array of integers" },
    output: "integer",
    uses: ["greatest_common_divisor"],
    body: `let result = numbers[0];
  for (const b of numbers.slice(1)) result = await ctx.tools.greatest_common_divisor({ a: result, b });
  return result;`,
    test: `assert.equal(await gcd_of_list({ numbers: [12, 18, 24] }, ctx), 6);`,
    hidden: [
      "gcdOfList([12, 18, 24]) === 6",
      "gcdOfList([7]) === 7",
      "gcdOfList([5, 10, 15, 20]) === 5",
      "gcdOfList([17, 34, 51, 4]) === 1",
      "gcdOfList([100, 75]) === 25",
    ],
  },
  {
    name: "count_distinct_prime_factors",
    task: "how many different prime numbers divide the integer n (n is 2 or more).",
    input: { n: "integer" },
    output: "integer",
    uses: ["factorize"],
    body: `return new Set(await ctx.tools.factorize({ n })).size;`,
    test: `assert.equal(await count_distinct_prime_factors({ n: 12 }, ctx), 2);`,
    hidden: [
      "countDistinctPrimeFactors(12) === 2",
      "countDistinctPrimeFactors(13) === 1",
      "countDistinctPrimeFactors(60) === 3",
      "countDistinctPrimeFactors(1024) === 1",
      "countDistinctPrimeFactors(30030) === 6",
      "countDistinctPrimeFactors(8633) === 2",
    ],
  },
  {
    name: "is_semiprime",
    task: "whether the integer n (2 or more) is the product of exactly two prime numbers, not necessarily different.",
    input: { n: "integer" },
    output: "boolean",
    uses: ["factorize"],
    body: `return (await ctx.tools.factorize({ n })).length === 2;`,
    test: `assert.equal(await is_semiprime({ n: 6 }, ctx), true);`,
    hidden: [
      "isSemiprime(4) === true",
      "isSemiprime(6) === true",
      "isSemiprime(12) === false",
      "isSemiprime(13) === false",
      "isSemiprime(49) === true",
      "isSemiprime(30) === false",
      "isSemiprime(221) === true",
    ],
  },
  {
    name: "even_fibonacci_numbers",
    task: "the even numbers among the first n Fibonacci numbers F(1) … F(n), in order, where F(1) = 1, F(2) = 1 and F(k) = F(k-1) + F(k-2).",
    input: { n: "integer" },
    output: "array of integers",
    uses: ["fib"],
    body: `const even: number[] = [];
  for (let k = 1; k <= n; k++) {
    const value = await ctx.tools.fib({ n: k });
    if (value % 2 === 0) even.push(value);
  }
  return even;`,
    test: `assert.deepEqual(await even_fibonacci_numbers({ n: 10 }, ctx), [2, 8, 34]);`,
    hidden: [
      "JSON.stringify(evenFibonacciNumbers(10)) === JSON.stringify([2, 8, 34])",
      "JSON.stringify(evenFibonacciNumbers(1)) === JSON.stringify([])",
      "JSON.stringify(evenFibonacciNumbers(3)) === JSON.stringify([2])",
      "JSON.stringify(evenFibonacciNumbers(12)) === JSON.stringify([2, 8, 34, 144])",
      "JSON.stringify(evenFibonacciNumbers(20)) === JSON.stringify([2, 8, 34, 144, 610, 2584])",
    ],
  },
  {
    name: "count_prime_fibonacci",
    task: "how many of the first n Fibonacci numbers F(1) … F(n) are prime, where F(1) = 1, F(2) = 1 and F(k) = F(k-1) + F(k-2).",
    input: { n: "integer" },
    output: "integer",
    uses: ["fib", "is_prime"],
    body: `let count = 0;
  for (let k = 1; k <= n; k++) if (await ctx.tools.is_prime({ n: await ctx.tools.fib({ n: k }) })) count++;
  return count;`,
    test: `assert.equal(await count_prime_fibonacci({ n: 5 }, ctx), 3);`,
    hidden: [
      "countPrimeFibonacci(10) === 4",
      "countPrimeFibonacci(1) === 0",
      "countPrimeFibonacci(5) === 3",
      "countPrimeFibonacci(15) === 6",
      "countPrimeFibonacci(20) === 7",
    ],
  },
  {
    name: "sum_of_prime_fibonacci",
    task: "the sum of the first n numbers that are both Fibonacci numbers and prime (2, 3, 5, 13, 89, …), n from 1.",
    input: { n: "integer" },
    output: "integer",
    uses: ["prime_fib"],
    body: `let sum = 0;
  for (let k = 1; k <= n; k++) sum += await ctx.tools.prime_fib({ n: k });
  return sum;`,
    test: `assert.equal(await sum_of_prime_fibonacci({ n: 3 }, ctx), 10);`,
    hidden: [
      "sumOfPrimeFibonacci(1) === 2",
      "sumOfPrimeFibonacci(2) === 5",
      "sumOfPrimeFibonacci(4) === 23",
      "sumOfPrimeFibonacci(5) === 112",
      "sumOfPrimeFibonacci(6) === 345",
    ],
  },
  {
    name: "palindromic_primes",
    task: "all the prime numbers below n whose decimal digits read the same backwards, in ascending order.",
    input: { n: "integer" },
    output: "array of integers",
    uses: ["is_prime", "is_palindrome"],
    body: `const found: number[] = [];
  for (let k = 2; k < n; k++) {
    if ((await ctx.tools.is_palindrome({ text: String(k) })) && (await ctx.tools.is_prime({ n: k }))) found.push(k);
  }
  return found;`,
    test: `assert.deepEqual(await palindromic_primes({ n: 12 }, ctx), [2, 3, 5, 7, 11]);`,
    hidden: [
      "JSON.stringify(palindromicPrimes(20)) === JSON.stringify([2, 3, 5, 7, 11])",
      "JSON.stringify(palindromicPrimes(2)) === JSON.stringify([])",
      "JSON.stringify(palindromicPrimes(102)) === JSON.stringify([2, 3, 5, 7, 11, 101])",
      "JSON.stringify(palindromicPrimes(200)) === JSON.stringify([2, 3, 5, 7, 11, 101, 131, 151, 181, 191])",
    ],
  },
  {
    name: "roman_numeral_upper",
    task: "the Roman numeral of a whole number from 1 to 1000, in upper case (19 is XIX).",
    input: { number: "integer" },
    output: "string",
    uses: ["int_to_mini_roman"],
    body: `return String(await ctx.tools.int_to_mini_roman({ number })).toUpperCase();`,
    test: `assert.equal(await roman_numeral_upper({ number: 19 }, ctx), "XIX");`,
    hidden: [
      "romanNumeralUpper(152) === 'CLII'",
      "romanNumeralUpper(426) === 'CDXXVI'",
      "romanNumeralUpper(1000) === 'M'",
      "romanNumeralUpper(4) === 'IV'",
      "romanNumeralUpper(944) === 'CMXLIV'",
    ],
  },
  {
    name: "digit_sum_in_base",
    task: "the sum of the digits of the positive integer x when it is written in base `base` (2 to 9).",
    input: { x: "integer", base: "integer" },
    output: "integer",
    uses: ["change_base"],
    body: `const digits = String(await ctx.tools.change_base({ x, base }));
  return [...digits].reduce((sum, d) => sum + Number(d), 0);`,
    test: `assert.equal(await digit_sum_in_base({ x: 10, base: 2 }, ctx), 2);`,
    hidden: [
      "digitSumInBase(255, 2) === 8",
      "digitSumInBase(100, 3) === 4",
      "digitSumInBase(8, 8) === 1",
      "digitSumInBase(7, 9) === 7",
      "digitSumInBase(80, 9) === 16",
    ],
  },
  {
    name: "median_word_length",
    task: "the median length of the words of a text whose words are separated by commas or spaces (the mean of the two middle lengths when there is an even number of words).",
    input: { text: "string" },
    output: "number",
    uses: ["words_string", "median"],
    body: `const words: string[] = await ctx.tools.words_string({ s: text });
  return ctx.tools.median({ l: words.map((w) => w.length) });`,
    test: `assert.equal(await median_word_length({ text: "Hi, my name is John" }, ctx), 2);`,
    hidden: [
      "medianWordLength('one two three four') === 3.5",
      "medianWordLength('a') === 1",
      "medianWordLength('alpha,beta gamma') === 5",
      "medianWordLength('Hi, my name is John') === 2",
    ],
  },
  {
    name: "sentence_vowels",
    task: "the number of vowels in a text whose words are separated by commas or spaces: a, e, i, o and u in either case, plus one for each word that ends in y or Y.",
    input: { text: "string" },
    output: "integer",
    uses: ["words_string", "vowels_count"],
    body: `let total = 0;
  for (const word of await ctx.tools.words_string({ s: text })) total += await ctx.tools.vowels_count({ s: word });
  return total;`,
    test: `assert.equal(await sentence_vowels({ text: "hello world" }, ctx), 3);`,
    hidden: [
      "sentenceVowels('Happy day, sky') === 5",
      "sentenceVowels('AEIOU') === 5",
      "sentenceVowels('rhythm') === 0",
      "sentenceVowels('yes you') === 3",
      "sentenceVowels('') === 0",
    ],
  },
  {
    name: "median_of_distinct",
    task: "the median of the different values of a non-empty list of numbers (each value counted once; the mean of the two middle values when there is an even number of them).",
    input: { numbers: "array of numbers" },
    output: "number",
    uses: ["unique", "median"],
    body: `return ctx.tools.median({ l: await ctx.tools.unique({ l: numbers }) });`,
    test: `assert.equal(await median_of_distinct({ numbers: [1, 1, 1, 2, 3] }, ctx), 2);`,
    hidden: [
      "medianOfDistinct([5, 3, 5, 1]) === 3",
      "medianOfDistinct([4, 4, 8, 8]) === 6",
      "medianOfDistinct([7]) === 7",
      "medianOfDistinct([-1, 10, -1, 2]) === 2",
      "medianOfDistinct([1, 1, 1, 2, 3]) === 2",
    ],
  },
  {
    name: "count_distinct_consonants",
    task: "how many different characters a text has once its vowels (a, e, i, o, u in either case) are removed, ignoring case; spaces and punctuation count as characters.",
    input: { text: "string" },
    output: "integer",
    uses: ["remove_vowels", "count_distinct_characters"],
    body: `return ctx.tools.count_distinct_characters({ string: await ctx.tools.remove_vowels({ text }) });`,
    test: `assert.equal(await count_distinct_consonants({ text: "Mississippi" }, ctx), 3);`,
    hidden: [
      "countDistinctConsonants('Hello World') === 6",
      "countDistinctConsonants('aeiou') === 0",
      "countDistinctConsonants('xyzXYZ') === 3",
      "countDistinctConsonants('Banana!') === 3",
      "countDistinctConsonants('Mississippi') === 3",
    ],
  },
];

/** What BRICK would write after `TOOL_REQUIRED:`. */
export function compositeSpec(composite: Composite): string {
  const fields = Object.entries(composite.input)
    .map(([field, type]) => `${field}: ${type}`)
    .join(", ");
  return `${composite.name}: ${composite.task}\nInput: {${fields}}. Output: ${composite.output}.`;
}

/** The composite as a bench problem, so that the hidden tests run through ./forge-bench-hidden.ts. */
export function compositeProblem(composite: Composite): BenchProblem {
  const entryPoint = entryPointOf(composite.name);
  return {
    taskId: `composite/${composite.name}`,
    entryPoint,
    toolName: composite.name,
    params: Object.keys(composite.input),
    spec: compositeSpec(composite),
    answersRemoved: 0,
    helperCode: "",
    hiddenTest: `const test${entryPoint[0]!.toUpperCase()}${entryPoint.slice(1)} = () => {
${composite.hidden.map((assertion) => `  console.assert(${assertion})`).join("\n")}
}

test${entryPoint[0]!.toUpperCase()}${entryPoint.slice(1)}()
`,
  };
}

/** The reference module: the composite written on its library tools (`uses`, `ctx.tools`). */
export function referenceModule(composite: Composite): string {
  const fields = Object.keys(composite.input);
  const properties = Object.entries(composite.input)
    .map(([field, type]) => `    ${field}: ${JSON.stringify({ ...jsonSchemaOf(type), description: `the ${field} argument` })},`)
    .join("\n");
  const description = composite.task[0]!.toUpperCase() + composite.task.slice(1);
  return `import assert from "node:assert/strict";

export const name = ${JSON.stringify(composite.name)};
export const description = ${JSON.stringify(description)};
export const schema = {
  type: "object",
  properties: {
${properties}
  },
  required: ${JSON.stringify(fields)},
};
export const uses = ${JSON.stringify(composite.uses)};

type Tools = Record<string, (args: Record<string, unknown>) => Promise<any>>;

export default async function ${composite.name}({ ${fields.join(", ")} }: any, ctx: { tools: Tools }): Promise<any> {
  ${composite.body}
}

export async function test(ctx: { tools: Tools }): Promise<void> {
  ${composite.test}
}
`;
}
