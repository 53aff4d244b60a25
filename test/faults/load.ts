/**
 * A steady load of signed order pushes (PROTOCOL §5), spread over the ingress processes the way a
 * load balancer would, with an operator's retry policy: an error or an HTTP 503 is retried with the
 * very same fields (idempotent on order_no), a bounded number of times, on the next ingress.
 */
import http from "node:http";
import { orderPushSign } from "@topup/protocol";
import type { FaultReceiver } from "./receiver";
import { sleep } from "./services";

export type PushKind = "ack" | "busy" | "rejected" | "error" | "http";

export interface PushAttempt {
  start: number;
  end: number;
  target: string;
  kind: PushKind;
  httpStatus: number | null;
  /** The answer body (trimmed) or the error code. */
  detail: string;
}

export interface PushedOrder {
  i: number;
  orderNo: string;
  phone: string;
  face: number;
  receiver: FaultReceiver;
  attempts: PushAttempt[];
  acked: boolean;
  ackAt: number | null;
}

export interface LoadOptions {
  name: string;
  /** Ingress base URLs; all of them, up or not (the client does not know). */
  targets: () => string[];
  uid: string;
  key: string;
  ratePerSec: number;
  receivers: FaultReceiver[];
  maxTries?: number;
  timeoutMs?: number;
}

const SUCCESS = '{"code":"200","count":"1","msg":"Success"}';
const FACE_VALUES = [100, 500, 1000, 2000, 3000, 5000, 10000, 12345, 99999];
const SPECIAL = new Set(["0010", "0009", "0002"]);

/** Sandbox numbers (PROTOCOL §10): mostly successes, some failures (…0010), returns (…0009), and a few held at 2 (…0002). */
export function phoneFor(i: number): string {
  if (i % 25 === 3) return `139${String(10000 + (i % 90000)).padStart(4, "0").slice(-4)}0010`;
  if (i % 25 === 7) return `137${String(i % 10000).padStart(4, "0")}0009`;
  if (i % 50 === 11) return `150${String(i % 10000).padStart(4, "0")}0002`;
  for (;;) {
    const rest = String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
    const phone = `13${Math.floor(Math.random() * 7) + 3}${rest}`;
    if (!SPECIAL.has(phone.slice(-4))) return phone;
  }
}

export class LoadGenerator {
  readonly orders: PushedOrder[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();
  private next = 0;
  private turn = 0;
  private stopped = false;
  /** After this time no retry is started any more. */
  private retryDeadline = Number.POSITIVE_INFINITY;
  private readonly runId = Date.now().toString(36);
  startedAt = 0;
  stoppedAt = 0;

  constructor(private readonly opts: LoadOptions) {}

  start(): void {
    this.startedAt = Date.now();
    const everyMs = 1000 / this.opts.ratePerSec;
    let due = Date.now();
    const tick = () => {
      if (this.stopped) return;
      // Catch up after a busy event loop, so the rate stays steady on average.
      while (due <= Date.now()) {
        this.launch();
        due += everyMs;
      }
      this.timer = setTimeout(tick, Math.max(1, due - Date.now()));
    };
    tick();
  }

  /** Stops creating new orders; pushes in flight and their retries go on until drain(). */
  stop(): void {
    this.stopped = true;
    this.stoppedAt = Date.now();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Waits for every push (and its retries) to finish; no retry starts after `timeoutMs`. */
  async drain(timeoutMs = 30_000): Promise<void> {
    this.stop();
    this.retryDeadline = Date.now() + timeoutMs;
    const deadline = Date.now() + timeoutMs + (this.opts.timeoutMs ?? 15_000) + 1_000;
    while (this.inFlight.size > 0 && Date.now() < deadline) await Promise.race([...this.inFlight, sleep(200)]);
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * One tracked order, pushed once (no retry) to `target` through `agent`: for scenario code that
   * needs its own connection behaviour, e.g. a busy kept-alive connection.
   */
  async pushSingle(target: string, agent: http.Agent): Promise<PushedOrder> {
    const order = this.newOrder();
    const result = await this.pushOnce(target, order, agent);
    order.attempts.push(result);
    if (result.kind === "ack") {
      order.acked = true;
      order.ackAt = result.end;
    }
    return order;
  }

  private newOrder(): PushedOrder {
    const i = this.next++;
    const receiver = this.opts.receivers[i % this.opts.receivers.length];
    const order: PushedOrder = {
      i,
      orderNo: `${this.opts.name}-${this.runId}-${String(i).padStart(5, "0")}`,
      phone: phoneFor(i),
      face: FACE_VALUES[i % FACE_VALUES.length],
      receiver,
      attempts: [],
      acked: false,
      ackAt: null,
    };
    this.orders.push(order);
    return order;
  }

  private launch(): void {
    const order = this.newOrder();
    const work = this.pushWithRetries(order);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async pushWithRetries(order: PushedOrder): Promise<void> {
    const maxTries = this.opts.maxTries ?? 8;
    for (let attempt = 1; attempt <= maxTries; attempt++) {
      const targets = this.opts.targets();
      const target = targets[this.turn++ % targets.length];
      const result = await this.pushOnce(target, order);
      order.attempts.push(result);
      if (result.kind === "ack") {
        order.acked = true;
        order.ackAt = result.end;
        return;
      }
      if (result.kind === "rejected" || result.kind === "http") return; // a business answer: retrying changes nothing
      if (Date.now() > this.retryDeadline) return;
      await sleep(Math.min(250 * attempt, 2_000));
    }
  }

  /** Exposed for scenario code that pushes a specific order itself. */
  formFor(order: Pick<PushedOrder, "orderNo" | "phone" | "face" | "receiver">): string {
    const sign = orderPushSign({ uid: this.opts.uid, orderNo: order.orderNo, phoneNumber: order.phone, faceValue: order.face }, this.opts.key);
    return new URLSearchParams({
      uid: this.opts.uid,
      order_no: order.orderNo,
      order_type: "1",
      mobile_type: "1",
      phone_number: order.phone,
      face_value: String(order.face),
      notify_url: order.receiver.url,
      sign,
    }).toString();
  }

  private pushOnce(target: string, order: PushedOrder, agent: http.Agent = this.agent): Promise<PushAttempt> {
    const body = this.formFor(order);
    const start = Date.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (kind: PushKind, httpStatus: number | null, detail: string) => {
        if (settled) return;
        settled = true;
        resolve({ start, end: Date.now(), target, kind, httpStatus, detail });
      };
      const url = new URL("/1/api/oper/order", target);
      const req = http.request(
        url,
        {
          method: "POST",
          agent,
          headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
          timeout: this.opts.timeoutMs ?? 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", (e: NodeJS.ErrnoException) => finish("error", res.statusCode ?? null, e.code ?? e.message));
          res.on("aborted", () => finish("error", res.statusCode ?? null, "aborted"));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8").trim();
            const status = res.statusCode ?? 0;
            if (status === 200 && text === SUCCESS) return finish("ack", status, text);
            if (status === 503) return finish("busy", status, text);
            if (status === 200) return finish("rejected", status, text);
            finish("http", status, text);
          });
        },
      );
      req.on("timeout", () => {
        req.destroy(new Error("client timeout"));
      });
      req.on("error", (e: NodeJS.ErrnoException) => finish("error", null, e.code ?? e.message));
      req.end(body);
    });
  }
}
