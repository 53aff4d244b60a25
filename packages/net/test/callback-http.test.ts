import type http from "node:http";
import net from "node:net";
import { AddressMatcher } from "../src/address-matcher";
import { CallbackHttpClient, type CallbackHttpClientOptions } from "../src/callback-http";
import { SlotsClosedError } from "../src/slots";
import { closedPort, fakeLookup, forbidSystemDns, sleep, startServer, type Handler, type LoopbackServer } from "./support/loopback";

forbidSystemDns();

const allowed = AddressMatcher.parse("127.0.0.1/32");
const FORM = "uid=3928857&order_no=020160427210604000490&status=4&sign=08a0571b935c2131236becf1e94f4686";

let servers: LoopbackServer[] = [];
let clients: CallbackHttpClient[] = [];

async function server(handler: Handler, host?: string): Promise<LoopbackServer> {
  const s = await startServer(handler, host);
  servers.push(s);
  return s;
}

function client(opts: Partial<CallbackHttpClientOptions> = {}): CallbackHttpClient {
  const c = new CallbackHttpClient({ allowed, ...opts });
  clients.push(c);
  return c;
}

afterEach(async () => {
  clients.forEach((c) => c.close());
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  clients = [];
});

describe("CallbackHttpClient — answers", () => {
  it("delivers the form and reads a 200 ok answer", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const r = await client().post(`${s.origin}/notify?x=1`, FORM);
    expect(r).toMatchObject({ httpStatus: 200, body: "ok", error: null, remoteAddress: "127.0.0.1" });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.requests).toHaveLength(1);
    const [req] = s.requests;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/notify?x=1");
    expect(req.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=UTF-8");
    expect(req.body).toBe(FORM);
  });

  it("reuses kept-alive connections for successive callbacks", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const c = client();
    for (let i = 0; i < 3; i++) expect((await c.post(s.origin, FORM)).httpStatus).toBe(200);
    expect(s.connections).toBe(1);
    expect(s.requests).toHaveLength(3);
  });

  it("asks the kernel for TCP keep-alive once per connection, not at every callback", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const c = client();
    const calls: unknown[][] = [];
    const original = net.Socket.prototype.setKeepAlive;
    const spy = jest.spyOn(net.Socket.prototype, "setKeepAlive").mockImplementation(function (this: net.Socket, ...args) {
      calls.push(args);
      return original.apply(this, args);
    });
    try {
      for (let i = 0; i < 5; i++) expect((await c.post(`${s.origin}/notify`, FORM)).body).toBe("ok");
    } finally {
      spy.mockRestore();
    }
    expect(s.connections).toBe(1);
    // Node skips the setsockopt when nothing changes; alternating delays made every call a real one.
    expect(calls.length).toBeGreaterThan(0);
    expect(new Set(calls.map((args) => JSON.stringify(args))).size).toBe(1);
  });

  it("returns a 500 answer as an answer, not an error", async () => {
    const s = await server((_req, res) => {
      res.statusCode = 500;
      res.end("internal error");
    });
    const r = await client().post(s.origin, FORM);
    expect(r).toMatchObject({ httpStatus: 500, body: "internal error", error: null, remoteAddress: "127.0.0.1" });
  });

  it("does not follow a redirect: the 302 is the answer", async () => {
    const target = await server((_req, res) => res.end("ok"));
    const s = await server((_req, res) => {
      res.writeHead(302, { Location: `${target.origin}/elsewhere` });
      res.end("moved");
    });
    const r = await client().post(s.origin, FORM);
    expect(r).toMatchObject({ httpStatus: 302, body: "moved", error: null });
    await sleep(100);
    expect(target.connections).toBe(0);
    expect(target.requests).toHaveLength(0);
  });

  it("decodes UTF-8 and never splits a character at the cap", async () => {
    const s = await server((_req, res) => res.end("成功".repeat(10)));
    const r = await client({ maxBodyBytes: 7 }).post(s.origin, FORM);
    expect(r.body).toBe("成功"); // 6 bytes; the 7th byte starts a character that did not fit
  });
});

describe("CallbackHttpClient — bounded reading and deadline", () => {
  it("reads at most 1 KiB of a huge answer and drops the connection", async () => {
    let written = 0;
    let closed!: () => void;
    const responseClosed = new Promise<void>((resolve) => (closed = resolve));
    const s = await server((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      const chunk = Buffer.alloc(64 * 1024, "a");
      res.on("close", closed);
      // Stream "forever" (up to 1 GiB), honouring back-pressure like a real sender would.
      const pump = () => {
        while (!res.destroyed && written < 1024 ** 3) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
      };
      pump();
    });
    const r = await client().post(s.origin, FORM);
    expect(r.httpStatus).toBe(200);
    expect(r.error).toBeNull();
    expect(r.body).toBe("a".repeat(1024));
    await responseClosed; // the client hung up rather than draining the rest
    expect(written).toBeLessThan(64 * 1024 ** 2);
  });

  it("honours a custom maxBodyBytes", async () => {
    const s = await server((_req, res) => res.end("x".repeat(5000)));
    const r = await client({ maxBodyBytes: 10 }).post(s.origin, FORM);
    expect(r.body).toBe("x".repeat(10));
  });

  it("ends a hanging receiver at the deadline", async () => {
    const s = await server(() => {
      /* accept the request, never answer */
    });
    const r = await client({ timeoutMs: 300 }).post(s.origin, FORM);
    expect(r).toMatchObject({ httpStatus: null, body: "", error: "timeout after 300 ms", remoteAddress: "127.0.0.1" });
    expect(r.latencyMs).toBeGreaterThanOrEqual(290);
    expect(r.latencyMs).toBeLessThan(1000);
  });

  it("ends a receiver that trickles bytes forever at the deadline", async () => {
    const timers = new Set<NodeJS.Timeout>();
    const s = await server((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write("o")), 20);
      timers.add(t);
    });
    try {
      const r = await client({ timeoutMs: 300 }).post(s.origin, FORM);
      expect(r.httpStatus).toBe(200);
      expect(r.error).toBe("timeout after 300 ms");
      expect(r.body).toMatch(/^o+$/);
      expect(r.body.length).toBeLessThan(1024);
      expect(r.latencyMs).toBeGreaterThanOrEqual(290);
      expect(r.latencyMs).toBeLessThan(1000);
    } finally {
      timers.forEach(clearInterval);
    }
  });

  it("headers that never finish are covered by the same deadline", async () => {
    const s = await server((req) => {
      // Half a status line, then silence.
      req.socket.write("HTTP/1.1 200 OK\r\nContent-Ty");
    });
    const r = await client({ timeoutMs: 200 }).post(s.origin, FORM);
    expect(r).toMatchObject({ httpStatus: null, error: "timeout after 200 ms" });
    expect(r.latencyMs).toBeLessThan(1000);
  });
});

describe("CallbackHttpClient — posts in flight", () => {
  it("starts at most maxInFlight posts at once; a waiting post's deadline and start time begin when it does", async () => {
    let open = 0;
    let most = 0;
    const s = await server((_req, res) => {
      most = Math.max(most, ++open);
      setTimeout(() => {
        open--;
        res.end("ok");
      }, 150);
    });
    const c = client({ maxInFlight: 2, timeoutMs: 250 });
    const results = await Promise.all(Array.from({ length: 5 }, () => c.post(s.origin, FORM)));
    // Five posts of 150 ms each, two at a time: the last ones waited ~300 ms, longer than the deadline.
    expect(results.map((r) => [r.httpStatus, r.error])).toEqual(Array.from({ length: 5 }, () => [200, null]));
    expect(most).toBe(2);
    expect(s.requests).toHaveLength(5);
    const starts = results.map((r) => r.startedAt.getTime()).sort((a, b) => a - b);
    expect(starts[4] - starts[0]).toBeGreaterThanOrEqual(280);
    for (const r of results) expect(r.latencyMs).toBeLessThan(250);
  });

  it("stopStarting lets a sent post end and refuses the ones still waiting, which send nothing", async () => {
    const s = await server((_req, res) => setTimeout(() => res.end("ok"), 150));
    const c = client({ maxInFlight: 1 });
    const sent = c.post(s.origin, FORM);
    const waiting = c.post(s.origin, FORM);
    await sleep(50);
    c.stopStarting();
    await expect(waiting).rejects.toBeInstanceOf(SlotsClosedError);
    expect(await sent).toMatchObject({ httpStatus: 200, body: "ok", error: null });
    await expect(c.post(s.origin, FORM)).rejects.toBeInstanceOf(SlotsClosedError);
    expect(s.requests).toHaveLength(1);
  });
});

describe("CallbackHttpClient — transport failures", () => {
  it("reports a reset connection", async () => {
    const s = await server((req) => req.socket.destroy());
    const r = await client().post(s.origin, FORM);
    expect(r).toMatchObject({ httpStatus: null, body: "", error: "ECONNRESET", remoteAddress: "127.0.0.1" });
  });

  it("reports a reset in the middle of the body, keeping what arrived", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("partial", () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const r = await client().post(s.origin, FORM);
    expect(r.httpStatus).toBe(200);
    expect(r.body).toBe("partial");
    expect(r.error).toBe("ECONNRESET");
  });

  it("reports a refused connection", async () => {
    const port = await closedPort();
    const r = await client().post(`http://127.0.0.1:${port}/cb`, FORM);
    expect(r).toMatchObject({ httpStatus: null, body: "", error: "ECONNREFUSED" });
  });

  it("reports a TLS failure on an https URL (the https agent is used)", async () => {
    // A plain-HTTP server where TLS is expected: the handshake fails, nothing is delivered.
    const s = await server((_req, res) => res.end("ok"));
    const r = await client().post(`https://127.0.0.1:${s.port}/cb`, FORM);
    expect(r.httpStatus).toBeNull();
    expect(r.error).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(r.remoteAddress).toBe("127.0.0.1");
    expect(s.requests).toHaveLength(0);
  });

  it("never puts the request body in the error", async () => {
    const port = await closedPort();
    const r = await client().post(`http://127.0.0.1:${port}/cb`, FORM);
    expect(r.error).not.toContain("08a0571b935c2131236becf1e94f4686");
    expect(JSON.stringify(r)).not.toContain("sign=");
  });
});

describe("CallbackHttpClient — destinations", () => {
  it("refuses an IP-literal destination outside the allow-list without dialling it", async () => {
    const s = await server((_req, res) => res.end("ok"), "127.0.0.2");
    const r = await client().post(`${s.origin}/cb`, FORM);
    expect(r).toMatchObject({ httpStatus: null, body: "", error: "refused destination 127.0.0.2", remoteAddress: null });
    await sleep(50);
    expect(s.connections).toBe(0);
  });

  it("refuses loopback when nothing is allowed", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const r = await client({ allowed: AddressMatcher.empty }).post(`${s.origin}/cb`, FORM);
    expect(r.error).toBe("refused destination 127.0.0.1");
    expect(s.connections).toBe(0);
  });

  it("refuses IPv6 and alternative spellings of refused addresses", async () => {
    const c = client();
    expect((await c.post("http://[::1]:9/cb", FORM)).error).toBe("refused destination ::1");
    expect((await c.post("http://[::ffff:127.0.0.2]:9/cb", FORM)).error).toBe("refused destination 127.0.0.2");
    expect((await c.post("http://2130706434:9/cb", FORM)).error).toBe("refused destination 127.0.0.2");
  });

  it("refuses URLs it would not call", async () => {
    const c = client();
    for (const url of ["ftp://127.0.0.1/cb", "not a url", "file:///etc/passwd"]) {
      expect(await c.post(url, FORM)).toMatchObject({ httpStatus: null, error: "invalid callback url", remoteAddress: null });
    }
  });

  it("refuses a host name resolving outside the allow-list, dialling nothing", async () => {
    const s = await server((_req, res) => res.end("ok"), "127.0.0.2");
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.2"] });
    const r = await client({ lookup }).post(`http://cb.example.test:${s.port}/cb`, FORM);
    expect(r).toMatchObject({ httpStatus: null, error: "refused destination 127.0.0.2", remoteAddress: null });
    expect(lookup.calls).toEqual(["cb.example.test"]);
    await sleep(50);
    expect(s.connections).toBe(0);
  });

  it("refuses a host name when any of its answers is outside the allow-list", async () => {
    const s1 = await server((_req, res) => res.end("ok"));
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.1", "127.0.0.2"] });
    const r = await client({ lookup }).post(`http://cb.example.test:${s1.port}/cb`, FORM);
    expect(r.error).toBe("refused destination 127.0.0.2");
    expect(s1.connections).toBe(0);
  });

  it("delivers to a host name resolving inside the allow-list", async () => {
    const s = await server((_req, res) => res.end("OK\n"));
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.1"] });
    const r = await client({ lookup }).post(`http://cb.example.test:${s.port}/cb`, FORM);
    expect(r).toMatchObject({ httpStatus: 200, body: "OK\n", error: null, remoteAddress: "127.0.0.1" });
    expect(s.requests[0].headers.host).toBe(`cb.example.test:${s.port}`);
    expect(s.requests[0].body).toBe(FORM);
  });

  it("re-resolves on every new connection, so a changed answer is checked again", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const table: Record<string, string[]> = { "flip.example.test": ["127.0.0.1"] };
    const lookup = async (h: string) => table[h];
    const c = client({ lookup });
    expect((await c.post(`http://flip.example.test:${s.port}/`, FORM)).httpStatus).toBe(200);
    c.close(); // drop the kept-alive socket so the next post must dial again
    const c2 = client({ lookup });
    table["flip.example.test"] = ["127.0.0.2"];
    expect((await c2.post(`http://flip.example.test:${s.port}/`, FORM)).error).toBe("refused destination 127.0.0.2");
  });

  it("delivers when a name has several allowed answers (happy-eyeballs path)", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.1", "::1"] });
    const r = await client({ lookup, allowed: AddressMatcher.parse("127.0.0.1, ::1") }).post(`http://cb.example.test:${s.port}/`, FORM);
    expect(r).toMatchObject({ httpStatus: 200, body: "ok", error: null, remoteAddress: "127.0.0.1" });
  });

  it("refuses an https URL to a refused destination the same way", async () => {
    const s = await server((_req, res) => res.end("ok"), "127.0.0.2");
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.2"] });
    const c = client({ lookup });
    expect((await c.post(`https://cb.example.test:${s.port}/`, FORM)).error).toBe("refused destination 127.0.0.2");
    expect((await c.post(`https://127.0.0.2:${s.port}/`, FORM)).error).toBe("refused destination 127.0.0.2");
    expect(s.connections).toBe(0);
  });

  it("reports a resolution failure", async () => {
    const r = await client({ lookup: fakeLookup({}) }).post("http://nx.example.test/cb", FORM);
    expect(r).toMatchObject({ httpStatus: null, error: "ENOTFOUND", remoteAddress: null });
  });

  it("a resolver that never answers ends at the deadline", async () => {
    const r = await client({ lookup: () => new Promise(() => {}), timeoutMs: 200 }).post("http://slow.example.test/cb", FORM);
    expect(r).toMatchObject({ httpStatus: null, error: "timeout after 200 ms", remoteAddress: null });
  });
});

describe("CallbackHttpClient — lifecycle", () => {
  it("post after close fails fast without throwing", async () => {
    const s = await server((_req, res) => res.end("ok"));
    const c = client();
    c.close();
    const r = await c.post(s.origin, FORM);
    expect(r).toMatchObject({ httpStatus: null, error: "client closed" });
    expect(s.connections).toBe(0);
  });

  it("ignores HTTP(S)_PROXY from the environment", async () => {
    const proxy = await server((_req: http.IncomingMessage, res: http.ServerResponse) => res.end("proxied"));
    const s = await server((_req, res) => res.end("ok"));
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    process.env.HTTP_PROXY = proxy.origin;
    process.env.http_proxy = proxy.origin;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      const r = await client().post(s.origin, FORM);
      expect(r.body).toBe("ok");
      expect(proxy.connections).toBe(0);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
