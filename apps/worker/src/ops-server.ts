import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Platform } from "@topup/core";

/**
 * The worker's own HTTP server (WORKER_METRICS_HOST:WORKER_METRICS_PORT): /metrics for Prometheus,
 * /healthz (the process answers) and /readyz (its database and Redis answer). Three fixed GET routes
 * on node:http: the worker has no other HTTP to share a framework with.
 */
export async function startOpsServer(platform: Platform, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void answer(platform, req.method ?? "GET", (req.url ?? "/").split("?")[0]).then(({ status, type, body }) => {
      res.writeHead(status, { "Content-Type": type, "Cache-Control": "no-store" }).end(body);
    });
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()),
  };
}

async function answer(platform: Platform, method: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const json = (status: number, body: unknown) => ({ status, type: "application/json", body: JSON.stringify(body) });
  if (method !== "GET") return json(405, { error: "method not allowed" });
  try {
    if (path === "/healthz") return json(200, { status: "ok" });
    if (path === "/readyz") {
      const { ready, ...checks } = await platform.readiness();
      return json(ready ? 200 : 503, { status: ready ? "ready" : "not ready", ...checks });
    }
    if (path === "/metrics") {
      const { contentType, body } = await platform.metrics.exposition();
      return { status: 200, type: contentType, body };
    }
    return json(404, { error: "not found" });
  } catch {
    return json(503, { error: "service unavailable, try again" });
  }
}
