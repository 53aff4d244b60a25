import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  balanceQuerySign,
  callbackForm,
  callbackSign,
  Msg,
  orderPushSign,
  orderQuerySign,
  responseDataSign,
} from "@topup/protocol";
import { METHOD_NOT_ALLOWED } from "../../apps/ingress/src/operator-app";
import { startStack, type Stack } from "../support/stack";

// The operator guides (docs/operator-guide.*.md) against the code, so that they cannot drift: every
// failure message verbatim, the §3 test vectors, the callback body, sane tables and links, and every
// shell example run as written against a real platform (only BASE and notify_url pointed at it),
// its output compared with the `# =>` lines under it.
const DOCS = path.resolve(__dirname, "../../docs");
const GUIDES = ["operator-guide.zh-CN.md", "operator-guide.en.md"] as const;
const read = (name: string) => readFileSync(path.join(DOCS, name), "utf8");

const UID = "3928857";
const KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const VECTOR = { uid: UID, orderNo: "020160427210604000490", phoneNumber: "13999999999", faceValue: 1000 };
const DOCUMENT_BALANCE_DATA =
  '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';
const DOCUMENT_MOBILE_ORDER_NO = "508266044086865194";

/** Every failure message an operator can receive: Msg's texts (X for a field name) and the 405 text. */
function allMessages(): string[] {
  return [
    ...Object.values(Msg).map((m) => (typeof m === "function" ? m("X") : m)),
    METHOD_NOT_ALLOWED,
  ];
}

// ---- markdown ----

/** Code blocks with their info string, outside of which tables and headings are read. */
function codeBlocks(md: string): { lang: string; body: string }[] {
  return [...md.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}

function withoutCode(md: string): string {
  return md.replace(/^```\w*\n[\s\S]*?^```$/gm, "");
}

/** A table row's cells: split on `|` outside code spans. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = "";
  let inCode = false;
  for (const ch of line.trim().replace(/^\|/, "").replace(/\|$/, "")) {
    if (ch === "`") inCode = !inCode;
    if (ch === "|" && !inCode) {
      out.push(cell.trim());
      cell = "";
    } else cell += ch;
  }
  out.push(cell.trim());
  return out;
}

function tables(md: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | null = null;
  for (const line of withoutCode(md).split("\n")) {
    if (line.trimStart().startsWith("|")) (current ??= []).push(cells(line));
    else if (current) {
      found.push(current);
      current = null;
    }
  }
  if (current) found.push(current);
  return found;
}

/** GitHub's heading anchors: lower case, punctuation and symbols dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(md: string): string[] {
  return [...withoutCode(md).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]));
}

/** The table that follows a heading (the first one after it). */
function tableAfter(md: string, heading: RegExp): string[][] {
  const start = md.search(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  return tables(md.slice(start))[0];
}

describe.each(GUIDES)("%s", (guide) => {
  const md = read(guide);

  it("starts with a link to the other language", () => {
    const other = GUIDES.find((g) => g !== guide);
    const firstLink = md.split("\n").find((l) => /\]\(/.test(l));
    expect(firstLink).toContain(`](${other})`);
  });

  it("has every failure message verbatim, and its error table lists exactly those", () => {
    for (const msg of allMessages()) expect(md).toContain(`\`${msg}\``);
    const errors = tables(md).find((t) => t[0][0] === "msg");
    expect(errors).toBeDefined();
    const listed = errors!.slice(2).map((row) => row[0].replace(/^`|`$/g, ""));
    expect([...listed].sort()).toEqual([...allMessages()].sort());
  });

  it("gives the §3 test vectors as the platform computes them", () => {
    const vectors = tableAfter(md, /^### (Test vectors|测试向量)$/m).slice(2).map((row) => row[1]);
    expect(vectors).toEqual(
      [
        orderPushSign(VECTOR, KEY),
        callbackSign({ ...VECTOR, status: 4 }, KEY),
        balanceQuerySign(UID, KEY),
        orderQuerySign(UID, VECTOR.orderNo, KEY),
        responseDataSign(DOCUMENT_BALANCE_DATA, KEY),
      ].map((s) => `\`${s}\``),
    );
    expect(codeBlocks(md).some((b) => b.lang === "json" && b.body.trim() === DOCUMENT_BALANCE_DATA)).toBe(true);
  });

  it("shows the callback body exactly as the platform builds it", () => {
    const body = callbackForm({ ...VECTOR, mobileOrderNo: DOCUMENT_MOBILE_ORDER_NO, status: 4 }, KEY);
    expect(codeBlocks(md).filter((b) => b.lang === "text").map((b) => b.body.trim())).toContain(body);
  });

  it("has tables whose rows all have the header's column count", () => {
    const all = tables(md);
    expect(all.length).toBeGreaterThan(10);
    for (const table of all) {
      const width = table[0].length;
      expect(table[1].every((c) => /^:?-{3,}:?$/.test(c))).toBe(true);
      for (const row of table) expect({ row, width: row.length }).toEqual({ row, width });
    }
  });

  it("has links that resolve: anchors to its headings, files next to it", () => {
    const known = anchors(md);
    expect(new Set(known).size).toBe(known.length);
    for (const [, target] of withoutCode(md).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target)) continue;
      if (target.startsWith("#")) {
        expect({ target, found: known.includes(target.slice(1)) }).toEqual({ target, found: true });
      } else if (target === "examples/" && !existsSync(path.join(DOCS, "examples"))) {
        // docs/examples/ (the five signing examples) is written on another branch; checked once present.
        continue;
      } else {
        expect({ target, exists: existsSync(path.join(DOCS, target)) }).toEqual({ target, exists: true });
      }
    }
  });

  it("signs every shell example as the platform does", () => {
    const blocks = shellExamples(md);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) {
      const v = assignments(block);
      const printed = expectedLines(block).filter((l) => /^[0-9a-f]{32}$/.test(l));
      const json = block.match(/-d '(\{[\s\S]*\})'/);
      if (json) {
        // The JSON example spells its fields inline; its notify_url is spliced in by the shell.
        const f = JSON.parse(json[1].replace(`"'"$notify_url"'"`, '"x"'));
        expect(f.sign).toBe(orderPushSign({ uid: f.uid, orderNo: f.order_no, phoneNumber: f.phone_number, faceValue: f.face_value }, KEY));
        continue;
      }
      const expected = block.includes("/1/api/oper/order")
        ? orderPushSign({ uid: v.uid, orderNo: v.order_no, phoneNumber: v.phone_number, faceValue: Number(v.face_value) }, v.key)
        : block.includes("/1/api/oper/query_order")
          ? orderQuerySign(v.uid, v.order_no, v.key)
          : block.includes("/1/api/oper/balance")
            ? balanceQuerySign(v.uid, v.key)
            : callbackSign({ uid: v.uid, orderNo: v.order_no, phoneNumber: v.phone_number, faceValue: Number(v.face_value), status: Number(v.status) }, v.key);
      expect(printed).toEqual([expected]);
    }
  });

  describe("shell examples against a running platform", () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
      // The guide's account: the §3 uid and key, at the document's 9900 bp.
      await stack.createOperator({ name: "演示运营商", uid: UID, md5key: KEY, rateBp: 9900 });
      // An operator's receiver: verifies the sign the way the guide says, answers `ok` only then.
      stack.receiver.respond = ({ fields: f }, res) => {
        const expected = callbackSign(
          { uid: f.uid, orderNo: f.order_no, phoneNumber: f.phone_number, faceValue: Number(f.face_value), status: Number(f.status) },
          KEY,
        );
        res.end(f.uid === UID && f.sign?.toLowerCase() === expected ? "ok" : "bad sign");
      };
    }, 60_000);
    afterAll(() => stack?.close());

    it("prints what the guide says, in the guide's order", async () => {
      for (const block of shellExamples(md)) {
        const script = block
          .replace(/^BASE=.*$/m, `BASE=${stack.baseUrl}`)
          .replace(/^notify_url=.*$/m, `notify_url=${stack.receiver.url}`);
        const output = await bash(script);
        const expected = expectedLines(block);
        expect({ block, output: output.trimEnd().split("\n").map((line, i) => (matches(expected[i], line) ? expected[i] : line)) }).toEqual({
          block,
          output: expected,
        });
        // Later examples (query, balance) show the example order succeeded: let it finish first.
        for (const orderNo of pushedOrderNumbers(block)) await stack.receiver.waitFor(orderNo);
      }
      // Pushed twice (form, then JSON): one order, one callback from the platform, signed as shown.
      const fromPlatform = stack.receiver.for(VECTOR.orderNo).filter((c) => c.fields.mobile_order_no !== DOCUMENT_MOBILE_ORDER_NO);
      expect(fromPlatform).toHaveLength(1);
      expect(fromPlatform[0].contentType).toBe("application/x-www-form-urlencoded; charset=UTF-8");
      expect(fromPlatform[0].raw).toBe(callbackForm({ ...VECTOR, mobileOrderNo: fromPlatform[0].fields.mobile_order_no, status: 4 }, KEY));
      expect(fromPlatform[0].fields.mobile_order_no).toMatch(/^[0-9]{18}$/);
    }, 60_000);
  });
});

it("the two guides carry the same examples, tables and messages", () => {
  const [zh, en] = GUIDES.map(read);
  // The shell examples differ only in their comments.
  const strip = (block: string) => block.replace(/\s+#(?! =>).*$/gm, "");
  expect(shellExamples(en).map(strip)).toEqual(shellExamples(zh).map(strip));
  expect(tables(en).map((t) => [t.length, t[0].length])).toEqual(tables(zh).map((t) => [t.length, t[0].length]));
  const codeSpans = (md: string) => new Set([...md.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]).filter((s) => /[\u4e00-\u9fff]/.test(s)));
  expect([...codeSpans(en)].filter((s) => !codeSpans(zh).has(s))).toEqual([]);
});

// ---- shell examples ----

function shellExamples(md: string): string[] {
  return codeBlocks(md).filter((b) => b.lang === "sh").map((b) => b.body);
}

/** `name=value` lines (a trailing comment dropped). */
function assignments(block: string): Record<string, string> {
  return Object.fromEntries([...block.matchAll(/^([a-z_]+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
}

/** The `# => …` lines: what the block prints, one line each. */
function expectedLines(block: string): string[] {
  return [...block.matchAll(/^# => (.*)$/gm)].map((m) => m[1]);
}

/** `…` in an expected line stands for any text. */
function matches(expected: string | undefined, line: string): boolean {
  if (expected === undefined) return false;
  const pattern = expected.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${pattern}$`, "s").test(line);
}

function pushedOrderNumbers(block: string): string[] {
  if (!block.includes("/1/api/oper/order")) return [];
  return [...new Set([...block.matchAll(/order_no(?:=|": ")([0-9A-Za-z_-]+)/g)].map((m) => m[1]))];
}

function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", ["-euo", "pipefail", "-c", script], { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}\n--- script ---\n${script}`)) : resolve(stdout),
    );
  });
}
