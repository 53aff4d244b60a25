import { requestJsonSchema } from "@topup/core";
import ingressPackage from "../package.json";
import { ADMIN_ROUTES, type AdminRoute } from "./admin-routes";
import { VIEWS, type JsonSchema } from "./admin-views";

/** Where the document and its viewer are; both are served without the token (admin-docs.ts says why). */
export const OPENAPI_PATH = "/admin/openapi.json";
export const DOCS_PATH = "/admin/docs";

const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const refusal = (description: string) => ({ description, content: json({ $ref: "#/components/schemas/Error" }) });

/** `/admin/operators/:uid` → `/admin/operators/{uid}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, "{$1}");
}

/** `post /admin/operators/:uid/rotate-key` → `postOperatorsUidRotateKey`: unique, as each method and path are. */
function operationId(route: AdminRoute): string {
  const words = route.path.replace(/^\/admin\//, "").split(/[^A-Za-z0-9]+/).filter(Boolean);
  return route.method + words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
}

/** The query schema's fields as OpenAPI query parameters, one each. */
function queryParameters(route: AdminRoute): JsonSchema[] {
  if (!route.query) return [];
  const { properties = {}, required = [] } = requestJsonSchema(route.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: "query",
    required: required.includes(name),
    description: schema.description,
    schema,
    ...(route.queryExample?.[name] === undefined ? {} : { example: route.queryExample[name] }),
  }));
}

function operation(route: AdminRoute): JsonSchema {
  const pathParameters = Object.entries(route.params ?? {}).map(([name, { about, example }]) => ({ name, in: "path", required: true, description: about, schema: { type: "string" }, example }));
  const responses: Record<string, unknown> = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    const about = typeof answer === "string" ? answer : answer.about;
    if (Number(status) >= 400) {
      responses[status] = refusal(about);
      continue;
    }
    const content = {
      ...(typeof answer === "string" ? {} : json(answer.schema)),
      ...(route.csv ? { "text/csv": { schema: { type: "string", description: `UTF-8 with a header row, sent as the attachment ${route.csv}` } } } : {}),
    };
    const headers = route.nextCursorHeader ? { "X-Next-Cursor": { description: "the next page's cursor, when there is one", schema: { type: "string" } } } : undefined;
    responses[status] = { description: about, ...(headers ? { headers } : {}), ...(Object.keys(content).length > 0 ? { content } : {}) };
  }
  responses["400"] = { $ref: "#/components/responses/BadRequest" };
  responses["401"] = { $ref: "#/components/responses/Unauthorized" };
  if (route.body) responses["413"] = { $ref: "#/components/responses/BodyTooLarge" };
  responses["503"] = { $ref: "#/components/responses/Unavailable" };
  return {
    tags: [route.tag],
    summary: route.summary,
    operationId: operationId(route),
    parameters: [...pathParameters, ...queryParameters(route)],
    ...(route.body
      ? { requestBody: { required: !route.bodyOptional, content: { "application/json": { schema: requestJsonSchema(route.body), ...(route.examples ? { examples: route.examples } : {}) } } } }
      : {}),
    responses,
  };
}

/** The document and its viewer describe themselves too: every route the admin app serves is in it. */
const DOCS_OPERATIONS: Record<string, JsonSchema> = {
  [OPENAPI_PATH]: {
    get: {
      tags: ["documentation"],
      summary: "This document (OpenAPI 3.1), generated from the schemas that validate the requests",
      operationId: "getOpenapiJson",
      security: [],
      responses: { "200": { description: "the document", content: json({ type: "object" }) } },
    },
  },
  [DOCS_PATH]: {
    get: {
      tags: ["documentation"],
      summary: "The document in Swagger UI, served from this process (it works offline); give the token under Authorize to try the calls",
      operationId: "getDocs",
      security: [],
      responses: { "200": { description: "the viewer page", content: { "text/html": { schema: { type: "string" } } } } },
    },
  },
};

/** The admin API's OpenAPI 3.1 document, from the route table and the request schemas of packages/core. */
export function adminOpenApiDocument(routes: readonly AdminRoute[] = ADMIN_ROUTES): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = { ...DOCS_OPERATIONS };
  for (const route of routes) (paths[openApiPath(route.path)] ??= {})[route.method] = operation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "Phone top-up platform — admin API",
      version: ingressPackage.version,
      description:
        "Operators, ledger, channels, routes, orders and reports (PROTOCOL §11, §12). Every call but this document and its viewer needs `Authorization: Bearer <ADMIN_TOKEN>`. A refusal is `{\"error\": \"…\"}`, the sentence the request schema gives for the first fault.",
    },
    servers: [{ url: "/", description: "this admin port (ADMIN_HOST:ADMIN_PORT)" }],
    security: [{ adminToken: [] }],
    tags: [
      { name: "operators", description: "the operators who push orders (运营商)" },
      { name: "ledger", description: "balances, adjustments and statements" },
      { name: "callbacks", description: "callbacks to the operators" },
      { name: "audit", description: "who changed what" },
      { name: "channels", description: "where orders are recharged (供货渠道)" },
      { name: "routes", description: "which channels take which orders" },
      { name: "orders", description: "orders and their resolution by hand" },
      { name: "reports", description: "daily figures" },
      { name: "documentation", description: "this document and its viewer" },
    ],
    paths,
    components: {
      securitySchemes: { adminToken: { type: "http", scheme: "bearer", description: "the ADMIN_TOKEN the platform was started with" } },
      schemas: VIEWS,
      responses: {
        BadRequest: refusal("the request is not valid: the error names the first fault (an unknown field, a value out of range, a body that is not JSON…)"),
        Unauthorized: refusal("no bearer token, or not the ADMIN_TOKEN"),
        BodyTooLarge: refusal("the body is over 64 kB"),
        Unavailable: refusal("the database or Redis did not answer; try again"),
      },
    },
  };
}
