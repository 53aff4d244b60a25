import { createHash, timingSafeEqual } from "node:crypto";
import bodyParser from "body-parser";
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from "express";
import type { Logger } from "@topup/config";
import { drainedOrClosed } from "@topup/net";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { AdminService, Platform } from "@topup/core";
import { ADMIN_ROUTES, type AdminRoute } from "./admin-routes";
import { adminDocs } from "./admin-docs";
import { adminOpenApiDocument } from "./admin-openapi";
import { requestId } from "./request-id";

/** Constant-time comparison of bearer tokens (hashing first makes the lengths equal). */
export function tokenMatches(expected: string, given: string): boolean {
  if (expected === "") return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

/** Who made a change, for the audit log: the caller may name itself in X-Admin-Actor. */
function actorOf(req: Request): string {
  const named = req.get("x-admin-actor")?.trim();
  return named && /^[\w.@-]{1,48}$/.test(named) ? `admin:${named}` : "admin";
}

/**
 * Answers one route of the table: JSON (with the answer's headers), or a CSV sent line by line; a
 * CSV route's refusal (such as a 400) is JSON.
 */
function answer(entry: AdminRoute, admin: AdminService, logger: Logger): RequestHandler {
  return async (req, res) => {
    const params = Object.fromEntries(Object.entries(req.params).map(([name, value]) => [name, String(value)]));
    const answer = await entry.handle(admin, { actor: actorOf(req), params, query: req.query as Record<string, unknown>, body: req.body, requestId: req.requestId });
    if (!("lines" in answer)) {
      if (answer.headers) res.set(answer.headers);
      return void res.status(answer.status).json(answer.body);
    }
    res.status(200).set({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${entry.csv}"` });
    try {
      for await (const line of answer.lines) {
        // Backpressure: a slow reader holds the next page's read, not memory.
        if (!res.write(line)) await drainedOrClosed(res);
        if (res.destroyed) return;
      }
      res.end();
    } catch (error) {
      logger.error("CSV export failed", { requestId: req.requestId, error });
      res.destroy(error as Error); // a truncated CSV must not look complete
    }
  };
}

/** What the admin port shows of the process besides the admin API: probes, metrics and the queues. */
export type AdminOps = Pick<Platform, "readiness" | "metrics" | "queues">;

/**
 * The admin API (PROTOCOL §11) on ADMIN_HOST:ADMIN_PORT, loopback by default. Every call needs
 * `Authorization: Bearer <ADMIN_TOKEN>`; with no token configured every call is refused. Only its
 * OpenAPI document and viewer (admin-docs.ts) and the probes answer without one.
 */
export function createAdminApp(admin: AdminService, token: string, logger: Logger, ops: AdminOps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(requestId);

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Probes and the scrape carry no token: the admin port is loopback unless ops expose it.
  app.get("/readyz", async (_req, res) => {
    const { ready, ...checks } = await ops.readiness();
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", ...checks });
  });
  app.get("/metrics", async (_req, res) => {
    const { contentType, body } = await ops.metrics.exposition();
    res.set("Content-Type", contentType).send(body);
  });

  const authenticate: RequestHandler = (req, res, next) => {
    const header = req.get("authorization") ?? "";
    const given = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!tokenMatches(token, given)) {
      res.status(401).set("WWW-Authenticate", "Bearer").json({ error: "unauthorized" });
      return;
    }
    next();
  };
  // The document and its viewer describe the API and reveal no data, so they carry no token (the viewer's
  // Authorize button takes it for "Try it out"); everything else under /admin needs it.
  app.use(adminDocs(adminOpenApiDocument()));
  app.use("/admin", authenticate, bodyParser.json({ limit: "64kb", strict: false }));

  // The queues as BullMQ holds them, read-only: the database is the record, and the reconciler rebuilds lost work from it.
  const board = new ExpressAdapter();
  board.setBasePath("/admin/queues");
  createBullBoard({ queues: [new BullMQAdapter(ops.queues.fulfilment, { readOnlyMode: true }), new BullMQAdapter(ops.queues.callback, { readOnlyMode: true })], serverAdapter: board });
  app.use("/admin/queues", board.getRouter());

  // Only from the table: a route the OpenAPI document does not describe cannot exist.
  for (const entry of ADMIN_ROUTES) app[entry.method](entry.path, answer(entry, admin, logger));

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  const onError: ErrorRequestHandler = (error: { type?: string; status?: number }, req, res, _next) => {
    if (res.headersSent) return;
    if (error.type === "entity.too.large") return void res.status(413).json({ error: "body too large" });
    if (typeof error.status === "number" && error.status < 500) return void res.status(400).json({ error: "body must be valid JSON" });
    logger.error("admin request failed", { requestId: req.requestId, method: req.method, path: req.path, error });
    res.status(503).json({ error: "service unavailable, try again" });
  };
  app.use(onError);
  return app;
}
