import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { balanceQuerySign, callbackSign, orderPushSign, orderQuerySign, responseDataSign } from "@topup/protocol";
import { eventually, startStack, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// docs/examples/: the signing examples operators copy. Each prints PROTOCOL §3's five test-vector
// signs with no arguments, and pushes one sandbox order with `push BASE_URL UID KEY [NOTIFY_URL]`.
// A missing toolchain fails the test: scripts/ensure-deps.sh (npm test, .ci/run) installs them.

const EXAMPLES = path.resolve(__dirname, "../../docs/examples");
const COMMONS_CODEC = "/usr/share/java/commons-codec.jar";

/** PROTOCOL §3's test-vector table, in its order. */
const EXPECTED_SIGNS = [
  "80fcb730498a656ec0bcba86da87b4dc", // order push
  "08a0571b935c2131236becf1e94f4686", // callback with status 4
  "b81a8a1ffea6c14baf393c436267af18", // balance query
  "620013c234e770e7a43c38fb6c685e27", // order query
  "576cf2f27945a2629c48480c88ac43d1", // balance response with the document's example data
];
const V = { uid: "3928857", key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0", orderNo: "020160427210604000490", phone: "13999999999", faceValue: 1000 };
const DOCUMENT_BALANCE_DATA =
  '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,"currency":"人民币","expenditure":0,' +
  '"gmtCreate":1614058382000,"id":35,"income":1188,"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';
const PUSH_SUCCESS = '{"code":"200","count":"1","msg":"Success"}';
const SANDBOX_PHONE = "13800000004"; // §10: not …0010/…0009/…0002, so the simulator recharges it (4)

const work = mkdtempSync(path.join(tmpdir(), "topup-examples-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A bare server's environment: an ASCII locale (javac then reads sources as ASCII), and Go with a
// writable cache, no module, no network and no toolchain download.
const ENV: NodeJS.ProcessEnv = {
  ...process.env,
  LC_ALL: "C",
  LANG: "C",
  GOCACHE: path.join(work, "go-cache"),
  GOPATH: path.join(work, "go-path"),
  GOFLAGS: "-mod=mod",
  GOPROXY: "off",
  GOTOOLCHAIN: "local",
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd = EXAMPLES): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: ENV, timeout: 120_000, encoding: "utf8" }, (error, stdout, stderr) => {
      const err = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (err?.code === "ENOENT") {
        reject(new Error(`${command} is not installed: bash scripts/ensure-deps.sh installs it (npm test and .ci/run do)`));
      } else if (err && typeof err.code !== "number") {
        reject(err); // killed on timeout, or not started
      } else {
        resolve({ code: typeof err?.code === "number" ? err.code : 0, stdout, stderr });
      }
    });
  });
}

let javaClasses: Promise<string> | undefined;
/** Compiles Sign.java once, into the temp dir (no .class files in docs/examples). */
function compileJava(): Promise<string> {
  javaClasses ??= (async () => {
    const out = path.join(work, "java");
    const javac = await run("javac", ["-d", out, "-cp", COMMONS_CODEC, "Sign.java"]);
    if (javac.code !== 0) throw new Error(`javac failed:\n${javac.stderr}`);
    return out;
  })();
  return javaClasses;
}

const examples: [string, (args: string[]) => Promise<Run>][] = [
  ["Sign.java", async (args) => run("java", ["-cp", `${await compileJava()}:${COMMONS_CODEC}`, "Sign", ...args])],
  ["sign.php", (args) => run("php", ["sign.php", ...args])],
  ["sign.py", (args) => run("python3", ["sign.py", ...args])],
  ["sign.go", (args) => run("go", ["run", "sign.go", ...args])],
  ["sign.js", (args) => run("node", ["sign.js", ...args])],
];

it("expects exactly the signs the platform's own sign functions give for §3's vectors", () => {
  expect([
    orderPushSign({ uid: V.uid, orderNo: V.orderNo, phoneNumber: V.phone, faceValue: V.faceValue }, V.key),
    callbackSign({ uid: V.uid, orderNo: V.orderNo, phoneNumber: V.phone, faceValue: V.faceValue, status: 4 }, V.key),
    balanceQuerySign(V.uid, V.key),
    orderQuerySign(V.uid, V.orderNo, V.key),
    responseDataSign(DOCUMENT_BALANCE_DATA, V.key),
  ]).toEqual(EXPECTED_SIGNS);
});

describe.each(examples)("%s with no arguments", (_name, exec) => {
  it("prints the five signs of §3's test vectors, one per line, in the table's order", async () => {
    const result = await exec([]);
    expect(result).toMatchObject({ code: 0, stdout: EXPECTED_SIGNS.join("\n") + "\n" });
  }, 120_000);
});

describe("push against a live platform", () => {
  let stack: Stack;
  let op: OperatorClient;

  beforeAll(async () => {
    stack = await startStack(); // with the worker and the simulator as default channel
    op = await stack.createOperator({ name: "示例运营商" });
  });
  afterAll(() => stack?.close());

  it.each(examples)("%s push stores a sandbox order, answers the success envelope, and the order settles at 4", async (_name, exec) => {
    const result = await exec(["push", stack.baseUrl, op.uid, op.key, stack.receiver.url]);
    expect(result).toMatchObject({ code: 0, stdout: PUSH_SUCCESS + "\n" });
    const orderNo = /^order_no (\S+)$/m.exec(result.stderr)?.[1];
    expect(orderNo).toMatch(/^[0-9A-Za-z_-]{1,64}$/);

    const data = await op.orderData(orderNo!);
    expect(data).toMatchObject({ operatorSn: orderNo, rechargePhoneNumber: SANDBOX_PHONE, amount: 1000 });
    const [callback] = await stack.receiver.waitFor(orderNo!);
    expect(callback.fields).toMatchObject({ uid: op.uid, order_no: orderNo, phone_number: SANDBOX_PHONE, face_value: "1000", status: "4" });
    expect(callback.fields.sign).toBe(callbackSign({ uid: op.uid, orderNo: orderNo!, phoneNumber: SANDBOX_PHONE, faceValue: 1000, status: 4 }, op.key));
    await eventually(async () => ((await op.orderData(orderNo!)).statusId === 4 ? true : undefined));
  }, 120_000);
});
