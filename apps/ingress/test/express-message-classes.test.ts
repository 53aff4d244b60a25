import { IncomingMessage, request, ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { expressMessageClasses, gracefulServer } from "../src/ingress";

/** Sends one request over a fresh connection; resolves with status, headers and body. */
function call(port: number, method: string, path: string, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: body ? { "content-type": "application/json" } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function appUnderTest() {
  const app = express();
  app.post("/echo", express.json(), (req, res) => {
    res.status(201).set("X-Seen", req.get("content-type")).json({ ip: req.ip, path: req.path, query: req.query, body: req.body });
  });
  return app;
}

describe("expressMessageClasses", () => {
  it("makes requests and responses with the app's own prototypes, which Express then keeps", async () => {
    const app = appUnderTest();
    const classes = expressMessageClasses(app);
    const seen: boolean[] = [];
    const server = gracefulServer(app).server;
    // runs before Express sees the request: the prototypes Node created them with
    server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
      seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response, req instanceof IncomingMessage, res instanceof ServerResponse);
    });
    const port = await listen(server);
    try {
      await call(port, "POST", "/echo", "{}");
      await call(port, "POST", "/echo", "{}");
    } finally {
      server.close();
    }
    expect(seen).toEqual([true, true, true, true, true, true, true, true]);
    expect(classes.IncomingMessage.prototype).toBe(app.request);
    expect(classes.ServerResponse.prototype).toBe(app.response);
  });

  it("leaves Express's request and response helpers and Node's streams working", async () => {
    const server = gracefulServer(appUnderTest()).server;
    const port = await listen(server);
    try {
      const answer = await call(port, "POST", "/echo?a=1", JSON.stringify({ n: "13912345678" }));
      expect(answer.status).toBe(201);
      expect(answer.headers["x-seen"]).toBe("application/json");
      expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(JSON.parse(answer.body)).toEqual({ ip: "127.0.0.1", path: "/echo", query: { a: "1" }, body: { n: "13912345678" } });
      const missing = await call(port, "GET", "/nowhere");
      expect(missing.status).toBe(404);
    } finally {
      server.close();
    }
  });
});
