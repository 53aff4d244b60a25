/**
 * The paced load generator's HTTP client: POSTs over a fixed pool of keep-alive connections with
 * the least work a well-behaved HTTP/1.1 client can do — a request is one socket write of prebuilt
 * text, an answer is read by its Content-Length. The load generator shares the 2 cores with the
 * servers it measures, so every microsecond it spends is taken from them: Node's http.request
 * (agent, ClientRequest, IncomingMessage, header objects) cost the generator 0.19–0.21 ms of CPU per
 * push here, this 0.11–0.12 (3 interleaved pairs of `npm run bench -- --only ingress`).
 *
 * One request per connection at a time (no pipelining); requests wait in order for a free
 * connection. A connection that fails or is closed by the server fails its request and is replaced
 * on the next one. Only answers with a Content-Length are understood (the servers measured here
 * always send one); anything else fails the request and closes the connection.
 */
import net from "node:net";

/** `status` 0 means no HTTP answer (connection error or an answer that could not be read). */
export type PostDone = (status: number, body: string) => void;

interface Pending {
  /** The whole request: head and body. */
  text: string;
  done: PostDone;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

class Connection {
  private socket: net.Socket | null = null;
  private current: Pending | null = null;
  private received: Buffer = Buffer.alloc(0);

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onIdle: (c: Connection) => void,
  ) {}

  send(request: Pending): void {
    this.current = request;
    (this.socket ?? this.open()).write(request.text);
  }

  destroy(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    socket.on("data", (chunk: Buffer) => this.onData(socket, chunk));
    socket.on("error", () => undefined); // followed by "close"
    socket.on("close", () => this.onClose(socket));
    this.socket = socket;
    this.received = Buffer.alloc(0);
    return socket;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const headerEnd = this.received.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.received.toString("latin1", 0, headerEnd);
    const length = CONTENT_LENGTH.exec(head);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!length || !status || !this.current) return this.fail(socket);
    const bodyStart = headerEnd + HEADER_END.length;
    const bodyEnd = bodyStart + Number(length[1]);
    if (this.received.length < bodyEnd) return;
    if (this.received.length > bodyEnd) return this.fail(socket); // bytes nobody asked for
    const body = this.received.toString("utf8", bodyStart, bodyEnd);
    this.received = Buffer.alloc(0);
    if (CONNECTION_CLOSE.test(head)) this.destroy();
    this.finish(Number(status[1]), body);
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return; // replaced already: its request was answered
    this.socket = null;
    if (this.current) this.finish(0, "");
  }

  private fail(socket: net.Socket): void {
    socket.destroy(); // "close" fails the request
  }

  private finish(status: number, body: string): void {
    const request = this.current;
    this.current = null;
    request?.done(status, body);
    this.onIdle(this);
  }
}

/** A pool of `connections` keep-alive connections to one server. */
export class KeepAlivePoster {
  private readonly connections: Connection[];
  private readonly idle: Connection[];
  private readonly waiting: Pending[] = [];
  private waitingHead = 0;
  private readonly hostHeader: string;

  constructor(url: string, connections: number) {
    const u = new URL(url);
    this.hostHeader = u.host;
    this.connections = Array.from({ length: connections }, () => new Connection(u.hostname, Number(u.port), (c) => this.onIdle(c)));
    this.idle = [...this.connections];
  }

  post(path: string, contentType: string, body: string, done: PostDone): void {
    const text = `POST ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const request: Pending = { text, done };
    const connection = this.idle.pop();
    if (connection) connection.send(request);
    else this.waiting.push(request);
  }

  close(): void {
    for (const c of this.connections) c.destroy();
  }

  private onIdle(connection: Connection): void {
    if (this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++];
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      }
      connection.send(next);
    } else {
      this.idle.push(connection);
    }
  }
}
