import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedCallback {
  at: number;
  fields: Record<string, string>;
  raw: string;
  contentType: string | undefined;
}

export type Responder = (callback: ReceivedCallback, res: ServerResponse) => void;

export const answerOk: Responder = (_cb, res) => res.end("ok");

/** An operator's callback endpoint on 127.0.0.1 that records every request it gets. */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  respond: Responder = answerOk;
  private server!: Server;
  private waiters: (() => void)[] = [];

  async start(host = "127.0.0.1"): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const callback = { at: Date.now(), fields: Object.fromEntries(new URLSearchParams(raw)), raw, contentType: req.headers["content-type"] };
        this.received.push(callback);
        this.respond(callback, res);
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    return this;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}/callback`;
  }

  for(orderNo: string): ReceivedCallback[] {
    return this.received.filter((c) => c.fields.order_no === orderNo);
  }

  /** Resolves once `count` callbacks for the order have arrived; rejects after `timeoutMs`. */
  async waitFor(orderNo: string, count = 1, timeoutMs = 15_000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.for(orderNo).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} callback(s) for ${orderNo}, got ${this.for(orderNo).length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.for(orderNo);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
