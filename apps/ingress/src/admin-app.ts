import { createHash, timingSafeEqual } from "node:crypto";
import bodyParser from "body-parser";
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from "express";
import type { Logger } from "@topup/config";
import { drainedOrClosed } from "@topup/net";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { AdminAnswer, AdminService, CsvAnswer, Platform } from "@topup/core";
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
 * The admin API (PROTOCOL §11) on ADMIN_HOST:ADMIN_PORT, loopback by default. Every call needs
 * `Authorization: Bearer <ADMIN_TOKEN>`; with no token configured every call is refused.
 */
/** What the admin port shows of the process besides the admin API: probes, metrics and the queues. */
export type AdminOps = Pick<Platform, "readiness" | "metrics" | "queues">;

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
  app.use("/admin", authenticate, bodyParser.json({ limit: "64kb", strict: false }));

  const route =
    (handle: (req: Request) => Promise<AdminAnswer>): RequestHandler =>
    async (req, res) => {
      const answer = await handle(req);
      if (answer.headers) res.set(answer.headers);
      res.status(answer.status).json(answer.body);
    };
  const param = (req: Request, name: string): string => String(req.params[name]);

  // The queues as BullMQ holds them, read-only: the database is the record, and the reconciler rebuilds lost work from it.
  const board = new ExpressAdapter();
  board.setBasePath("/admin/queues");
  createBullBoard({ queues: [new BullMQAdapter(ops.queues.fulfilment, { readOnlyMode: true }), new BullMQAdapter(ops.queues.callback, { readOnlyMode: true })], serverAdapter: board });
  app.use("/admin/queues", board.getRouter());

  app.post("/admin/operators", route((req) => admin.createOperator(actorOf(req), req.body)));
  app.get("/admin/operators", route(() => admin.listOperators()));
  app.get("/admin/operators/:uid", route((req) => admin.getOperator(param(req, "uid"))));
  app.patch("/admin/operators/:uid", route((req) => admin.updateOperator(actorOf(req), param(req, "uid"), req.body)));
  app.post("/admin/operators/:uid/rotate-key", route((req) => admin.rotateKey(actorOf(req), param(req, "uid"), req.body)));
  app.post("/admin/operators/:uid/adjustments", route((req) => admin.adjustBalance(actorOf(req), param(req, "uid"), req.body)));
  app.post("/admin/operators/:uid/disable", route((req) => admin.setEnabled(actorOf(req), param(req, "uid"), false, req.body)));
  app.post("/admin/operators/:uid/enable", route((req) => admin.setEnabled(actorOf(req), param(req, "uid"), true, req.body)));
  app.post("/admin/operators/:uid/resend-callbacks", route((req) => admin.resendCallbacks(actorOf(req), param(req, "uid"), req.body, req.requestId)));
  app.get("/admin/operators/:uid/ledger", route((req) => admin.ledger(param(req, "uid"), req.query)));
  app.get("/admin/callbacks/unacknowledged", route((req) => admin.unacknowledgedCallbacks(req.query)));
  app.get("/admin/audit", route((req) => admin.auditLog(req.query)));
  app.post("/admin/channels", route((req) => admin.createChannel(actorOf(req), req.body)));
  app.get("/admin/channels", route(() => admin.listChannels()));
  app.get("/admin/channels/:code", route((req) => admin.getChannel(param(req, "code"))));
  app.patch("/admin/channels/:code", route((req) => admin.updateChannel(actorOf(req), param(req, "code"), req.body)));
  app.post("/admin/routes", route((req) => admin.createRoute(actorOf(req), req.body)));
  app.get("/admin/routes", route(() => admin.listRoutes()));
  app.patch("/admin/routes/:id", route((req) => admin.updateRoute(actorOf(req), param(req, "id"), req.body)));
  app.delete("/admin/routes/:id", route((req) => admin.deleteRoute(actorOf(req), param(req, "id"))));
  app.get("/admin/orders", route((req) => admin.listOrders(req.query)));
  /** Sends a CSV answer line by line (a JSON answer, such as a 400, as JSON). */
  const csv =
    (filename: string, produce: (req: Request) => Promise<CsvAnswer>): RequestHandler =>
    async (req, res) => {
      const answer = await produce(req);
      if (!("lines" in answer)) return void res.status(answer.status).json(answer.body);
      res.status(200).set({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${filename}"` });
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
  app.get("/admin/orders/export.csv", csv("orders.csv", (req) => admin.exportOrders(req.query)));
  app.get("/admin/reports/daily", csv("daily-report.csv", (req) => admin.dailyReport(req.query)));
  app.get("/admin/operators/:uid/statement", csv("statement.csv", (req) => admin.statement(param(req, "uid"), req.query)));
  app.get("/admin/operators/:uid/statement.csv", csv("statement.csv", (req) => admin.statement(param(req, "uid"), req.query, true)));
  app.get("/admin/orders/:id", route((req) => admin.getOrder(param(req, "id"))));
  app.post("/admin/orders/:id/resolve", route((req) => admin.resolveOrder(actorOf(req), param(req, "id"), req.body, req.requestId)));
  app.post("/admin/orders/:id/resend-callback", route((req) => admin.resendCallback(actorOf(req), param(req, "id"), req.requestId)));

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
