import { balanceQuerySign } from "@topup/protocol";
import { startIngress, type Ingress } from "../../apps/ingress/src";
import { OperatorClient } from "../support/operator-client";
import { startStack, testLogger, type Stack } from "../support/stack";

// PROTOCOL §5: the caller IP is the TCP peer; X-Forwarded-For counts only when the peer is a trusted proxy.
// (The forwarded addresses below are header text only: no traffic goes anywhere but loopback.)
let stack: Stack;
let behindProxy: Ingress;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  behindProxy = await startIngress({ ...stack.config, port: 0, adminPort: 0, trustedProxies: "127.0.0.1/32" }, testLogger(), { poolMax: 2 });
});
afterAll(async () => {
  await behindProxy.close();
  await stack.close();
});

it("ignores X-Forwarded-For from an untrusted peer", async () => {
  const op = await stack.createOperator({ ipWhitelist: ["203.0.113.0/24"] });
  const res = await op.postForm("/1/api/oper/balance", { uid: op.uid, sign: signOf(op) }, { "x-forwarded-for": "203.0.113.7" });
  expect(res.json.msg).toBe("IP不在白名单");
});

it("uses the right-most untrusted X-Forwarded-For address behind a trusted proxy", async () => {
  const op = await stack.createOperator({ ipWhitelist: ["203.0.113.0/24"] });
  const viaProxy = new OperatorClient(`http://127.0.0.1:${behindProxy.operatorPort}`, op.uid, op.key);
  const ok = await viaProxy.postForm("/1/api/oper/balance", { uid: op.uid, sign: signOf(op) }, { "x-forwarded-for": "198.51.100.9, 203.0.113.7" });
  expect(ok.json.code).toBe("200");
  // A client forging its own X-Forwarded-For to the left does not help it.
  const forged = await viaProxy.postForm("/1/api/oper/balance", { uid: op.uid, sign: signOf(op) }, { "x-forwarded-for": "203.0.113.7, 198.51.100.9" });
  expect(forged.json.msg).toBe("IP不在白名单");
});

function signOf(op: OperatorClient): string {
  return balanceQuerySign(op.uid, op.key);
}
