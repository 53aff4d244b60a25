import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
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
 * An HTTP server that can stop gracefully. server.close() alone stops accepting connections, but
 * Node goes on serving requests that arrive on kept-alive connections which were busy at that
 * moment, and keeps such a connection open for keepAliveTimeout (65 s) once it is idle: under a
 * client that reuses its connections (a load balancer, an operator's pool) a SIGTERMed ingress kept
 * answering and never exited (test/faults, scenario "sigterm"). So while stopping, every answer —
 * those in flight and those still arriving on open connections — carries `Connection: close`
 * (Node closes the socket after it and the client opens a new connection elsewhere), idle
 * connections are closed as they appear, and after the grace period whatever is left is cut.
 */
function gracefulServer(app: RequestListener): { server: Server; close: (graceMs: number) => Promise<void> } {
  let stopping = false;
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (stopping) res.setHeader("Connection", "close");
    open.add(res);
    res.once("close", () => open.delete(res));
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
  const operator = gracefulServer(createOperatorApp(platform.operatorApi, logger));
  const admin = gracefulServer(createAdminApp(platform.admin, config.adminToken, logger));
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
