/**
 * A tool's input schema as form fields (a field per property of an object schema, in order), and
 * the values of such a form back as the tool's arguments — or the field whose value is not what
 * the schema asks for, named.
 */
import type { Json } from "./types.js";

export type FieldKind = "string" | "number" | "integer" | "boolean" | "json";

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  description: string;
  choices: Json[] | null;
}

/** The fields of an input schema of type object (properties in their order). */
export function fieldsOf(schema: Json): Field[] {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return [];
  const properties = schema.properties;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  return Object.entries(properties).map(([name, property]) => {
    const p = typeof property === "object" && property !== null && !Array.isArray(property) ? property : {};
    const type = typeof p.type === "string" ? p.type : null;
    const kind: FieldKind = type === "string" || type === "number" || type === "integer" || type === "boolean" ? type : "json";
    return {
      name,
      kind,
      required: required.has(name),
      description: typeof p.description === "string" ? p.description : "",
      choices: Array.isArray(p.enum) ? p.enum : null,
    };
  });
}

/** What the form holds: the text of each field, or a yes/no box's state. */
export type FormValues = Record<string, string | boolean>;

/** The arguments the form's values stand for, or the field whose value is not what the schema asks. */
export function argumentsOf(fields: Field[], values: FormValues): { args: Record<string, Json> } | { problem: string } {
  const args: Record<string, Json> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === "boolean") {
      if (value !== undefined || field.required) args[field.name] = value === true;
      continue;
    }
    const text = typeof value === "string" ? value : "";
    if (text.trim() === "" && field.kind !== "string") {
      if (field.required) return { problem: `${field.name}: required` };
      continue;
    }
    if (text === "" && !field.required) continue;
    if (field.choices) {
      const chosen = field.choices.find((choice) => String(choice) === text);
      if (chosen === undefined) return { problem: `${field.name}: choose one of ${field.choices.map(String).join(", ")}` };
      args[field.name] = chosen;
    } else if (field.kind === "number" || field.kind === "integer") {
      const number = Number(text);
      if (!Number.isFinite(number) || (field.kind === "integer" && !Number.isInteger(number))) {
        return { problem: `${field.name}: must be ${field.kind === "integer" ? "a whole number" : "a number"}` };
      }
      args[field.name] = number;
    } else if (field.kind === "json") {
      try {
        args[field.name] = JSON.parse(text) as Json;
      } catch {
        return { problem: `${field.name}: must be JSON, e.g. [1, 2] or {"key": "value"}` };
      }
    } else args[field.name] = text;
  }
  return { args };
}
