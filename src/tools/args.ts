/**
 * Argument checks on the host: a tool's JSON Schema compiled with ajv, and error messages that
 * name the field and the problem, phrased for the model that made the call.
 *
 * Models often write numbers and booleans as strings (`"limit": "20"`). What is unambiguous is
 * coerced in place, as ajv's `coerceTypes` does, before the call runs: a string that is exactly a
 * number, for a number or integer field (`"20"` → 20), and `"true"`/`"false"` for a boolean field.
 * Nothing else is coerced (no null, no number ↔ boolean, no number → string, no scalar → array):
 * those calls are refused with the message of the strict check.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { InvalidInputError, errorMessage } from "../errors.js";

// Model-written schemas use keywords and formats ajv's strict mode refuses ("example", "format":
// "email" without ajv-formats): be lenient about the schema, strict about the arguments.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const coercing = new Ajv({ allErrors: true, strict: false, validateFormats: false, coerceTypes: true });

export type ArgsCheck = (args: unknown) => { ok: true } | { ok: false; message: string };

/**
 * Compiles a tool's schema; throws InvalidInputError when it is not a usable JSON Schema. The check
 * coerces unambiguous scalars in the arguments it is given, in place (see the top of this file).
 */
export function compileArgsSchema(toolName: string, schema: unknown): ArgsCheck {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new InvalidInputError(`the schema of ${toolName} is not a JSON Schema object`);
  }
  let validate: ValidateFunction;
  let coerce: ValidateFunction;
  try {
    validate = ajv.compile(schema);
    coerce = coercing.compile(schema);
  } catch (error) {
    throw new InvalidInputError(`the schema of ${toolName} is not a valid JSON Schema: ${errorMessage(error)}`);
  }
  return (args) => {
    if (validate(args)) return { ok: true };
    const errors = validate.errors ?? [];
    if (typeof args === "object" && args !== null) {
      const copy = structuredClone(args);
      if (coerce(copy) && onlyUnambiguous(args, copy)) {
        assignInPlace(args, copy);
        return { ok: true };
      }
    }
    return { ok: false, message: `invalid arguments for ${toolName}: ${describeErrors(errors)}` };
  };
}

const NUMBER_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Every difference between the arguments and their coerced copy is a string read as a number or a boolean. */
function onlyUnambiguous(original: unknown, coerced: unknown): boolean {
  if (Object.is(original, coerced)) return true;
  if (typeof original === "string") {
    if (typeof coerced === "number") return NUMBER_TEXT.test(original.trim());
    if (typeof coerced === "boolean") return original === "true" || original === "false";
    return false;
  }
  if (typeof original !== "object" || original === null || typeof coerced !== "object" || coerced === null) return false;
  if (Array.isArray(original) !== Array.isArray(coerced)) return false;
  const keys = new Set([...Object.keys(original), ...Object.keys(coerced)]);
  for (const key of keys) {
    if (!onlyUnambiguous((original as Record<string, unknown>)[key], (coerced as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Writes the coerced values into the caller's arguments, so the call runs with them. */
function assignInPlace(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (typeof value === "object" && value !== null && typeof current === "object" && current !== null) {
      assignInPlace(current as Record<string, unknown>, value as Record<string, unknown>);
    } else if (!Object.is(current, value)) {
      target[key] = value;
    }
  }
}

/** One readable sentence per ajv error, each naming the field (`text`, `items[2].id`). */
function describeErrors(errors: ErrorObject[]): string {
  const lines = errors.map(describeError);
  return [...new Set(lines)].join("; ");
}

function describeError(error: ErrorObject): string {
  const at = fieldName(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${quote(join(at, String(params.missingProperty)))} is required`;
    case "additionalProperties":
      return `${quote(join(at, String(params.additionalProperty)))} is not an accepted field`;
    case "type":
      return `${at ? quote(at) : "the arguments"} must be ${String(params.type)}`;
    case "enum":
      return `${at ? quote(at) : "the arguments"} must be one of ${JSON.stringify(params.allowedValues)}`;
    default:
      return `${at ? quote(at) : "the arguments"} ${error.message ?? "is invalid"}`;
  }
}

/** `/items/2/id` → `items[2].id`. */
function fieldName(instancePath: string): string {
  if (!instancePath) return "";
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), "");
}

function join(base: string, field: string): string {
  return base ? `${base}.${field}` : field;
}

function quote(field: string): string {
  return `\`${field}\``;
}
