import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import { OperatorApi, type OperatorApiDeps } from "@topup/core";
import { Msg, orderPushFailure } from "@topup/protocol";
import { Capture, capturingLogger } from "../../../test/support/log-capture";
import { OperatorClient } from "../../../test/support/operator-client";
import { createOperatorApp } from "../src";
import { requestId, requestIdFrom } from "../src/request-id";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("requestIdFrom", () => {
  it.each(["0b9c6a4e-2f6d-4c1e-9a57-3d2b8f1e6c0a", "01HZX3N9Q8J7K6M5P4R3S2T1V0", "a".repeat(64), "op_42.retry-3", "7"])("keeps a well-formed id: %s", (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["65 characters", "a".repeat(65)],
    ["a tab", "abc\tdef"],
    ["a line break", "abc\r\nlevel: error"],
    ["a quote", 'abc"def'],
    ["a space", "abc def"],
    ["non-ASCII", "订单"],
    ["a colon (the reconciler's marks have one)", "reconciler:123"],
    ["repeated headers", ["a", "b"]],
  ])("replaces an id with %s by a generated UUID", (_what, header) => {
    const id = requestIdFrom(header);
    expect(id).toMatch(UUID);
    expect(requestIdFrom(header)).not.toBe(id); // a new one each time
  });
});

async function listening(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("the requestId middleware", () => {
  it("sets req.requestId and echoes it in the X-Request-Id header", async () => {
    const app = express();
    app.use(requestId);
    app.get("/", (req, res) => void res.send(req.requestId));
    const server = await listening(app);
    try {
      const given = await fetch(`${server.url}/`, { headers: { "X-Request-Id": "caller-1" } });
      expect(given.headers.get("x-request-id")).toBe("caller-1");
      expect(await given.text()).toBe("caller-1");
      const generated = await fetch(`${server.url}/`, { headers: { "X-Request-Id": "bad id" } });
      const id = generated.headers.get("x-request-id");
      expect(id).toMatch(UUID);
      expect(await generated.text()).toBe(id);
    } finally {
      await server.close();
    }
  });
});

describe("the operator port", () => {
  const lines = new Capture();
  const logger = capturingLogger(lines);
  const failing = async (): Promise<never> => {
    throw new Error("database unreachable");
  };
  // The use case itself, its operator lookup failing: what a database outage looks like to a push.
  const api = new OperatorApi({ operators: { get: failing }, logger } as unknown as OperatorApiDeps);
  const client = new OperatorClient("", "1234567", "k".repeat(32));
  const push = client.push({ order_no: "RID1", notify_url: "http://127.0.0.1/cb" }) as unknown as Record<string, string>;
  let server: Awaited<ReturnType<typeof listening>>;
  let operator: OperatorClient;

  beforeAll(async () => {
    const app = createOperatorApp(api, logger, failing);
    server = await listening(app);
    operator = new OperatorClient(server.url, client.uid, client.key);
  });
  afterAll(() => server.close());
  beforeEach(() => lines.lines.splice(0));

  it("answers the contract's bytes with the id in a header only, on every path", async () => {
    const withId = await operator.postForm("/1/api/oper/order", push, { "X-Request-Id": "push-1" });
    const without = await operator.postForm("/1/api/oper/order", push);
    expect(withId.status).toBe(503);
    expect(withId.text).toBe(orderPushFailure(Msg.busy));
    expect(withId.text).toBe(without.text);
    expect(withId.headers.get("x-request-id")).toBe("push-1");
    expect(without.headers.get("x-request-id")).toMatch(UUID);
    const refused = [
      await operator.post("/1/api/oper/order", "", undefined, "GET", { "X-Request-Id": "r405" }),
      await operator.post("/nowhere", "", undefined, "POST", { "X-Request-Id": "r404" }),
      await operator.post("/1/api/oper/order", Buffer.alloc(17 * 1024, "a"), "application/json", "POST", { "X-Request-Id": "r413" }),
    ];
    expect(refused.map((answer) => [answer.status, answer.headers.get("x-request-id")])).toEqual([[405, "r405"], [404, "r404"], [413, "r413"]]);
  });

  it("writes the request's id on the lines it logs", async () => {
    await operator.postForm("/1/api/oper/order", push, { "X-Request-Id": "push-2" });
    await operator.postForm("/1/api/channel/up1/notify", { serial_number: "x" }, { "X-Request-Id": "notify-3" });
    const logged = lines.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({ message: "order push failed; answered 503", requestId: "push-2", level: "error" }),
      expect.objectContaining({ message: "supplier callback failed", requestId: "notify-3", level: "error" }),
    ]);
  });
});
