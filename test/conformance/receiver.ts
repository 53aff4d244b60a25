/** The operator's callback endpoint: records every request byte for byte and answers per order. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Hit {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  text: string;
  /** fields in wire order */
  entries: [string, string][];
  fields: Record<string, string>;
  /** when the caller closed the connection (streamed answers only) */
  closedAt?: number;
}

export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** never answer (the connection stays open until the receiver closes) */
  hang?: boolean;
  /** after `body`, keep writing this chunk every 10 ms until the caller hangs up */
  streamForever?: string;
}

export type Responder = (hit: Hit, attempt: number) => Reply;

export class Receiver {
  readonly hits: Hit[] = [];
  /** Per order_no answer; default answers 200 "ok". */
  readonly responders = new Map<string, Responder>();
  defaultResponder: Responder = () => ({ status: 200, body: "ok" });
  private server!: Server;

  async start(host = "127.0.0.1"): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        const text = raw.toString("utf8");
        const entries = [...new URLSearchParams(text).entries()] as [string, string][];
        const hit: Hit = { at: Date.now(), method: req.method ?? "", url: req.url ?? "", headers: req.headers, raw, text, entries, fields: Object.fromEntries(entries) };
        this.hits.push(hit);
        const orderNo = hit.fields.order_no ?? "";
        const attempt = this.hits.filter((h) => h.fields.order_no === orderNo).length;
        const responder = this.responders.get(orderNo) ?? this.defaultResponder;
        let reply: Reply;
        try {
          reply = responder(hit, attempt);
        } catch {
          reply = { status: 500, body: "responder error" };
        }
        if (reply.hang) return;
        res.writeHead(reply.status ?? 200, { "content-type": "text/plain; charset=utf-8", ...(reply.headers ?? {}) });
        if (reply.streamForever !== undefined) {
          const chunk = reply.streamForever;
          res.write(reply.body ?? "");
          const timer = setInterval(() => {
            if (!res.destroyed) res.write(chunk);
          }, 10);
          res.on("close", () => {
            clearInterval(timer);
            hit.closedAt = Date.now();
          });
          return;
        }
        res.end(reply.body ?? "");
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, host, resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = "/callback"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  for(orderNo: string): Hit[] {
    return this.hits.filter((h) => h.fields.order_no === orderNo);
  }

  async waitFor(orderNo: string, count = 1, timeoutMs = 10_000): Promise<Hit[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.for(orderNo).length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} callback(s) for ${orderNo}, got ${this.for(orderNo).length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.for(orderNo);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
