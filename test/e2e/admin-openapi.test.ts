import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Ajv2020 from "ajv/dist/2020";
import { checkBody, checkQuery } from "@topup/core";
import { createAdminApp } from "../../apps/ingress/src";
import { ADMIN_ROUTES, type AdminRoute } from "../../apps/ingress/src/admin-routes";
import { ADMIN_TOKEN, startStack, testLogger, type Stack } from "../support/stack";

// Issue 19.2: the admin API's OpenAPI 3.1 document, generated from the route table and the request
// schemas, and its Swagger UI viewer, served from this process.
let stack: Stack;
let document: any;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  const res = await fetch(`${stack.adminUrl}/admin/openapi.json`);
  expect(res.status).toBe(200);
  document = await res.json();
});
afterAll(() => stack.close());

const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, "{$1}");
const withParams = (route: AdminRoute) => route.path.replace(/:(\w+)/g, (_m, name: string) => route.params![name].example);

async function send(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.adminUrl}${url}`, {
    method: method.toUpperCase(), // fetch sends "patch" as it is, and Node refuses a lower-case method
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : text };
}

describe("GET /admin/openapi.json", () => {
  it("is valid OpenAPI 3.1 for @seriousme/openapi-schema-validator, and needs no token", async () => {
    expect(document.openapi).toMatch(/^3\.1\./);
    const dir = await mkdtemp(path.join(tmpdir(), "openapi-"));
    try {
      const file = path.join(dir, "openapi.json");
      await writeFile(file, JSON.stringify(document));
      // The validator is an ES module that reads its schemas beside itself: run its CLI in plain Node.
      const cli = path.join(path.dirname(require.resolve("@seriousme/openapi-schema-validator")), "bin/validate-api-cli.js");
      const { stdout } = await promisify(execFile)(process.execPath, [cli, file]);
      expect(JSON.parse(stdout)).toEqual({ valid: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("documents every route the admin app serves, with its method, and no other", () => {
    const app = createAdminApp(stack.ingress.platform.admin, ADMIN_TOKEN, testLogger(), stack.ingress.platform);
    const served = new Set<string>();
    // Express 5: the app's router, and routers it mounts; bull-board's (mounted at /admin/queues) is its own UI.
    const walk = (layers: any[]) => {
      for (const layer of layers) {
        if (layer.route) for (const method of Object.keys(layer.route.methods)) served.add(`${method} ${layer.route.path}`);
        else if (layer.handle?.stack && !(layer.match("/admin/queues/x") && !layer.match("/admin/x"))) walk(layer.handle.stack);
      }
    };
    walk((app as any).router.stack);
    const notDocumented = ["get /healthz", "get /readyz", "get /metrics", "get /admin/docs/viewer.js", "get /admin/docs/assets/:file"];
    for (const route of notDocumented) expect(served).toContain(route);
    const documented = new Set<string>();
    for (const [p, item] of Object.entries<Record<string, unknown>>(document.paths)) for (const method of Object.keys(item)) documented.add(`${method} ${p}`);
    const servedPaths = [...served].filter((r) => !notDocumented.includes(r)).map((r) => openApiPath(r));
    expect(servedPaths.sort()).toEqual([...documented].sort());
    expect(served.size).toBe(ADMIN_ROUTES.length + 2 + notDocumented.length); // the table, the document and its viewer, the rest
  });

  it("documents the refusal {error} and the 400, 401 and 404 answers", () => {
    expect(document.components.schemas.Error).toMatchObject({ type: "object", properties: { error: { type: "string" } }, required: ["error"] });
    const operatorOne = document.paths["/admin/operators/{uid}"].get.responses;
    expect(Object.keys(operatorOne)).toEqual(expect.arrayContaining(["200", "400", "401", "404"]));
    expect(operatorOne["404"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(document.components.responses.Unauthorized.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(document.security).toEqual([{ adminToken: [] }]);
    expect(document.paths["/admin/openapi.json"].get.security).toEqual([]);
  });
});

describe("the documented examples", () => {
  const ajv = new Ajv2020({ allErrors: true });
  const documentedBody = (route: AdminRoute) => document.paths[openApiPath(route.path)][route.method].requestBody.content["application/json"];

  // In table order: the operator and channels the first examples create are those the later ones name.
  it("each validates against its documented schema and is taken by the live endpoint", async () => {
    let sent = 0;
    for (const route of ADMIN_ROUTES) {
      const accepted = Object.keys(route.answers).map(Number).filter((status) => status !== 400);
      if (route.body) {
        const { schema, examples } = documentedBody(route);
        expect(Object.keys(examples ?? {}).length).toBeGreaterThan(0); // every route with a body shows one
        const validate = ajv.compile(schema);
        for (const [name, example] of Object.entries<{ value: unknown }>(examples)) {
          expect({ route: route.path, name, valid: validate(example.value), errors: validate.errors ?? null }).toMatchObject({ valid: true, errors: null });
          const res = await send(route.method, withParams(route), example.value);
          expect({ route: `${route.method} ${route.path}`, name, status: res.status, accepted: accepted.includes(res.status) }).toMatchObject({ accepted: true });
          sent++;
        }
      } else if (route.queryExample) {
        const parameters = document.paths[openApiPath(route.path)][route.method].parameters;
        for (const [name, value] of Object.entries(route.queryExample)) {
          const parameter = parameters.find((p: any) => p.name === name && p.in === "query");
          expect(parameter.example).toBe(value);
          expect(ajv.validate(parameter.schema, value)).toBe(true);
        }
        const res = await send(route.method, `${withParams(route)}?${new URLSearchParams(route.queryExample)}`);
        expect({ route: `${route.method} ${route.path}`, status: res.status, accepted: accepted.includes(res.status) }).toMatchObject({ accepted: true });
        sent++;
      }
    }
    expect(sent).toBeGreaterThan(20);
  });

  it("spoilt, each is refused with the validator's own message", async () => {
    for (const route of ADMIN_ROUTES.filter((r) => r.body && r.examples)) {
      const example = Object.values(route.examples!)[0].value as Record<string, unknown>;
      const unknown = await send(route.method, withParams(route), { ...example, notAField: true });
      expect({ route: route.path, ...unknown }).toMatchObject({ status: 400, body: { error: "unknown field notAField" } });
      const [first] = Object.keys(example);
      const spoilt = { ...example, [first]: { nested: true } };
      const expected = checkBody(route.body!, spoilt);
      expect(expected.ok).toBe(false);
      const res = await send(route.method, withParams(route), spoilt);
      expect({ route: route.path, ...res }).toEqual({ route: route.path, status: 400, body: { error: expected.ok ? null : expected.error } });
    }
    for (const route of ADMIN_ROUTES.filter((r) => r.query && r.queryExample)) {
      const unknown = await send(route.method, `${withParams(route)}?${new URLSearchParams({ ...route.queryExample, notAParam: "1" })}`);
      expect({ route: route.path, ...unknown }).toMatchObject({ status: 400, body: { error: "unknown parameter notAParam" } });
      const [first] = Object.keys(route.queryExample!);
      const spoilt = { ...route.queryExample, [first]: "!" };
      const expected = checkQuery(route.query as Parameters<typeof checkQuery>[0], spoilt);
      expect(expected.ok).toBe(false);
      const res = await send(route.method, `${withParams(route)}?${new URLSearchParams(spoilt)}`);
      expect({ route: route.path, ...res }).toEqual({ route: route.path, status: 400, body: { error: expected.ok ? null : expected.error } });
    }
  });
});

describe("GET /admin/docs", () => {
  it("serves Swagger UI from this process: the page, its viewer script and the assets load without a token", async () => {
    const page = await fetch(`${stack.adminUrl}/admin/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // nothing from another host: the page works offline
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(references).toEqual(expect.arrayContaining(["/admin/docs/assets/swagger-ui.css", "/admin/docs/assets/swagger-ui-bundle.js", "/admin/docs/viewer.js"]));
    const types: Record<string, RegExp> = { css: /^text\/css/, js: /javascript/, png: /^image\/png/ };
    for (const reference of references) {
      const res = await fetch(`${stack.adminUrl}${reference}`);
      expect({ reference, status: res.status }).toEqual({ reference, status: 200 });
      expect(res.headers.get("content-type")).toMatch(types[reference.split(".").pop()!]);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    const viewer = await (await fetch(`${stack.adminUrl}/admin/docs/viewer.js`)).text();
    expect(viewer).toContain('url: "/admin/openapi.json"');
    expect(viewer).toContain("validatorUrl: null");
  });

  it("serves only the package files the page uses; every call it documents still needs the token", async () => {
    expect((await fetch(`${stack.adminUrl}/admin/docs/assets/swagger-initializer.js`)).status).toBe(401);
    expect((await fetch(`${stack.adminUrl}/admin/docs/assets/..%2Fpackage.json`)).status).toBe(401);
    expect((await fetch(`${stack.adminUrl}/admin/operators`)).status).toBe(401);
  });
});
