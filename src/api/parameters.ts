/**
 * The part of JSON Schema (2020-12, as OpenAPI 3.1 uses it) that the routes
 * declare their parameters and bodies with. The same objects validate
 * requests (checkValue) and go into /api/openapi.json.
 */
export type Schema = StringSchema | IntegerSchema | NumberSchema | BooleanSchema | NullSchema | ObjectSchema | ArraySchema | AnyOfSchema;

interface Described {
  readonly description?: string;
}

export interface StringSchema extends Described {
  readonly type: "string";
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly format?: "date-time";
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface IntegerSchema extends Described {
  readonly type: "integer";
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface NumberSchema extends Described {
  readonly type: "number";
  readonly minimum?: number;
}

export interface BooleanSchema extends Described {
  readonly type: "boolean";
}

export interface NullSchema extends Described {
  readonly type: "null";
}

export interface ObjectSchema extends Described {
  readonly type: "object";
  readonly properties: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  /** Absent: no other property is allowed (the OpenAPI document says `false`). */
  readonly additionalProperties?: boolean;
  readonly minProperties?: number;
  /** What an unknown property is called in a 400's message (a setting, a parameter). */
  readonly "x-noun"?: string;
}

export interface ArraySchema extends Described {
  readonly type: "array";
  readonly items: Schema;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export interface AnyOfSchema extends Described {
  readonly anyOf: readonly Schema[];
}

/** A request that does not match its route's schema; a 400 with this message. */
export class ParameterError extends Error {
  override name = "ParameterError";
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}/;

/** How a request's values are read: from a URL (query, path, header), where every value is text and an integer is its digits, or from a JSON body. */
export interface CheckOptions {
  /** What an unknown name is called in the message: parameter, setting, property. */
  readonly noun: string;
  readonly fromText: boolean;
}

/** Checks named values (a query, path parameters, headers or a JSON body) against an object schema. */
export function checkObject(schema: ObjectSchema, values: Readonly<Record<string, unknown>>, options: CheckOptions, path?: string): void {
  const known = Object.keys(schema.properties);
  const within = path === undefined ? "" : ` in ${path}`;
  const named = (name: string): string => (path === undefined ? name : `${path}.${name}`);
  if (schema.additionalProperties !== true) {
    for (const name of Object.keys(values)) {
      if (!Object.hasOwn(schema.properties, name)) {
        const noun = schema["x-noun"] ?? options.noun;
        throw new ParameterError(`unknown ${noun} "${name}"${within}; ${known.length > 0 ? `use ${known.join(", ")}` : "it takes none"}`);
      }
    }
  }
  const given = Object.keys(values).filter((name) => values[name] !== undefined);
  if (schema.minProperties !== undefined && given.length < schema.minProperties) {
    throw new ParameterError(`${path ?? "the request"} takes at least ${schema.minProperties === 1 ? "one" : schema.minProperties} of ${known.join(", ")}`);
  }
  for (const name of schema.required ?? []) {
    if (values[name] === undefined || values[name] === "") throw new ParameterError(`${named(name)} is required`);
  }
  for (const [name, value] of Object.entries(values)) {
    const property = schema.properties[name];
    if (property && value !== undefined && !(options.fromText && value === "")) checkValue(property, value, named(name), options);
  }
}

function checkValue(schema: Schema, value: unknown, name: string, options: CheckOptions): void {
  const problem = problemOf(schema, value, options.fromText);
  if (problem) throw new ParameterError(`${name} ${problem}; got ${shown(value)}`);
  if ("type" in schema && schema.type === "object") checkObject(schema, value as Record<string, unknown>, options, name);
  if ("type" in schema && schema.type === "array") (value as unknown[]).forEach((item, i) => checkValue(schema.items, item, `${name}[${i}]`, options));
}

function problemOf(schema: Schema, value: unknown, fromText: boolean): string | undefined {
  if ("anyOf" in schema) {
    const problems = schema.anyOf.map((s) => problemOf(s, value, fromText));
    if (problems.includes(undefined)) return undefined;
    // A value of the right kind that breaks a limit: say which limit.
    const sameKind = schema.anyOf.findIndex((s) => "type" in s && s.type === typeof value);
    return sameKind >= 0 ? problems[sameKind] : `must be ${schema.anyOf.map(kind).join(" or ")}`;
  }
  if (fromText && Array.isArray(value) && schema.type !== "array") return "must be given once";
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") return "must be a string";
      if (schema.enum && !schema.enum.includes(value)) return `must be one of ${schema.enum.join(", ")}`;
      if (schema.minLength !== undefined && value.length < schema.minLength)
        return schema.minLength === 1 ? "must not be empty" : `must be at least ${schema.minLength} characters`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `must be at most ${schema.maxLength} characters`;
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value))
        return `must be ${schema.description ?? `text matching ${schema.pattern}`}`;
      if (schema.format === "date-time" && !(ISO_TIME.test(value) && !Number.isNaN(new Date(value).getTime()))) {
        return "must be an ISO-8601 time such as 2026-11-23T10:00:00+05:30";
      }
      return undefined;
    case "integer": {
      const n = fromText && typeof value === "string" && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
      const range = `an integer${schema.minimum !== undefined ? ` from ${schema.minimum}` : ""}${schema.maximum !== undefined ? ` to ${schema.maximum}` : ""}`;
      if (typeof n !== "number" || !Number.isSafeInteger(n)) return `must be ${range}`;
      if ((schema.minimum !== undefined && n < schema.minimum) || (schema.maximum !== undefined && n > schema.maximum)) return `must be ${range}`;
      return undefined;
    }
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return "must be a number";
      if (schema.minimum !== undefined && value < schema.minimum) return `must be at least ${schema.minimum}`;
      return undefined;
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be true or false";
    case "null":
      return value === null ? undefined : "must be null";
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value) ? undefined : "must be a JSON object";
    case "array":
      if (!Array.isArray(value)) return "must be a list";
      if (schema.minItems !== undefined && value.length < schema.minItems) return `must have at least ${schema.minItems} entries`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `must have at most ${schema.maxItems} entries`;
      return undefined;
  }
}

function kind(schema: Schema): string {
  if ("anyOf" in schema) return schema.anyOf.map(kind).join(" or ");
  return schema.type === "integer" ? "an integer" : schema.type === "null" ? "null" : `a ${schema.type}`;
}

const SHOWN_LENGTH = 60;

/** A refused value as the message shows it: JSON, cut short. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= SHOWN_LENGTH ? text : `${text.slice(0, SHOWN_LENGTH)}…`;
}
