import { createServer, type Server } from "node:http";
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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Idle keep-alive connections would hold close() open; busy ones finish their request first.
    server.closeIdleConnections();
  });
}

export async function startIngress(config: PlatformConfig, logger: Logger, extra: Partial<PlatformOptions> = {}): Promise<Ingress> {
  const platform = new Platform(config, { role: "ingress", logger, ...extra });
  const operatorServer = createServer(createOperatorApp(platform.operatorApi, logger));
  const adminServer = createServer(createAdminApp(platform.admin, config.adminToken, logger));
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
      await Promise.all([closeServer(operatorServer), closeServer(adminServer)]);
      await platform.close();
    },
  };
}
