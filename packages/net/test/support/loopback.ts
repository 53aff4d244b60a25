/**
 * Test servers bound to loopback only, plus a guard that fails a test if the system resolver is
 * ever used: every test talks to 127.0.0.0/8 and resolves names through injected fakes.
 */
import dns from "node:dns";
import http from "node:http";
import net from "node:net";
import type { LookupAll } from "../../src/destination";

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LoopbackServer {
  host: string;
  port: number;
  /** http://host:port */
  origin: string;
  /** TCP connections accepted, whether or not a request arrived on them. */
  connections: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

export async function startServer(handler: Handler, host = "127.0.0.1"): Promise<LoopbackServer> {
  assertLoopback(host);
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      state.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on("connection", (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const state: LoopbackServer = {
    host,
    port,
    origin: `http://${host}:${port}`,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function assertLoopback(address: string): void {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) && address !== "::1") {
    throw new Error(`test tried to use non-loopback address ${address}`);
  }
}

/** A fake resolver over a fixed table; refuses to hold anything but loopback answers. */
export function fakeLookup(table: Record<string, string[]>): LookupAll & { calls: string[] } {
  for (const answers of Object.values(table)) answers.forEach(assertLoopback);
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<string[]> => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return answers;
  };
  return Object.assign(lookup, { calls });
}

/**
 * Makes the real resolver throw for anything but an IP literal, for the duration of a test file.
 * (server.listen(0, "127.0.0.1") passes its IP through dns.lookup, which answers it locally.)
 */
export function forbidSystemDns(): void {
  const spies: jest.SpyInstance[] = [];
  beforeAll(() => {
    const guard = <F extends (...args: any[]) => any>(name: string, original: F) =>
      ((hostname: unknown, ...rest: unknown[]) => {
        if (typeof hostname === "string" && net.isIP(hostname) !== 0) return original(hostname, ...rest);
        throw new Error(`system DNS (${name} ${String(hostname)}) must not be used in tests`);
      }) as F;
    // Guards are built from the originals before spyOn replaces them.
    const promisesGuard = guard("dns.promises.lookup", dns.promises.lookup.bind(dns.promises));
    const callbackGuard = guard("dns.lookup", dns.lookup.bind(dns));
    spies.push(jest.spyOn(dns.promises, "lookup").mockImplementation(promisesGuard));
    spies.push(jest.spyOn(dns, "lookup").mockImplementation(callbackGuard));
  });
  afterAll(() => spies.forEach((s) => s.mockRestore()));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
