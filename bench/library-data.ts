/**
 * The tool libraries of the library benchmark (and of the reuse-threshold measurement): realistic
 * tools at 10, 100, 1,000 and 10,000.
 *
 * - The first 164 are HumanEval-X's problems (the vendored, checksummed copy): each problem's
 *   entry point as the snake_case name, the docstring's prose (its examples cut off) as the
 *   description, the declared arguments as the schema's properties.
 * - Beyond 164: tools generated from everyday domains a tool library grows into (unit, time-zone
 *   and colour conversions; text extraction and counting over many kinds of document; statistics
 *   and list operations over many kinds of data; validators and formatters per country and
 *   currency; geometry; finance; dates; encodings), interleaved so that every size mixes all
 *   domains. They share words with HumanEval's problems (count, list, numbers, string, sort,
 *   prime, sum, words, …), which is what makes finding the right tool hard.
 * Installed straight through the store (origin "imported"): the code is a stub, never run here.
 */
import { sha256Hex } from "../src/store/index.js";
import type { JsonObject, NewToolVersion, Store } from "../src/store/types.js";
import { DATASET, entryPointOf, readProblems, type Problem } from "./humaneval.js";

export interface LibraryTool {
  name: string;
  description: string;
  schema: JsonObject;
  /** HumanEval task id, for the tools made from HumanEval. */
  taskId?: string;
}

export function snakeCase(identifier: string): string {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

/** The docstring's prose: the comment before the declaration, without its examples. */
export function docstringOf(problem: Problem): string {
  const comment = /\/\*([\s\S]*?)\*\//.exec(problem.prompt)?.[1] ?? "";
  const prose: string[] = [];
  for (const line of comment.split("\n")) {
    if (/^\s*(>>>|examples?\s*:?|for example|example\s*\d|for \w+\(|\w+\(.*\)\s*(==|=>|➞|->))/i.test(line)) break;
    prose.push(line.trim());
  }
  return prose.join(" ").replace(/\s+/g, " ").trim().slice(0, 400);
}

function argumentsOf(problem: Problem, entryPoint: string): string[] {
  const match = new RegExp(`${entryPoint}\\s*=\\s*\\(([^)]*)\\)|function\\s+${entryPoint}\\s*\\(([^)]*)\\)`).exec(problem.declaration);
  const list = match?.[1] ?? match?.[2] ?? "";
  return list
    .split(",")
    .map((a) => a.replace(/=.*$/, "").trim())
    .filter(Boolean);
}

/** HumanEval's problems as tools; a name used by an earlier problem gets the task number (add, add_85). */
export function humanEvalTools(file: string = DATASET): LibraryTool[] {
  const seen = new Set<string>();
  return readProblems(file).map((problem) => {
    const entryPoint = entryPointOf(problem);
    const properties: JsonObject = {};
    for (const arg of argumentsOf(problem, entryPoint)) properties[arg] = {};
    let name = snakeCase(entryPoint).slice(0, 58);
    if (seen.has(name)) name = `${name}_${problem.task_id.split("/")[1]}`;
    seen.add(name);
    return {
      name,
      description: docstringOf(problem) || `Solves ${entryPoint}.`,
      schema: { type: "object", properties, required: Object.keys(properties) },
      taskId: problem.task_id,
    };
  });
}

// ---------------------------------------------------------------- generated domains

const arg = (name: string, type: string, description: string): [string, JsonObject] => [name, { type, description }];
const schemaOf = (...args: [string, JsonObject][]): JsonObject => ({
  type: "object",
  properties: Object.fromEntries(args),
  required: args.map(([n]) => n),
});
const capital = (text: string) => text[0]!.toUpperCase() + text.slice(1);

const UNITS: Record<string, string[]> = {
  length: [
    "meters",
    "kilometers",
    "miles",
    "feet",
    "inches",
    "yards",
    "centimeters",
    "millimeters",
    "nautical miles",
    "light years",
    "furlongs",
  ],
  mass: ["grams", "kilograms", "pounds", "ounces", "stones", "tonnes", "milligrams", "carats"],
  temperature: ["celsius", "fahrenheit", "kelvin", "rankine"],
  volume: ["liters", "milliliters", "gallons", "quarts", "pints", "cups", "fluid ounces", "cubic meters", "tablespoons", "teaspoons"],
  duration: ["seconds", "minutes", "hours", "days", "weeks", "milliseconds", "years", "fortnights"],
  "data size": ["bytes", "kilobytes", "megabytes", "gigabytes", "terabytes", "bits", "kibibytes", "mebibytes"],
  speed: ["kilometers per hour", "miles per hour", "meters per second", "knots", "feet per second"],
  area: ["square meters", "acres", "hectares", "square feet", "square miles", "square kilometers"],
  pressure: ["pascals", "bar", "psi", "atmospheres", "millimeters of mercury"],
  energy: ["joules", "calories", "kilocalories", "kilowatt hours", "btu", "electronvolts"],
  angle: ["degrees", "radians", "gradians", "turns"],
  "fuel economy": ["miles per gallon", "liters per 100 kilometers", "kilometers per liter"],
};

function* conversions(): Generator<LibraryTool> {
  for (const [quantity, units] of Object.entries(UNITS)) {
    for (const from of units) {
      for (const to of units) {
        if (from === to) continue;
        yield {
          name: snakeCase(`convert ${from} to ${to}`),
          description: `Converts a ${quantity} from ${from} to ${to}.`,
          schema: schemaOf(arg("value", "number", `the ${quantity} in ${from}`)),
        };
      }
    }
  }
}

const TEXT_VERBS: [string, (target: string, source: string) => string][] = [
  ["count", (t, s) => `Counts the ${t} in a ${s}.`],
  ["extract", (t, s) => `Extracts every ${t.replace(/s$/, "")} from a ${s} and returns them as a list.`],
  ["remove", (t, s) => `Removes all ${t} from a ${s} and returns what is left.`],
  ["mask", (t, s) => `Replaces the ${t} in a ${s} with asterisks.`],
  ["find_first", (t, s) => `Finds the first of the ${t} in a ${s} and its position.`],
  ["highlight", (t, s) => `Wraps the ${t} of a ${s} in markers so they stand out.`],
  ["dedupe", (t, s) => `Keeps one copy of each of the ${t} in a ${s}, dropping repeats.`],
  ["validate", (t, s) => `Checks that every one of the ${t} in a ${s} is well formed and reports the bad ones.`],
  ["sort", (t, s) => `Sorts the ${t} found in a ${s} alphabetically.`],
  ["group", (t, s) => `Groups the ${t} of a ${s} by their first character.`],
];
const TEXT_TARGETS = [
  "email addresses",
  "urls",
  "hashtags",
  "mentions",
  "phone numbers",
  "dates",
  "sentences",
  "lines",
  "paragraphs",
  "punctuation marks",
  "uppercase letters",
  "emojis",
  "numbers",
  "stop words",
  "html tags",
  "quotations",
  "ip addresses",
  "credit card numbers",
  "currency amounts",
  "file paths",
  "hex colors",
  "times of day",
  "postal codes",
  "acronyms",
  "headings",
];
const TEXT_SOURCES = [
  "text",
  "markdown document",
  "html page",
  "csv row",
  "log line",
  "json string",
  "email body",
  "tweet",
  "chat message",
  "pdf transcript",
  "subtitle file",
  "commit message",
  "sms",
  "support ticket",
  "news article",
  "xml document",
  "yaml file",
  "source code comment",
  "invoice",
  "resume",
];

function* textTools(): Generator<LibraryTool> {
  for (const source of TEXT_SOURCES) {
    for (const target of TEXT_TARGETS) {
      for (const [verb, describe] of TEXT_VERBS) {
        yield {
          name: snakeCase(`${verb} ${target} in ${source}`).slice(0, 64),
          description: describe(target, source),
          schema: schemaOf(arg(snakeCase(source), "string", `the ${source}`)),
        };
      }
    }
  }
}

const STAT_OPS: [string, string][] = [
  ["sum", "Adds up"],
  ["average", "Computes the arithmetic mean of"],
  ["median", "Finds the median of"],
  ["mode", "Finds the most frequent value among"],
  ["maximum", "Finds the largest of"],
  ["minimum", "Finds the smallest of"],
  ["range", "Computes the spread (largest minus smallest) of"],
  ["variance", "Computes the variance of"],
  ["standard_deviation", "Computes the standard deviation of"],
  ["product", "Multiplies together"],
  ["sort_ascending", "Sorts from smallest to largest"],
  ["sort_descending", "Sorts from largest to smallest"],
  ["reverse", "Reverses the order of"],
  ["deduplicate", "Removes repeated values from"],
  ["rotate_left", "Rotates one step to the left"],
  ["chunk", "Splits into groups of a given size"],
  ["cumulative_sum", "Computes the running total of"],
  ["normalize", "Scales to the range 0 to 1"],
  ["clamp", "Limits to a minimum and maximum"],
  ["round", "Rounds to a number of decimals"],
  ["percentile", "Computes a percentile of"],
  ["histogram", "Counts values per bucket for"],
  ["outliers", "Finds the outliers among"],
  ["moving_average", "Computes the moving average of"],
];
const STAT_KINDS = [
  "prices",
  "temperatures",
  "exam scores",
  "ages",
  "durations",
  "distances",
  "weights",
  "percentages",
  "heart rates",
  "page views",
  "sales figures",
  "response times",
  "rainfall readings",
  "stock returns",
  "salaries",
  "votes",
  "speeds",
  "elevations",
  "calories",
  "wait times",
];
const STAT_CONTAINERS = ["list", "matrix rows", "matrix columns", "dictionary values", "csv column", "json array"];

function* statTools(): Generator<LibraryTool> {
  for (const container of STAT_CONTAINERS) {
    for (const kind of STAT_KINDS) {
      for (const [op, verb] of STAT_OPS) {
        yield {
          name: snakeCase(`${op} ${kind} ${container}`).slice(0, 64),
          description: `${verb} the ${kind} held in a ${container}.`,
          schema: schemaOf(arg(snakeCase(kind), "array", `the ${kind}, as a ${container}`)),
        };
      }
    }
  }
}

const COUNTRIES = [
  "germany",
  "france",
  "italy",
  "spain",
  "portugal",
  "netherlands",
  "belgium",
  "austria",
  "switzerland",
  "poland",
  "sweden",
  "norway",
  "denmark",
  "finland",
  "ireland",
  "united kingdom",
  "united states",
  "canada",
  "mexico",
  "brazil",
  "argentina",
  "chile",
  "japan",
  "south korea",
  "china",
  "india",
  "australia",
  "new zealand",
  "south africa",
  "nigeria",
  "kenya",
  "egypt",
  "turkey",
  "greece",
  "czechia",
  "hungary",
  "romania",
  "ukraine",
  "israel",
  "singapore",
];
const COUNTRY_CHECKS: [string, string][] = [
  ["postal_code", "a postal code"],
  ["phone_number", "a phone number"],
  ["vat_number", "a VAT number"],
  ["national_id", "a national identity number"],
  ["iban", "an IBAN bank account number"],
  ["license_plate", "a car license plate"],
  ["tax_id", "a tax identification number"],
  ["passport_number", "a passport number"],
];

function* countryTools(): Generator<LibraryTool> {
  for (const country of COUNTRIES) {
    for (const [thing, what] of COUNTRY_CHECKS) {
      yield {
        name: snakeCase(`is valid ${thing} ${country}`),
        description: `Checks whether a string is ${what} in the format used in ${capital(country)}.`,
        schema: schemaOf(arg("value", "string", what)),
      };
      yield {
        name: snakeCase(`format ${thing} ${country}`),
        description: `Formats ${what} the way it is written in ${capital(country)}.`,
        schema: schemaOf(arg("value", "string", what)),
      };
    }
  }
}

const CURRENCIES = [
  "euros",
  "us dollars",
  "british pounds",
  "japanese yen",
  "swiss francs",
  "canadian dollars",
  "australian dollars",
  "swedish kronor",
  "indian rupees",
  "brazilian reais",
  "mexican pesos",
  "chinese yuan",
  "south african rand",
  "polish zloty",
  "turkish lira",
];

function* moneyTools(): Generator<LibraryTool> {
  for (const from of CURRENCIES) {
    yield {
      name: snakeCase(`format amount in ${from}`),
      description: `Formats a number as an amount of ${from} with the currency sign and separators.`,
      schema: schemaOf(arg("amount", "number", `the amount in ${from}`)),
    };
    for (const to of CURRENCIES) {
      if (from === to) continue;
      yield {
        name: snakeCase(`convert ${from} to ${to}`),
        description: `Converts an amount of ${from} to ${to} at a given exchange rate.`,
        schema: schemaOf(arg("amount", "number", `the amount in ${from}`), arg("rate", "number", `${to} per unit of ${from}`)),
      };
    }
  }
  for (const country of COUNTRIES) {
    yield {
      name: snakeCase(`sales tax ${country}`),
      description: `Computes the sales tax or VAT due on a price in ${capital(country)}.`,
      schema: schemaOf(arg("price", "number", "the net price")),
    };
    yield {
      name: snakeCase(`income tax ${country}`),
      description: `Estimates the income tax on a yearly salary in ${capital(country)}.`,
      schema: schemaOf(arg("salary", "number", "the gross yearly salary")),
    };
  }
  const finance: [string, string][] = [
    ["compound_interest", "Computes the balance after compound interest over some years."],
    ["simple_interest", "Computes simple interest on a principal."],
    ["loan_payment", "Computes the monthly payment of a loan."],
    ["amortization_schedule", "Lists the payments of a mortgage month by month."],
    ["tip_amount", "Computes a tip and splits the bill between people."],
    ["discount_price", "Applies a percentage discount to a price."],
    ["profit_margin", "Computes the profit margin from cost and price."],
    ["return_on_investment", "Computes the return on an investment."],
    ["net_present_value", "Computes the net present value of cash flows."],
    ["break_even_point", "Finds the break-even quantity."],
    ["straight_line_depreciation", "Depreciates an asset by the straight-line method."],
    ["inflation_adjust", "Adjusts a past amount for inflation."],
  ];
  for (const [name, description] of finance)
    yield { name, description, schema: schemaOf(arg("amount", "number", "the amount"), arg("rate", "number", "the rate")) };
}

const ZONES = [
  "utc",
  "new york",
  "los angeles",
  "chicago",
  "london",
  "paris",
  "berlin",
  "moscow",
  "dubai",
  "mumbai",
  "singapore",
  "tokyo",
  "sydney",
  "sao paulo",
  "johannesburg",
  "auckland",
  "hong kong",
  "toronto",
  "mexico city",
  "cairo",
];

function* timeTools(): Generator<LibraryTool> {
  for (const from of ZONES) {
    for (const to of ZONES) {
      if (from === to) continue;
      yield {
        name: snakeCase(`convert time ${from} to ${to}`),
        description: `Converts a date and time in ${capital(from)} to the local time in ${capital(to)}.`,
        schema: schemaOf(arg("datetime", "string", `an ISO date-time in ${from}`)),
      };
    }
  }
  const units = ["days", "weeks", "months", "years", "business days", "hours", "minutes"];
  for (const unit of units) {
    yield {
      name: snakeCase(`add ${unit} to date`),
      description: `Adds a number of ${unit} to a date.`,
      schema: schemaOf(arg("date", "string", "an ISO date"), arg("amount", "integer", `how many ${unit}`)),
    };
    yield {
      name: snakeCase(`${unit} between dates`),
      description: `Counts the ${unit} between two dates.`,
      schema: schemaOf(arg("start", "string", "an ISO date"), arg("end", "string", "an ISO date")),
    };
  }
  const single: [string, string][] = [
    ["day_of_week", "Tells which day of the week a date falls on."],
    ["is_leap_year", "Tells whether a year is a leap year."],
    ["week_number", "Gives the ISO week number of a date."],
    ["quarter_of_date", "Gives the quarter a date is in."],
    ["age_from_birthdate", "Computes a person's age in years from a birth date."],
    ["next_weekday", "Finds the next date that is a given weekday."],
    ["easter_date", "Computes the date of Easter Sunday for a year."],
    ["unix_timestamp_to_date", "Turns a Unix timestamp into an ISO date-time."],
  ];
  for (const [name, description] of single) yield { name, description, schema: schemaOf(arg("date", "string", "a date")) };
}

const SHAPES = [
  "circle",
  "square",
  "rectangle",
  "triangle",
  "trapezoid",
  "ellipse",
  "hexagon",
  "pentagon",
  "octagon",
  "parallelogram",
  "rhombus",
  "sphere",
  "cube",
  "cylinder",
  "cone",
  "pyramid",
  "prism",
  "torus",
  "annulus",
  "sector",
];
const MEASURES = ["area", "perimeter", "volume", "surface area", "diagonal", "centroid", "inradius"];

function* geometryTools(): Generator<LibraryTool> {
  for (const shape of SHAPES) {
    for (const measure of MEASURES) {
      yield {
        name: snakeCase(`${measure} of ${shape}`),
        description: `Computes the ${measure} of a ${shape} from its dimensions.`,
        schema: schemaOf(arg("dimensions", "object", `the ${shape}'s dimensions`)),
      };
    }
  }
}

const COLOR_SPACES = ["rgb", "hex", "hsl", "hsv", "cmyk", "lab", "xyz"];
const ENCODINGS = [
  "base64",
  "base32",
  "hex",
  "url encoding",
  "html entities",
  "rot13",
  "morse code",
  "caesar cipher",
  "punycode",
  "quoted printable",
  "binary",
  "unicode escapes",
  "ascii85",
  "utf16",
];

function* encodingTools(): Generator<LibraryTool> {
  for (const from of COLOR_SPACES) {
    for (const to of COLOR_SPACES) {
      if (from !== to)
        yield {
          name: snakeCase(`${from} color to ${to}`),
          description: `Converts a color from ${from.toUpperCase()} to ${to.toUpperCase()}.`,
          schema: schemaOf(arg("color", "string", `a ${from} color`)),
        };
    }
  }
  for (const encoding of ENCODINGS) {
    yield {
      name: snakeCase(`encode ${encoding}`),
      description: `Encodes a string with ${encoding}.`,
      schema: schemaOf(arg("text", "string", "the text to encode")),
    };
    yield {
      name: snakeCase(`decode ${encoding}`),
      description: `Decodes a string written in ${encoding}.`,
      schema: schemaOf(arg("encoded", "string", `the ${encoding} text`)),
    };
  }
}

/** Generated tools, domains interleaved (round-robin), distinct names, as many as there are. */
export function generatedTools(): LibraryTool[] {
  const sources = [conversions(), textTools(), statTools(), countryTools(), moneyTools(), timeTools(), geometryTools(), encodingTools()];
  const out: LibraryTool[] = [];
  const seen = new Set<string>();
  let live = sources.slice();
  while (live.length > 0) {
    const next: Generator<LibraryTool>[] = [];
    for (const source of live) {
      const item = source.next();
      if (item.done) continue;
      next.push(source);
      if (!seen.has(item.value.name)) {
        seen.add(item.value.name);
        out.push(item.value);
      }
    }
    live = next;
  }
  return out;
}

/** A library of `size` tools: HumanEval's first (all 164 from 164 on), then generated ones. */
export function libraryOf(size: number): LibraryTool[] {
  const humanEval = humanEvalTools();
  const base = humanEval.slice(0, Math.min(size, humanEval.length));
  const names = new Set(base.map((t) => t.name));
  const extra = generatedTools().filter((t) => !names.has(t.name));
  if (size > base.length + extra.length) throw new Error(`only ${base.length + extra.length} distinct tools can be generated, not ${size}`);
  return [...base, ...extra.slice(0, size - base.length)];
}

export function toolVersionOf(tool: LibraryTool): NewToolVersion {
  const compiled = `export const name = ${JSON.stringify(tool.name)};\nexport default function ${tool.name}() { return null; }\n`;
  return {
    toolName: tool.name,
    description: tool.description,
    schema: tool.schema,
    source: compiled,
    compiled,
    sha256: sha256Hex(compiled),
    forgeRunId: null,
  };
}

/** Installs the tools straight through the store (one transaction each, as a real install). */
export async function installLibrary(store: Store, tools: readonly LibraryTool[]): Promise<void> {
  for (const tool of tools) await store.installToolVersion(toolVersionOf(tool));
}
