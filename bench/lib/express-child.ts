/**
 * Baseline: a bare Express 5 app (the framework's ceiling). Same route, same raw-body reading with a
 * 16 KiB limit, same response headers as the operator app, and a tiny JSON answer — no parsing,
 * no signature, no database, no queue.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { serve } from "./rpc";

const ANSWER = '{"code":"200","count":"1","msg":"Success"}';
let server: Server | undefined;

serve({
  async listen(a: { port: number }) {
    const app = express();
    app.disable("x-powered-by");
    app.set("etag", false);
    app.post("/1/api/oper/order", express.raw({ type: () => true, limit: 16 * 1024 }), (_req, res) => {
      res.status(200).set("Content-Type", "application/json; charset=utf-8").send(ANSWER);
    });
    await new Promise<void>((resolve) => {
      server = app.listen(a.port, "127.0.0.1", () => resolve());
    });
    server!.keepAliveTimeout = 65_000;
    return { port: (server!.address() as AddressInfo).port };
  },
});
