import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { callbackSign, orderPushFailure, orderPushSuccess, orderQueryData, queryFailure, querySuccess } from "@topup/protocol";

/** What a scripted supplier does with one request: answer, or hang up (a reset), or never answer (a timeout). */
export type SupplierReply = { status?: number; body: string } | "reset" | "hang";

export interface SupplierOrder {
  serial: string;
  phone: string;
  faceValue: number;
  notifyUrl: string;
  /** The supplier's statusId as its queries report it. */
  statusId: number;
  mobileOrderNo: string;
}

/** A script may answer later (a slow supplier): the request stays open until its promise settles. */
type PushScript = (fields: Record<string, string>, supplier: FakeSupplier) => SupplierReply | Promise<SupplierReply>;
type QueryScript = (order: SupplierOrder | undefined, fields: Record<string, string>, supplier: FakeSupplier) => SupplierReply | Promise<SupplierReply>;

/**
 * A supplier speaking PROTOCOL §1–§9 whose answers a test scripts: every push and query is recorded;
 * by default a push is taken (and stored) and a query reports the stored order, signed with `key`.
 * Signs of requests are not checked: the platform's signing is tested against the vectors elsewhere.
 */
export class FakeSupplier {
  readonly pushes: Record<string, string>[] = [];
  readonly queries: Record<string, string>[] = [];
  readonly orders = new Map<string, SupplierOrder>();
  onPush: PushScript = (fields) => this.take(fields);
  onQuery: QueryScript = (order) => this.report(order);
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(readonly uid: string, readonly key: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Listens on `port` (0: any free one; a supplier's own earlier port brings it back after close()). */
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Takes the push (idempotently, like the platform) and answers success. */
  take(fields: Record<string, string>, statusId = 0): SupplierReply {
    if (!this.orders.has(fields.order_no)) {
      this.orders.set(fields.order_no, {
        serial: fields.order_no,
        phone: fields.phone_number,
        faceValue: Number(fields.face_value),
        notifyUrl: fields.notify_url,
        statusId,
        mobileOrderNo: `M${fields.order_no}`,
      });
    }
    return { body: orderPushSuccess() };
  }

  refuse(msg: string): SupplierReply {
    return { body: orderPushFailure(msg) };
  }

  /** The signed query answer for a stored order (its statusId as set), or 订单不存在. */
  report(order: SupplierOrder | undefined, key = this.key): SupplierReply {
    if (!order) return { body: queryFailure("订单不存在") };
    const data = orderQueryData({
      amount: order.faceValue,
      gmtCreate: Date.now(),
      id: 1,
      mobileOrderNo: order.statusId === 4 ? order.mobileOrderNo : "",
      operatorSn: order.serial,
      operatorsName: "平台",
      rechargePhoneNumber: order.phone,
      serialNumber: `S${order.serial}`,
      statusId: order.statusId,
      statusName: String(order.statusId),
    });
    return { body: querySuccess(data, key) };
  }

  pushesOf(serial: string): Record<string, string>[] {
    return this.pushes.filter((p) => p.order_no === serial);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
    let reply: SupplierReply;
    if (req.url === "/1/api/oper/order") {
      this.pushes.push(fields);
      reply = await this.onPush(fields, this);
    } else if (req.url === "/1/api/oper/query_order") {
      this.queries.push(fields);
      reply = await this.onQuery(this.orders.get(fields.order_no), fields, this);
    } else {
      reply = { status: 404, body: orderPushFailure("接口不存在") };
    }
    if (reply === "hang") return;
    if (reply === "reset") {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status ?? 200, { "content-type": "application/json; charset=utf-8" }).end(reply.body);
  }
}

/** A supplier's callback about one of our orders (PROTOCOL §12: the fields and sign of §7), signed with `key`. */
export function supplierCallback(
  p: { uid: string; key: string; serial: string; phone: string; faceValue: number; status: 4 | 9 | 10; mobileOrderNo?: string },
): Record<string, string> {
  return {
    uid: p.uid,
    order_no: p.serial,
    mobile_order_no: p.mobileOrderNo ?? "",
    phone_number: p.phone,
    face_value: String(p.faceValue),
    status: String(p.status),
    sign: callbackSign({ uid: p.uid, orderNo: p.serial, phoneNumber: p.phone, faceValue: p.faceValue, status: p.status }, p.key),
  };
}

/** Posts a supplier's callback to a platform's notify endpoint for channel `code`; resolves to the answer's text. */
export async function postNotify(baseUrl: string, code: string, fields: Record<string, string>): Promise<string> {
  const res = await fetch(`${baseUrl}/1/api/channel/${code}/notify`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  return res.text();
}
