/**
 * An operator's client for the top-up platform, written from PROTOCOL.md and the 对接文档 alone.
 * Nothing here imports the platform's packages: signing, request building, envelope checking and
 * sign verification are done with node:crypto / node:http directly.
 */
import { createHash } from "node:crypto";
import { request, type IncomingHttpHeaders } from "node:http";

// ---------------------------------------------------------------- signatures (§3)

/** md5 of the UTF-8 bytes, lowercase hex. */
export function md5(text: string): string {
  return createHash("md5").update(Buffer.from(text, "utf8")).digest("hex");
}

export const sign = {
  push: (uid: string, orderNo: string, phone: string, face: string, key: string) => md5(uid + orderNo + phone + face + key),
  callback: (uid: string, orderNo: string, phone: string, face: string, status: string, key: string) =>
    md5(uid + orderNo + phone + face + status + key),
  balance: (uid: string, key: string) => md5(uid + key),
  query: (uid: string, orderNo: string, key: string) => md5(uid + orderNo + key),
  response: (data: string, key: string) => md5(data + key),
};

// ---------------------------------------------------------------- raw HTTP (loopback only)

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  contentType: string | undefined;
  body: Buffer;
  text: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length), in pieces. */
  chunked?: boolean;
}

function assertLoopback(hostname: string): void {
  const h = hostname.replace(/^\[|\]$/g, "");
  if (h === "::1") return;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return;
  throw new Error(`refusing to send traffic to non-loopback host ${hostname}`);
}

/** One HTTP request with full control over method, headers and bytes. */
export function send(url: string, options: SendOptions = {}): Promise<Answer> {
  const target = new URL(url);
  assertLoopback(target.hostname);
  const method = options.method ?? "POST";
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, "utf8");
  if (body && !options.chunked && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) {
    headers["content-length"] = String(body.length);
  }
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const req = request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ""),
        port: target.port,
        path: target.pathname + target.search,
        method,
        headers,
        agent: false,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            contentType: res.headers["content-type"],
            body: buf,
            text: buf.toString("utf8"),
          });
        });
      },
    );
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    if (body && options.chunked) {
      const piece = 1024;
      let offset = 0;
      const pump = (): void => {
        while (offset < body.length) {
          const part = body.subarray(offset, offset + piece);
          offset += piece;
          if (!req.write(part)) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else {
      req.end(body);
    }
  });
}

// ---------------------------------------------------------------- request bodies

export type Fields = Record<string, string> | [string, string][] | PushInput;

/** application/x-www-form-urlencoded body, fields in the given order. */
export function formBody(fields: Fields): string {
  const entries: [string, string][] = Array.isArray(fields) ? fields : (Object.entries(fields) as [string, string][]);
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

export const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";

export const PATHS = {
  order: "/1/api/oper/order",
  balance: "/1/api/oper/balance",
  query: "/1/api/oper/query_order",
} as const;

export interface PushInput {
  uid: string;
  order_no: string;
  order_type: string;
  mobile_type: string;
  phone_number: string;
  face_value: string;
  notify_url: string;
  sign: string;
}

/** An operator, as the document describes one: a uid and an md5key. */
export class Operator {
  constructor(readonly baseUrl: string, readonly uid: string, readonly key: string) {}

  /** A complete push request, signed unless `sign` is given. */
  order(fields: Partial<PushInput> & { order_no: string; notify_url: string }): PushInput {
    const f = {
      uid: this.uid,
      order_type: "1",
      mobile_type: "1",
      phone_number: "13912345678",
      face_value: "1000",
      ...fields,
    } as PushInput;
    if (fields.sign === undefined) f.sign = sign.push(f.uid, f.order_no, f.phone_number, f.face_value, this.key);
    return f;
  }

  post(path: string, body: string | Buffer, contentType: string | undefined, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (contentType !== undefined) headers["content-type"] = contentType;
    return send(this.baseUrl + path, { method: "POST", headers, body });
  }

  postForm(path: string, fields: Fields, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    return this.post(path, formBody(fields), FORM, extraHeaders);
  }

  postJson(path: string, value: unknown, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    return this.post(path, typeof value === "string" ? value : JSON.stringify(value), JSON_TYPE, extraHeaders);
  }

  push(fields: Fields, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    return this.postForm(PATHS.order, fields, extraHeaders);
  }

  pushJson(value: unknown): Promise<Answer> {
    return this.postJson(PATHS.order, value);
  }

  balance(signOverride?: string, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    return this.postForm(PATHS.balance, { uid: this.uid, sign: signOverride ?? sign.balance(this.uid, this.key) }, extraHeaders);
  }

  balanceJson(): Promise<Answer> {
    return this.postJson(PATHS.balance, { uid: this.uid, sign: sign.balance(this.uid, this.key) });
  }

  query(orderNo: string, signOverride?: string): Promise<Answer> {
    return this.postForm(PATHS.query, { uid: this.uid, order_no: orderNo, sign: signOverride ?? sign.query(this.uid, orderNo, this.key) });
  }

  queryJson(orderNo: string): Promise<Answer> {
    return this.postJson(PATHS.query, { uid: this.uid, order_no: orderNo, sign: sign.query(this.uid, orderNo, this.key) });
  }

  /** Order query, checked and decoded; throws unless it is a well-formed, correctly signed success. */
  async orderInfo(orderNo: string): Promise<OrderData> {
    const ans = await this.query(orderNo);
    return decodeQuerySuccess(ans, this.key).inner.data as unknown as OrderData;
  }

  async balanceInfo(): Promise<BalanceData> {
    const ans = await this.balance();
    return decodeQuerySuccess(ans, this.key).inner.data as unknown as BalanceData;
  }
}

// ---------------------------------------------------------------- envelopes (§4)

export const CONTENT_TYPE_JSON = "application/json; charset=utf-8";
export const PUSH_SUCCESS = '{"code":"200","count":"1","msg":"Success"}';

export function pushFailure(msg: string): string {
  return JSON.stringify({ code: "400", count: "0", msg });
}

export function queryFailure(msg: string): string {
  return JSON.stringify({ code: "400", count: "0", msg, sign: "", data: "" });
}

export const BALANCE_KEYS = [
  "accountBalance",
  "billingDate",
  "currency",
  "expenditure",
  "gmtCreate",
  "id",
  "income",
  "operatorName",
  "payMoney",
  "paymentDetailId",
  "record",
];

export const ORDER_KEYS = [
  "amount",
  "gmtCreate",
  "id",
  "mobileOrderNo",
  "operatorSn",
  "operatorsName",
  "rechargePhoneNumber",
  "serialNumber",
  "statusId",
  "statusName",
];

export interface BalanceData {
  accountBalance: number;
  billingDate: number;
  currency: string;
  expenditure: number;
  gmtCreate: number;
  id: number;
  income: number;
  operatorName: string;
  payMoney: number;
  paymentDetailId: number;
  record: string;
}

export interface OrderData {
  amount: number;
  gmtCreate: number;
  id: number;
  mobileOrderNo: string;
  operatorSn: string;
  operatorsName: string;
  rechargePhoneNumber: string;
  serialNumber: string;
  statusId: number;
  statusName: string;
}

export class EnvelopeError extends Error {}

export interface DecodedQuery {
  /** The exact `data` string. */
  data: string;
  sign: string;
  inner: { code: number; count: number; data: Record<string, unknown>; msg: string };
}

/**
 * Checks a balance / order query success answer byte for byte against §4 and returns its parts.
 * - HTTP 200, content type application/json; charset=utf-8
 * - outer: exactly {"code":"200","count":"1","msg":"success","sign":"<32 lc hex>","data":"<D>"}, compact
 * - D: compact JSON {"code":200,"count":1,"data":{…},"msg":"success"}, keys in that order, no \u escapes
 * - sign == md5(D + key)
 */
export function decodeQuerySuccess(ans: Answer, key: string): DecodedQuery {
  const fail = (why: string) => {
    throw new EnvelopeError(`${why}; HTTP ${ans.status}, body ${ans.text}`);
  };
  if (ans.status !== 200) fail("expected HTTP 200");
  if (ans.contentType !== CONTENT_TYPE_JSON) fail(`content type ${ans.contentType}`);
  let outer: Record<string, unknown>;
  try {
    outer = JSON.parse(ans.text) as Record<string, unknown>;
  } catch {
    return fail("not JSON");
  }
  if (JSON.stringify(Object.keys(outer)) !== JSON.stringify(["code", "count", "msg", "sign", "data"])) fail("outer keys/order");
  if (outer.code !== "200" || outer.count !== "1" || outer.msg !== "success") fail("outer code/count/msg");
  if (typeof outer.sign !== "string" || !/^[0-9a-f]{32}$/.test(outer.sign)) fail("sign not 32 lowercase hex");
  if (typeof outer.data !== "string") fail("data is not a string");
  if (JSON.stringify(outer) !== ans.text) fail("outer envelope not compact / not canonically escaped");
  const data = outer.data as string;
  if (/\\u[0-9a-fA-F]{4}/.test(data)) fail("data contains \\u escapes");
  let inner: DecodedQuery["inner"];
  try {
    inner = JSON.parse(data);
  } catch {
    return fail("data is not JSON");
  }
  if (JSON.stringify(Object.keys(inner)) !== JSON.stringify(["code", "count", "data", "msg"])) fail("inner keys/order");
  if (inner.code !== 200 || inner.count !== 1 || inner.msg !== "success") fail("inner code/count/msg");
  if (JSON.stringify(inner) !== data) fail("inner data not compact or loses precision when parsed");
  if (sign.response(data, key) !== outer.sign) fail("response sign != md5(data + key)");
  return { data, sign: outer.sign as string, inner };
}

// ---------------------------------------------------------------- callbacks (§7)

export const CALLBACK_FIELDS = ["uid", "order_no", "mobile_order_no", "phone_number", "face_value", "status", "sign"];

export function verifyCallbackSign(fields: Record<string, string>, key: string): boolean {
  const expected = sign.callback(fields.uid, fields.order_no, fields.phone_number, fields.face_value, fields.status, key);
  return typeof fields.sign === "string" && fields.sign === expected;
}

// ---------------------------------------------------------------- statuses (§6)

export const STATUS_NAMES: Record<number, string> = {
  5: "订单生成",
  6: "网厅下单中",
  0: "未支付",
  2: "网厅支付中",
  4: "充值成功",
  1: "超时未付",
  9: "退回运营商",
  10: "充值失败",
};

export const TERMINAL = new Set([4, 9, 10]);

/** Position along the state machine; a later query must never show a lower rank. */
export const STATUS_RANK: Record<number, number> = { 5: 0, 6: 1, 0: 2, 2: 3, 1: 4, 4: 5, 9: 5, 10: 5 };

/** 00:00 Asia/Shanghai (UTC+8, no DST) of the day of `ms`. */
export function shanghaiMidnight(ms: number): number {
  const offset = 8 * 3600_000;
  return ms - ((((ms + offset) % 86_400_000) + 86_400_000) % 86_400_000);
}

// ---------------------------------------------------------------- utilities

let counter = 0;
/** A unique order number of allowed characters. */
export function orderNo(prefix = "T"): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${process.pid.toString(36)}${counter.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 64);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 30): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(everyMs);
  }
}

/** Polls the order query until a terminal status (or timeout); returns every statusId seen, in order. */
export async function followOrder(op: Operator, no: string, timeoutMs = 10_000, everyMs = 15): Promise<{ seen: number[]; last: OrderData }> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await op.orderInfo(no);
    seen.push(info.statusId);
    if (TERMINAL.has(info.statusId) || Date.now() > deadline) return { seen, last: info };
    await sleep(everyMs);
  }
}
