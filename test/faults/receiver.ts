/**
 * Operator callback endpoints on 127.0.0.1 with chosen misbehaviours, built on the test harness's
 * CallbackReceiver. Every callback is recorded with whether its sign verified and whether this
 * receiver fully answered it with "ok", so that duplicates (a callback arriving after one that was
 * already acknowledged) can be counted.
 */
import type { ServerResponse } from "node:http";
import { callbackSign } from "@topup/protocol";
import { CallbackReceiver, type ReceivedCallback } from "../support/callback-receiver";

export type Behaviour =
  | "ok" // HTTP 200 "ok" at once
  | "slow" // HTTP 200 "ok" after slowMs (below the platform's 10 s timeout)
  | "too-slow" // HTTP 200 "ok" after tooSlowMs (beyond the 10 s timeout)
  | "hang" // never answers
  | "reset" // drops the connection (RST) on every request
  | "garbage" // HTTP 200 with random bytes, a non-HTTP answer, or an "ok" cut short
  | "flaky"; // resets the first attempt of each order, then answers "ok"

export interface Delivery {
  at: number;
  orderNo: string;
  status: string;
  signOk: boolean;
  contentTypeOk: boolean;
  /** This receiver's "ok" was completely written (the platform could read it as an acknowledgement). */
  acked: boolean;
}

export class FaultReceiver {
  readonly inner = new CallbackReceiver();
  readonly deliveries: Delivery[] = [];
  private readonly byOrder = new Map<string, Delivery[]>();
  private key = "";
  private garbageTurn = 0;

  constructor(
    readonly behaviour: Behaviour,
    private readonly timing = { slowMs: 2_500, tooSlowMs: 11_000 },
  ) {}

  async start(): Promise<this> {
    await this.inner.start("127.0.0.1");
    this.inner.respond = (cb, res) => this.respond(cb, res);
    return this;
  }

  get url(): string {
    return this.inner.url;
  }

  /** The operator's md5key, to verify callback signs. */
  setKey(key: string): void {
    this.key = key;
  }

  for(orderNo: string): Delivery[] {
    return this.byOrder.get(orderNo) ?? [];
  }

  private respond(cb: ReceivedCallback, res: ServerResponse): void {
    const f = cb.fields;
    let signOk = false;
    try {
      signOk =
        f.sign ===
        callbackSign({ uid: f.uid, orderNo: f.order_no, phoneNumber: f.phone_number, faceValue: Number(f.face_value), status: Number(f.status) }, this.key);
    } catch {
      signOk = false;
    }
    const delivery: Delivery = {
      at: cb.at,
      orderNo: f.order_no ?? "",
      status: f.status ?? "",
      signOk,
      contentTypeOk: /^application\/x-www-form-urlencoded/i.test(cb.contentType ?? ""),
      acked: false,
    };
    this.deliveries.push(delivery);
    const list = this.byOrder.get(delivery.orderNo) ?? [];
    list.push(delivery);
    this.byOrder.set(delivery.orderNo, list);

    const ok = () => {
      if (res.socket === null || res.socket.destroyed) return;
      res.once("finish", () => (delivery.acked = true));
      res.end("ok");
    };
    switch (this.behaviour) {
      case "ok":
        return ok();
      case "slow":
        return void setTimeout(ok, this.timing.slowMs);
      case "too-slow":
        return void setTimeout(ok, this.timing.tooSlowMs);
      case "hang":
        return; // the platform's own deadline has to end it
      case "reset":
        return void res.socket?.resetAndDestroy();
      case "flaky":
        return list.length === 1 ? void res.socket?.resetAndDestroy() : ok();
      case "garbage":
        return this.garbage(res);
    }
  }

  private garbage(res: ServerResponse): void {
    const socket = res.socket;
    if (!socket) return;
    switch (this.garbageTurn++ % 4) {
      case 0: // a 200 whose body is binary noise
        res.setHeader("content-type", "application/octet-stream");
        res.end(Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff)));
        return;
      case 1: // not HTTP at all
        socket.end("GARBAGE \x00\x01\x02 not an HTTP answer\r\n\r\n");
        return;
      case 2: // "ok" announced as 10 bytes, cut short after 2: not an acknowledgement
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nok");
        return;
      default: // a 200 with a long HTML page (the platform reads at most 1 KiB)
        res.setHeader("content-type", "text/html");
        res.end(`<html>${"<p>稍后再试</p>".repeat(400)}</html>`);
    }
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
