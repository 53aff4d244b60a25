import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { runCli } from "../../apps/cli/src/cli";
import { ADMIN_TOKEN, eventually, freePort, startStack, type Stack } from "../support/stack";

// Issue 19: every CLI command against a real stack (in-process through runCli, and through the
// real `npm run cli` entry), `sign` against PROTOCOL §3's vectors, and mock-operator receiving
// the stack's real callbacks.
const ROOT = path.resolve(__dirname, "../..");
let stack: Stack;
let manualOperator: { uid: string; key: string };

beforeAll(async () => {
  stack = await startStack();
  // Made before any order: the worker reads channels and routes into a cache on first use.
  manualOperator = await stack.createOperator({ name: "手工运营商" });
  expect((await stack.admin("POST", "/admin/channels", { code: "cli-hand", kind: "manual" })).status).toBe(201);
  expect((await stack.admin("POST", "/admin/routes", { channels: ["cli-hand"], uid: manualOperator.uid })).status).toBe(201);
});
afterAll(() => stack.close());

interface Run {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const code = await runCli(args, {
    env: { ADMIN_URL: stack.adminUrl, ADMIN_TOKEN, OPERATOR_BASE_URL: stack.baseUrl, ...env },
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
  });
  // The admin token is a secret: no output of any command may carry it.
  expect(out + err).not.toContain(ADMIN_TOKEN);
  return { code, out, err };
}

async function cliJson(args: string[], env: Record<string, string | undefined> = {}): Promise<any> {
  const run = await cli(["--json", ...args], env);
  if (run.code !== 0) throw new Error(`cli ${args.join(" ")} exited ${run.code}: ${run.err}`);
  return JSON.parse(run.out);
}

/** The CLI as a child process, through the root package.json script. */
function npmCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "-s", "cli", "--", ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => resolve({ code: code ?? -1, out, err }));
  });
}

class Mock {
  lines: any[] = [];
  url = "";
  private constructor(readonly child: ChildProcessWithoutNullStreams) {}
  static async start(args: string[]): Promise<Mock> {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "apps/cli/src/main.ts", "--json", "mock-operator", "--port", String(port), ...args], { cwd: ROOT });
    const mock = new Mock(child);
    let buffer = "";
    child.stdout.on("data", (d) => {
      buffer += d;
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        const line = JSON.parse(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        if (line.listening) mock.url = line.listening;
        else mock.lines.push(line);
      }
    });
    await eventually(async () => (mock.url ? true : undefined), 20_000);
    expect(mock.url).toBe(`http://127.0.0.1:${port}/`);
    return mock;
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once("close", () => resolve());
      this.child.kill("SIGTERM");
    });
  }
}

describe("sign (PROTOCOL §3 test vectors)", () => {
  const base = ["--uid", "3928857", "--key", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"];
  const order = ["--order-no", "020160427210604000490", "--phone", "13999999999", "--face-value", "1000"];
  const data = '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';
  it.each([
    ["push", [...base, ...order], "80fcb730498a656ec0bcba86da87b4dc"],
    ["callback", [...base, ...order, "--status", "4"], "08a0571b935c2131236becf1e94f4686"],
    ["balance", base, "b81a8a1ffea6c14baf393c436267af18"],
    ["query", [...base, "--order-no", "020160427210604000490"], "620013c234e770e7a43c38fb6c685e27"],
    ["response", ["--key", "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "--data", data], "576cf2f27945a2629c48480c88ac43d1"],
  ])("%s", async (kind, args, sign) => {
    expect(await cli(["sign", kind, ...(args as string[])])).toEqual({ code: 0, out: `${sign}\n`, err: "" });
    expect(await cliJson(["sign", kind, ...(args as string[])])).toEqual({ kind, sign });
  });

  it("takes the key from OPERATOR_KEY, and refuses missing fields and unknown kinds", async () => {
    expect((await cli(["sign", "balance", "--uid", "3928857"], { OPERATOR_KEY: "9f8e7d6c5b4a39281706f5e4d3c2b1a0" })).out).toBe("b81a8a1ffea6c14baf393c436267af18\n");
    const missing = await cli(["sign", "push", ...base]);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("error: missing --order-no\n");
    const unknown = await cli(["sign", "refund", ...base]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain("'refund' is invalid for argument 'kind'");
  });
});

describe("--help", () => {
  it.each([
    [[]], [["operator"]], [["operator", "create"]], [["operator", "list"]], [["operator", "show"]], [["operator", "rotate-key"]],
    [["channel"]], [["channel", "list"]], [["channel", "create"]], [["route"]], [["route", "list"]], [["route", "create"]],
    [["order"]], [["order", "find"]], [["order", "show"]], [["order", "resend-callback"]], [["order", "resolve"]],
    [["sign"]], [["push"]], [["query"]], [["balance"]], [["mock-operator"]],
  ])("%j --help", async (words) => {
    const run = await cli([...words, "--help"]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Usage: topup ${words.join(" ")}`.trimEnd());
  });

  it("works through npm run cli, and a bad command exits non-zero without a stack trace", async () => {
    const help = await npmCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: topup[\s\S]*mock-operator/);
    const bad = await npmCli(["operator", "frobnicate"]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain("unknown command 'frobnicate'");
    expect(bad.err).not.toMatch(/\n\s+at /);
  });
});

describe("admin commands", () => {
  it("operator create, list, show and rotate-key; the md5key only on create and rotate", async () => {
    const created = await cliJson(["operator", "create", "--name", "CLI运营商", "--rate-bp", "9900", "--ip", "127.0.0.1,10.0.0.0/8"]);
    expect(created).toMatchObject({ name: "CLI运营商", rateBp: 9900, ipWhitelist: ["127.0.0.1", "10.0.0.0/8"], enabled: true });
    expect(created.md5key).toMatch(/^[0-9a-f]{32}$/);
    const listed = await cli(["operator", "list"]);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${created.uid}\\s+CLI运营商\\s+true\\s+9900`, "m"));
    expect(listed.out).not.toContain(created.md5key);
    const shown = await cli(["operator", "show", created.uid]);
    expect(shown.out).toContain(`uid: ${created.uid}`);
    expect(shown.out).not.toContain(created.md5key);
    expect((await cliJson(["operator", "show", created.uid])).md5key).toBeUndefined();
    const rotated = await cli(["operator", "rotate-key", created.uid]);
    expect(rotated.code).toBe(0);
    const key = /^md5key: ([0-9a-f]{32})$/m.exec(rotated.out)?.[1];
    expect(key).toBeDefined();
    expect(key).not.toBe(created.md5key);
    expect((await stack.admin("GET", `/admin/operators/${created.uid}`)).status).toBe(200);
  });

  it("channel create and list, route create and list", async () => {
    const channel = await cliJson(["channel", "create", "--code", "cli-manual", "--kind", "manual", "--name", "手工", "--concurrency", "3"]);
    expect(channel).toMatchObject({ code: "cli-manual", kind: "manual", name: "手工", concurrency: 3 });
    expect((await cli(["channel", "list"])).out).toMatch(/^cli-manual\s+manual\s+手工\s+true\s+3/m);
    const route = await cliJson(["route", "create", "--channels", "cli-manual,simulator", "--uid", "7777777", "--face-values", "500,1000", "--priority", "5"]);
    expect(route.id).toBeDefined();
    const routes = await cliJson(["route", "list"]);
    expect(routes.find((r: any) => String(r.id) === String(route.id))).toMatchObject({ uid: "7777777", faceValues: [500, 1000], priority: 5 });
    expect((await cli(["route", "list"])).out).toMatch(new RegExp(`^${route.id}\\s+5\\s+true\\s+7777777`, "m"));
  });

  it("bad input: a clear message and a non-zero exit code", async () => {
    const noName = await cli(["operator", "create"]);
    expect(noName.code).not.toBe(0);
    expect(noName.err).toContain("required option '--name <name>' not specified");
    const notInt = await cli(["operator", "create", "--name", "x", "--rate-bp", "lots"]);
    expect(notInt).toMatchObject({ code: 1, err: 'error: --rate-bp must be an integer, not "lots"\n' });
    const refused = await cli(["channel", "create", "--code", "Bad Code", "--kind", "manual"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: admin API answered HTTP 400: .*code/);
    const missing = await cli(["operator", "show", "no-such-uid"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^error: admin API answered HTTP 404/);
    const wrongToken = await cli(["--admin-token", "not-the-token-xyz", "operator", "list"]);
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.err).toBe(`error: admin API at ${stack.adminUrl} refused the admin token (HTTP 401)\n`);
    expect(wrongToken.err).not.toContain("not-the-token-xyz");
    const noToken = await cli(["operator", "list"], { ADMIN_TOKEN: undefined });
    expect(noToken).toMatchObject({ code: 1, err: "error: no admin token: pass --admin-token or set ADMIN_TOKEN\n" });
  });

  it("server down: says it cannot reach it, exits 1, no stack trace (also through npm run cli)", async () => {
    const port = await freePort();
    const down = await cli(["--admin-url", `http://127.0.0.1:${port}`, "order", "find"]);
    expect(down).toEqual({ code: 1, out: "", err: `error: cannot reach the admin API at http://127.0.0.1:${port}: ECONNREFUSED\n` });
    const balance = await cli(["balance", "--base-url", `http://127.0.0.1:${port}`, "--uid", "1", "--key", "k"]);
    expect(balance).toEqual({ code: 1, out: "", err: `error: cannot reach the operator API at http://127.0.0.1:${port}: ECONNREFUSED\n` });
    const viaNpm = await npmCli(["operator", "list"], { ADMIN_URL: `http://127.0.0.1:${port}`, ADMIN_TOKEN });
    expect(viaNpm.code).toBe(1);
    expect(viaNpm.err).toContain(`error: cannot reach the admin API at http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(viaNpm.err + viaNpm.out).not.toMatch(/\n\s+at |TypeError/);
    expect(viaNpm.err + viaNpm.out).not.toContain(ADMIN_TOKEN);
  });
});

describe("operator client, mock-operator and order commands", () => {
  let uid: string;
  let key: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    const op = await stack.createOperator({ name: "回调测试" });
    uid = op.uid;
    key = op.key;
    env = { OPERATOR_UID: uid, OPERATOR_KEY: key };
  });

  it("push → the stack calls the mock back (sign verified, ok); query, balance, order find/show/resend-callback", async () => {
    const mock = await Mock.start(["--key", key]);
    try {
      const pushed = await cli(["push", "--order-no", "CLI-1", "--phone", "13812340001", "--face-value", "1000", "--notify-url", mock.url], env);
      expect(pushed).toEqual({ code: 0, out: "accepted: Success\n", err: "" });
      const first = await eventually(async () => mock.lines[0], 20_000);
      expect(first).toMatchObject({ method: "POST", signValid: true, answer: "ok", fields: { uid, order_no: "CLI-1", phone_number: "13812340001", face_value: "1000", status: "4" } });

      const query = await cliJson(["query", "--order-no", "CLI-1"], env);
      expect(query).toMatchObject({ code: "200", signValid: true, data: { data: { operatorSn: "CLI-1", statusId: 4, amount: 1000 } } });
      expect((await cli(["query", "--order-no", "CLI-1"], env)).out).toMatch(/^statusName: 充值成功$/m);
      const balance = await cliJson(["balance"], env);
      expect(balance.data.data).toMatchObject({ accountBalance: 1000, record: "订单收款" });
      expect((await cli(["query", "--order-no", "NOPE"], env))).toEqual({ code: 1, out: "", err: "error: refused: 订单不存在\n" });
      expect((await cli(["balance", "--key", "0".repeat(32)], env)).err).toBe("error: refused: 签名错误\n");

      const found = await eventually(async () => {
        const page = await cliJson(["order", "find", "--order-no", "CLI-1", "--uid", uid]);
        return page.items[0]?.callbackState === "acked" ? page : undefined;
      });
      expect(found.items).toHaveLength(1);
      const id = String(found.items[0].id);
      expect((await cli(["order", "find", "--order-no", "CLI-1"])).out).toMatch(new RegExp(`^${id}\\s+CLI-1\\s+13812340001\\s+1000\\s+4\\s+充值成功`, "m"));
      const shown = await cli(["order", "show", id]);
      expect(shown.out).toMatch(/^status: 4$/m);
      expect(shown.out).toMatch(/-> 4/);
      expect((await cliJson(["order", "show", id])).callbackAttempts).toHaveLength(1);

      expect((await cli(["order", "resend-callback", id])).out).toBe(`callback of order ${id} queued again (status 4 充值成功)\n`);
      await eventually(async () => (mock.lines.length >= 2 ? true : undefined), 20_000);
      expect(mock.lines[1]).toMatchObject({ n: 2, signValid: true, answer: "ok", fields: { order_no: "CLI-1" } });
      expect((await cli(["order", "resend-callback", "999999999"])).code).toBe(1);
    } finally {
      await mock.stop();
    }
  });

  it("mock-operator --fail-first 1 answers fail once (the platform retries), --fail always (callback failed)", async () => {
    const failFirst = await Mock.start(["--key", key, "--fail-first", "1"]);
    const failAll = await Mock.start(["--key", key, "--fail"]);
    try {
      expect((await cli(["push", "--order-no", "CLI-2", "--phone", "13812340012", "--face-value", "500", "--notify-url", failFirst.url], env)).code).toBe(0);
      expect((await cli(["push", "--order-no", "CLI-3", "--phone", "13812340003", "--face-value", "500", "--notify-url", failAll.url], env)).code).toBe(0);
      const acked = await eventually(async () => {
        const page = await cliJson(["order", "find", "--order-no", "CLI-2"]);
        return page.items[0]?.callbackState === "acked" ? page.items[0] : undefined;
      }, 20_000);
      expect(failFirst.lines.map((l) => l.answer)).toEqual(["fail", "ok"]);
      expect((await cliJson(["order", "show", String(acked.id)])).callbackAttempts).toHaveLength(2);
      await eventually(async () => ((await cliJson(["order", "find", "--order-no", "CLI-3"])).items[0]?.callbackState === "failed" ? true : undefined), 20_000);
      expect(failAll.lines.map((l) => l.answer)).toEqual(["fail", "fail", "fail"]);
      expect(failAll.lines.every((l) => l.signValid === true)).toBe(true);
    } finally {
      await Promise.all([failFirst.stop(), failAll.stop()]);
    }
  });

  it("a callback with a wrong sign is shown INVALID and answered fail", async () => {
    const mock = await Mock.start(["--key", "0".repeat(32)]);
    try {
      expect((await cli(["push", "--order-no", "CLI-4", "--phone", "13812340004", "--face-value", "500", "--notify-url", mock.url], env)).code).toBe(0);
      const line = await eventually(async () => mock.lines[0], 20_000);
      expect(line).toMatchObject({ signValid: false, answer: "fail" });
    } finally {
      await mock.stop();
    }
  });

  it("push refused is a non-zero exit; order resolve moves a manual order one step", async () => {
    const refused = await cli(["push", "--order-no", "CLI-5", "--phone", "12345", "--face-value", "500", "--notify-url", "http://127.0.0.1:9/"], env);
    expect(refused).toEqual({ code: 1, out: "refused: 参数格式错误: phone_number\n", err: "error: order refused: 参数格式错误: phone_number\n" });
    const op = manualOperator;
    const pushed = await cli(["push", "--order-no", "M-1", "--phone", "13812340005", "--face-value", "500", "--notify-url", "http://127.0.0.1:9/", "--uid", op.uid, "--key", op.key]);
    expect(pushed.code).toBe(0);
    const order = await eventually(async () => {
      const item = (await cliJson(["order", "find", "--uid", op.uid])).items[0];
      return item?.status === 6 ? item : undefined;
    });
    const resolved = await cliJson(["order", "resolve", String(order.id), "--status", "0", "--reason", "placed at the web hall"]);
    expect(resolved.status).toBe(0);
    const illegal = await cli(["order", "resolve", String(order.id), "--status", "6"]);
    expect(illegal.code).toBe(1);
    expect(illegal.err).toMatch(/^error: admin API answered HTTP 400: status must be/);
    expect((await cliJson(["order", "show", String(order.id)])).status).toBe(0);
  });
});
