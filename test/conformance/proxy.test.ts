/** §5 caller IP behind TRUSTED_PROXIES: the right-most X-Forwarded-For address that is not itself trusted. */
import { startStack, type Stack } from "../support/stack";
import { Operator, PUSH_SUCCESS, orderNo, pushFailure, queryFailure } from "./client";

let stack: Stack;
let remote: Operator; // whitelist: 203.0.113.7 only
let local: Operator; // whitelist: 127.0.0.1 only

beforeAll(async () => {
  stack = await startStack({ config: { trustedProxies: "127.0.0.0/8" } });
  const a = await stack.createOperator({ name: "代理后", ipWhitelist: ["203.0.113.7"] });
  const b = await stack.createOperator({ name: "本机", ipWhitelist: ["127.0.0.1"] });
  remote = new Operator(stack.baseUrl, a.uid, a.key);
  local = new Operator(stack.baseUrl, b.uid, b.key);
});

afterAll(async () => {
  await stack?.close();
});

const push = (o: Operator) => o.order({ order_no: orderNo("P"), notify_url: "http://127.0.0.1:9/cb" });

describe("§5 TRUSTED_PROXIES=127.0.0.0/8", () => {
  const cases: [string, string | undefined, boolean][] = [
    ["single address", "203.0.113.7", true],
    ["right-most untrusted address is used", "198.51.100.9, 203.0.113.7", true],
    ["trusted hops at the right are skipped", "203.0.113.7, 127.0.0.5, 127.0.0.9", true],
    ["a forged left-most entry is not believed", "203.0.113.7, 198.51.100.9", false],
    ["no header: the peer (127.0.0.1) is the caller", undefined, false],
  ];
  for (const [label, xff, allowed] of cases) {
    test(`${label}: X-Forwarded-For ${xff ?? "(none)"} → ${allowed ? "accepted" : "IP不在白名单"}`, async () => {
      const headers: Record<string, string> = xff === undefined ? {} : { "x-forwarded-for": xff };
      const ans = await remote.push(push(remote), headers);
      expect(ans.text).toBe(allowed ? PUSH_SUCCESS : pushFailure("IP不在白名单"));
      const bal = await remote.balance(undefined, headers);
      if (allowed) expect(JSON.parse(bal.text).code).toBe("200");
      else expect(bal.text).toBe(queryFailure("IP不在白名单"));
    });
  }

  test("behind a trusted proxy the forwarded client, not the proxy, is checked", async () => {
    expect((await local.push(push(local), { "x-forwarded-for": "203.0.113.7" })).text).toBe(pushFailure("IP不在白名单"));
    expect((await local.push(push(local))).text).toBe(PUSH_SUCCESS);
  });
});
