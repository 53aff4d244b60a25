import { createServer, IncomingMessage, type Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Express } from "express";
import type { Logger, PlatformConfig } from "@topup/config";
import { Platform, type PlatformOptions } from "@topup/core";
import { createAdminApp } from "./admin-app";
import { createOperatorApp } from "./operator-app";

export interface Ingress {
  platform: Platform;
  operatorPort: number;
  adminPort: number;
  /** Stops accepting, lets in-flight requests finish, then releases the database and Redis. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** How long a stopping ingress waits for in-flight requests before cutting what is left. */
export const CLOSE_GRACE_MS = 20_000;

/**
 * The request and response classes for an Express app's server: Node's own, made with the app's
 * `request` and `response` objects as their prototypes. Express re-parents every request and
 * response it handles (`Object.setPrototypeOf` in app.handle); on Node 20 that makes much of what a
 * request allocates survive minor GCs, and the major GCs that follow stall answers
 * (docs/performance.md). Made with the right prototype from the start, Express's call changes nothing. Node calls these with
 * `new` as it would its own (`IncomingMessage` and `ServerResponse` are plain constructor
 * functions, which `call` runs on the new object).
 */
export function expressMessageClasses(app: Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  const initRequest = IncomingMessage as unknown as (this: IncomingMessage, socket: Socket) => void;
  const initResponse = ServerResponse as unknown as (this: ServerResponse, req: IncomingMessage, options?: object) => void;
  function Request(this: IncomingMessage, socket: Socket) {
    initRequest.call(this, socket);
  }
  Request.prototype = app.request;
  function Response(this: ServerResponse, req: IncomingMessage, options?: object) {
    initResponse.call(this, req, options);
  }
  Response.prototype = app.response;
  return { IncomingMessage: Request as unknown as typeof IncomingMessage, ServerResponse: Response as unknown as typeof ServerResponse };
}

/**
 * The responses of a server not yet closed, each in a slot of an array that is emptied and reused
 * when it closes. Not a Set: on Node 20 a Set that every request enters and leaves kept the young
 * objects of responses long finished alive through minor GCs, as the prototype change above did.
 */
class OpenResponses {
  private readonly slots: (ServerResponse | undefined)[] = [];
  private readonly free: number[] = [];

  add(res: ServerResponse): void {
    const slot = this.free.pop() ?? this.slots.length;
    this.slots[slot] = res;
    res.once("close", () => {
      this.slots[slot] = undefined;
      this.free.push(slot);
    });
  }

  *[Symbol.iterator](): IterableIterator<ServerResponse> {
    for (const res of this.slots) if (res) yield res;
  }
}

/**
 * An HTTP server that can stop gracefully. server.close() alone stops accepting connections, but
 * Node goes on serving requests that arrive on kept-alive connections which were busy at that
 * moment, and keeps such a connection open for keepAliveTimeout (65 s) once it is idle: under a
 * client that reuses its connections (a load balancer, an operator's pool) a SIGTERMed ingress kept
 * answering and never exited (test/faults, scenario "sigterm"). So while stopping, every answer —
 * those in flight and those still arriving on open connections — carries `Connection: close`
 * (Node closes the socket after it and the client opens a new connection elsewhere), idle
 * connections are closed as they appear, and after the grace period whatever is left is cut.
 */
export function gracefulServer(app: Express): { server: Server; close: (graceMs: number) => Promise<void> } {
  let stopping = false;
  const open = new OpenResponses();
  const server = createServer(expressMessageClasses(app), (req, res) => {
    if (stopping) res.setHeader("Connection", "close");
    open.add(res);
    app(req, res);
  });
  const close = (graceMs: number) =>
    new Promise<void>((resolve) => {
      stopping = true;
      for (const res of open) if (!res.headersSent) res.setHeader("Connection", "close");
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        resolve();
      });
      server.closeIdleConnections();
    });
  return { server, close };
}

export async function startIngress(config: PlatformConfig, logger: Logger, extra: Partial<PlatformOptions> = {}): Promise<Ingress> {
  const platform = new Platform(config, { role: "ingress", logger, ...extra });
  const operator = gracefulServer(createOperatorApp(platform.operatorApi, logger, (code, fields, requestId) => platform.fulfilment.notified(code, fields, requestId)));
  const admin = gracefulServer(createAdminApp(platform.admin, config.adminToken, logger, platform));
  const operatorServer = operator.server;
  const adminServer = admin.server;
  // Slow-loris and idle-socket bounds; keep-alive outlives typical client pools' idle timeouts.
  operatorServer.headersTimeout = 10_000;
  operatorServer.requestTimeout = 30_000;
  operatorServer.keepAliveTimeout = 65_000;

  const operatorPort = await listen(operatorServer, config.port);
  const adminPort = await listen(adminServer, config.adminPort, config.adminHost);
  if (!config.adminToken) logger.warn("ADMIN_TOKEN is empty: the admin API refuses every call");
  logger.info("ingress listening", { port: operatorPort, adminHost: config.adminHost, adminPort });

  return {
    platform,
    operatorPort,
    adminPort,
    async close() {
      await Promise.all([operator.close(CLOSE_GRACE_MS), admin.close(CLOSE_GRACE_MS)]);
      await platform.close();
    },
  };
}
