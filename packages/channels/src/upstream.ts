import http from "node:http";
import https from "node:https";
import {
  balanceQuerySign,
  callbackSign,
  Msg,
  orderPushSign,
  orderQuerySign,
  responseDataSign,
  signMatches,
} from "@topup/protocol";
import { AXIOS_SOCKET_KEEP_ALIVE_MS } from "@topup/net";
import axios, { type AxiosInstance } from "axios";
import type { ChannelNotification, ChannelOrder, ChannelStatus, PlaceResult, RechargeChannel } from "./channel";

export interface UpstreamConfig {
  /** The supplier's address, e.g. http://127.0.0.1:9088 (no trailing path). */
  baseUrl: string;
  /** This platform's uid at the supplier and the md5key the supplier gave it. */
  uid: string;
  md5key: string;
  /** Where the supplier calls back: PUBLIC_BASE_URL + /1/api/channel/<code>/notify. */
  notifyUrl: string;
  /** One exchange, connect to the last byte (default 10 s). */
  timeoutMs?: number;
  /** Keep-alive connections to the supplier at most (default 64). */
  maxSockets?: number;
  /** The first query after placing (default UPSTREAM_FIRST_QUERY_MS); later ones back off from it. */
  firstQueryMs?: number;
}

/** PROTOCOL §12: the first query 5 s after placing, then a growing delay (pollDelayMs) up to 60 s. */
export const UPSTREAM_FIRST_QUERY_MS = 5_000;
/** Answers larger than this are not the supplier's envelope: unknown. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** An HTTP exchange as the classification needs it: the status and body, or why there was none. */
type Exchange = { status: number; body: string } | { error: string };

interface Envelope {
  code: string;
  msg: string;
  sign?: string;
  data?: string;
}

/**
 * A supplier that speaks this platform's own protocol (PROTOCOL §1–§9), with this platform as its
 * operator (§12). Every answer that is not exactly the protocol's — a timeout, a reset, another
 * HTTP status, a body that is not the envelope, a query answer whose sign does not verify — is
 * `unknown`: the order may be with the supplier, so the platform asks again and never fails over.
 */
export class UpstreamChannel implements RechargeChannel {
  readonly kind = "upstream";
  readonly stepDelayMs: number;
  private readonly http: AxiosInstance;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(readonly code: string, private readonly config: UpstreamConfig) {
    this.stepDelayMs = config.firstQueryMs ?? UPSTREAM_FIRST_QUERY_MS;
    const maxSockets = config.maxSockets ?? 64;
    const agentOptions = { keepAlive: true, maxSockets, keepAliveMsecs: AXIOS_SOCKET_KEEP_ALIVE_MS };
    this.agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
    this.http = axios.create({
      baseURL: config.baseUrl.replace(/\/+$/, ""),
      timeout: config.timeoutMs ?? 10_000,
      maxRedirects: 0,
      maxContentLength: MAX_ANSWER_BYTES,
      responseType: "text",
      transformResponse: (data: unknown) => data,
      validateStatus: () => true,
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8" },
    });
  }

  async place(order: ChannelOrder): Promise<PlaceResult> {
    const { uid, md5key } = this.config;
    const sign = orderPushSign({ uid, orderNo: order.serialNumber, phoneNumber: order.phoneNumber, faceValue: order.faceValue }, md5key);
    const exchange = await this.post("/1/api/oper/order", [
      ["uid", uid],
      ["order_no", order.serialNumber],
      ["order_type", String(order.orderType)],
      ["mobile_type", String(order.mobileType)],
      ["phone_number", order.phoneNumber],
      ["face_value", String(order.faceValue)],
      ["notify_url", this.config.notifyUrl],
      ["sign", sign],
    ]);
    return classifyPush(exchange);
  }

  async query(order: ChannelOrder): Promise<ChannelStatus> {
    const { uid, md5key } = this.config;
    const exchange = await this.post("/1/api/oper/query_order", [
      ["uid", uid],
      ["order_no", order.serialNumber],
      ["sign", orderQuerySign(uid, order.serialNumber, md5key)],
    ]);
    return classifyQuery(exchange, md5key);
  }

  async balance(): Promise<number | null> {
    const { uid, md5key } = this.config;
    const exchange = await this.post("/1/api/oper/balance", [
      ["uid", uid],
      ["sign", balanceQuerySign(uid, md5key)],
    ]);
    const inner = signedData(exchange, md5key);
    const balance = inner?.data?.accountBalance;
    return typeof balance === "number" && Number.isSafeInteger(balance) ? balance : null;
  }

  verifyNotification(fields: Readonly<Record<string, string>>): ChannelNotification | null {
    const { uid, order_no: orderNo, phone_number: phoneNumber, face_value: faceValue, status, sign } = fields;
    if (uid !== this.config.uid || !orderNo || !phoneNumber || !sign || !/^[1-9][0-9]{0,14}$/.test(faceValue ?? "") || !/^(4|9|10)$/.test(status ?? "")) return null;
    const expected = callbackSign({ uid, orderNo, phoneNumber, faceValue: Number(faceValue), status: Number(status) }, this.config.md5key);
    if (!signMatches(expected, sign)) return null;
    const mobileOrderNo = fields.mobile_order_no ?? "";
    const answer = `notify status ${status}${mobileOrderNo ? ` mobile_order_no ${mobileOrderNo}` : ""}`;
    return {
      serialNumber: orderNo,
      phoneNumber,
      faceValue: Number(faceValue),
      status: status === "4" ? { state: "succeeded", channelOrderNo: mobileOrderNo || orderNo, answer } : { state: "failed", reason: `supplier status ${status}`, answer },
    };
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async post(path: string, fields: [string, string][]): Promise<Exchange> {
    try {
      const response = await this.http.post<string>(path, new URLSearchParams(fields).toString());
      return { status: response.status, body: typeof response.data === "string" ? response.data : "" };
    } catch (error) {
      const e = error as { code?: string; message?: string };
      return { error: e.code ?? e.message ?? "request failed" };
    }
  }
}

function excerpt(exchange: Exchange): string {
  return "error" in exchange ? exchange.error : `HTTP ${exchange.status} ${exchange.body.slice(0, 900)}`;
}

function envelopeOf(body: string): Envelope | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { code, msg, sign, data } = value as Record<string, unknown>;
  if (typeof code !== "string" || typeof msg !== "string") return null;
  return { code, msg, sign: typeof sign === "string" ? sign : undefined, data: typeof data === "string" ? data : undefined };
}

/** The push-answer table of PROTOCOL §12. */
export function classifyPush(exchange: Exchange): PlaceResult {
  const answer = excerpt(exchange);
  if ("error" in exchange) return { outcome: "unknown", detail: exchange.error, answer };
  if (exchange.status === 503 || exchange.status === 429) return { outcome: "busy", reason: `HTTP ${exchange.status}`, answer };
  const envelope = exchange.status === 200 ? envelopeOf(exchange.body) : null;
  if (envelope?.code === "200") return { outcome: "placed", channelOrderNo: null, answer };
  if (envelope?.code === "400") {
    // The supplier holds an order under this serial: ours, from an earlier push whose answer was lost.
    if (envelope.msg === Msg.duplicateOrderNo) return { outcome: "unknown", detail: envelope.msg, answer };
    return { outcome: "refused", reason: envelope.msg, answer };
  }
  return { outcome: "unknown", detail: `not the push envelope (HTTP ${exchange.status})`, answer };
}

interface QueryInner {
  data?: { statusId?: unknown; mobileOrderNo?: unknown; serialNumber?: unknown; accountBalance?: unknown };
}

/** The inner object of a signed query answer, or null when it is not one or its sign is wrong. */
function signedData(exchange: Exchange, key: string): QueryInner | null {
  if ("error" in exchange || exchange.status !== 200) return null;
  const envelope = envelopeOf(exchange.body);
  if (envelope?.code !== "200" || envelope.data === undefined || envelope.sign === undefined) return null;
  if (!signMatches(responseDataSign(envelope.data, key), envelope.sign)) return null;
  try {
    const inner = JSON.parse(envelope.data) as unknown;
    return typeof inner === "object" && inner !== null ? (inner as QueryInner) : null;
  } catch {
    return null;
  }
}

/** A supplier's order query answer (PROTOCOL §12): its statusId as the platform's channel status. */
export function classifyQuery(exchange: Exchange, key: string): ChannelStatus {
  const answer = excerpt(exchange);
  if (!("error" in exchange) && exchange.status === 200) {
    const envelope = envelopeOf(exchange.body);
    if (envelope?.code === "400" && envelope.msg === Msg.orderNotFound) return { state: "not_found", answer };
  }
  const inner = signedData(exchange, key);
  if (!inner?.data) return { state: "unknown", detail: "no signed query answer", answer };
  const { statusId, mobileOrderNo } = inner.data;
  const channelOrderNo = typeof mobileOrderNo === "string" && mobileOrderNo !== "" ? mobileOrderNo : null;
  switch (statusId) {
    case 5:
    case 6:
    case 0:
    case 1:
      return { state: "unpaid", channelOrderNo, answer };
    case 2:
      return { state: "paying", channelOrderNo, answer };
    case 4:
      if (channelOrderNo === null && typeof inner.data.serialNumber !== "string") break;
      return { state: "succeeded", channelOrderNo: channelOrderNo ?? (inner.data.serialNumber as string), answer };
    case 9:
    case 10:
      return { state: "failed", reason: `supplier status ${statusId}`, answer };
  }
  return { state: "unknown", detail: `supplier statusId ${String(statusId)}`, answer };
}
