/**
 * Argument checks on the host: a tool's JSON Schema compiled with ajv, and error messages that
 * name the field and the problem, phrased for the model that made the call.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { InvalidInputError, errorMessage } from "../errors.js";

// Model-written schemas use keywords and formats ajv's strict mode refuses ("example", "format":
// "email" without ajv-formats): be lenient about the schema, strict about the arguments.
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });

export type ArgsCheck = (args: unknown) => { ok: true } | { ok: false; message: string };

/** Compiles a tool's schema; throws InvalidInputError when it is not a usable JSON Schema. */
export function compileArgsSchema(toolName: string, schema: unknown): ArgsCheck {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new InvalidInputError(`the schema of ${toolName} is not a JSON Schema object`);
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    throw new InvalidInputError(
      `the schema of ${toolName} is not a valid JSON Schema: ${errorMessage(error)}`,
    );
  }
  return (args) => {
    if (validate(args)) return { ok: true };
    return { ok: false, message: `invalid arguments for ${toolName}: ${describeErrors(validate.errors ?? [])}` };
  };
}

/** One readable sentence per ajv error, each naming the field (`text`, `items[2].id`). */
export function describeErrors(errors: ErrorObject[]): string {
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
