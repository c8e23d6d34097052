import type { ObjectSchema, Schema } from "./parameters";
import type { RouteDefinition } from "./routes";

type Json = Record<string, unknown>;

const GENERIC_RESPONSES: Readonly<Record<number, string>> = {
  401: "no API key, or an unknown one (only when API_KEYS is set)",
  403: "the key's scope is too small; any change of state without API_KEYS",
  503: "a service the request needs is not available",
};

const ERROR: Json = {
  type: "object",
  properties: { error: { type: "object", properties: { type: { type: "string" }, message: { type: "string" } }, required: ["type", "message"] } },
  required: ["error"],
};

/** The OpenAPI 3.1 document of the routes: every path, its parameters, body, scope and answers. */
export function openApiDocument(routes: readonly RouteDefinition[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "Transaction monitoring",
      version,
      description:
        "Detections of card-transaction patterns, the pipeline's state and its configuration. With API_KEYS set, every route but health needs `Authorization: Bearer <secret>` (or HTTP Basic with the secret as password); `x-scope` says which scope.",
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" }, basic: { type: "http", scheme: "basic" } },
      schemas: { Error: ERROR },
    },
  };
}

function operation(route: RouteDefinition): Json {
  const example = route.example ?? {};
  const parameters = [
    ...parametersOf(route.pathParameters, "path", example.path),
    ...parametersOf(route.query, "query", example.query),
    ...parametersOf(route.headers, "header", example.headers),
  ];
  const open = route.access === "open";
  const statuses = { ...route.responses, ...(open ? {} : GENERIC_RESPONSES) };
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    "x-scope": route.access,
    security: open ? [] : [{ bearer: [] }, { basic: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: published(route.body), ...(example.body === undefined ? {} : { example: example.body }) } },
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(statuses).map(([status, description]) => [status, response(route, Number(status), description)])),
  };
}

function parametersOf(schema: ObjectSchema | undefined, where: "path" | "query" | "header", examples: Readonly<Record<string, string>> = {}): Json[] {
  return Object.entries(schema?.properties ?? {}).map(([name, property]: [string, Schema]) => ({
    name,
    in: where,
    required: where === "path" || (schema?.required ?? []).includes(name),
    ...(property.description ? { description: property.description } : {}),
    schema: published(property),
    ...(examples[name] === undefined ? {} : { example: examples[name] }),
  }));
}

/** A schema as JSON Schema reads it: an object without `additionalProperties` takes no other property here, so say so. */
function published(schema: Schema): Json {
  if ("anyOf" in schema) return { ...schema, anyOf: schema.anyOf.map(published) };
  if (schema.type === "array") return { ...schema, items: published(schema.items) };
  if (schema.type !== "object") return { ...schema };
  const properties = Object.fromEntries(Object.entries(schema.properties).map(([name, p]) => [name, published(p)]));
  return { ...schema, properties, additionalProperties: schema.additionalProperties ?? false };
}

function response(route: RouteDefinition, status: number, description: string): Json {
  if (status >= 400) return { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
  return { description, content: { [route.produces ?? "application/json"]: {} } };
}

/** getDetections, patchDetectionsById, postAlertsByIdRedeliver: unique per method and path. */
function operationId(route: RouteDefinition): string {
  const words = route.path
    .split("/")
    .filter((part) => part && part !== "api")
    .map((part) => (part.startsWith("{") ? `By${capital(part.slice(1, -1))}` : capital(part.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()))));
  return route.method.toLowerCase() + (words.join("") || "Dashboard");
}

function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
