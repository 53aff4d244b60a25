import type { LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { AddressMatcher } from "../src/address-matcher";
import { RefusedDestinationError } from "../src/errors";
import { GuardedHttpAgent, GuardedHttpsAgent, guardedLookup } from "../src/guarded-agent";
import { fakeLookup, forbidSystemDns, startServer } from "./support/loopback";

forbidSystemDns();

const allowed = AddressMatcher.parse("127.0.0.1/32, ::1");

function callLookup(hostname: string, options: { all?: boolean; family?: number }, table: Record<string, string[]>) {
  const lookup = guardedLookup(allowed, fakeLookup(table));
  return new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>((resolve) =>
    lookup(hostname, options, (err, address, family) => resolve({ err, address, family })),
  );
}

describe("guardedLookup", () => {
  it("answers one address in the single form", async () => {
    const r = await callLookup("cb.example.test", {}, { "cb.example.test": ["127.0.0.1", "::1"] });
    expect(r).toMatchObject({ err: null, address: "127.0.0.1", family: 4 });
  });

  it("answers every address in the `all` form used by happy eyeballs", async () => {
    const r = await callLookup("cb.example.test", { all: true }, { "cb.example.test": ["127.0.0.1", "::1"] });
    expect(r.err).toBeNull();
    expect(r.address).toEqual([
      { address: "127.0.0.1", family: 4 },
      { address: "::1", family: 6 },
    ]);
  });

  it("honours a requested family", async () => {
    const r = await callLookup("cb.example.test", { family: 6 }, { "cb.example.test": ["127.0.0.1", "::1"] });
    expect(r).toMatchObject({ err: null, address: "::1", family: 6 });
    const none = await callLookup("cb.example.test", { family: 6 }, { "cb.example.test": ["127.0.0.1"] });
    expect(none.err?.code).toBe("ENOTFOUND");
  });

  it("fails when any answer is not allowed", async () => {
    const r = await callLookup("cb.example.test", { all: true }, { "cb.example.test": ["127.0.0.1", "127.0.0.2"] });
    expect(r.err).toBeInstanceOf(RefusedDestinationError);
    expect(r.err?.message).toBe("refused destination 127.0.0.2");
  });

  it("passes resolver errors through", async () => {
    const r = await callLookup("nx.example.test", {}, {});
    expect(r.err?.code).toBe("ENOTFOUND");
  });
});

describe("GuardedHttpAgent socket check (last line of defence)", () => {
  it.each([
    ["http", http, GuardedHttpAgent],
    ["https", https, GuardedHttpsAgent],
  ] as const)("%s: drops a connection to a refused peer before any byte (request or TLS hello) is sent", async (_name, transport, Agent) => {
    // A raw server on 127.0.0.2 that records every byte it receives.
    let received = 0;
    let accepted = 0;
    const sockets = new Set<net.Socket>();
    const raw = net.createServer((socket) => {
      accepted++;
      sockets.add(socket);
      socket.on("data", (d) => (received += d.length));
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.2", resolve));
    const port = (raw.address() as net.AddressInfo).port;
    const agent = new Agent({ allowed: AddressMatcher.parse("127.0.0.1/32"), lookup: fakeLookup({}) });
    try {
      // Node skips `lookup` for IP literals, so only the socket check stands between this and 127.0.0.2.
      const err = await new Promise<Error>((resolve, reject) => {
        const req = transport.request({ host: "127.0.0.2", port, method: "POST", agent, path: "/cb" }, () => reject(new Error("answered")));
        req.on("error", resolve);
        req.end("sign=secret");
      });
      expect(err).toBeInstanceOf(RefusedDestinationError);
      expect(err.message).toBe("refused destination 127.0.0.2");
      await new Promise((r) => setTimeout(r, 50));
      expect(accepted).toBeLessThanOrEqual(1);
      expect(received).toBe(0);
    } finally {
      agent.destroy();
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it("keeps a burst's connections open for the next burst instead of closing and dialling them again", async () => {
    let answer: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (answer = resolve));
    const s = await startServer((_req, res) => void released.then(() => res.end("ok")));
    const agent = new GuardedHttpAgent({ allowed, lookup: fakeLookup({}) });
    const post = () =>
      new Promise<void>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port: s.port, method: "POST", agent, path: "/cb" }, (res) => {
          res.resume();
          res.on("end", () => resolve());
        });
        req.on("error", reject);
        req.end("x=1");
      });
    try {
      const burst = Array.from({ length: 40 }, post); // 40 at once: 40 connections
      await new Promise((r) => setTimeout(r, 100));
      answer();
      await Promise.all(burst);
      expect(s.connections).toBe(40);
      await Promise.all(Array.from({ length: 40 }, post)); // the next burst reuses all of them
      expect(s.connections).toBe(40);
      expect(s.requests).toHaveLength(80);
    } finally {
      agent.destroy();
      await s.close();
    }
  });

  it("lets an allowed peer through, with the address resolved by the guarded lookup", async () => {
    const s = await startServer((_req, res) => res.end("ok"));
    const agent = new GuardedHttpAgent({ allowed: AddressMatcher.parse("127.0.0.1/32, ::1"), lookup: fakeLookup({ "cb.example.test": ["127.0.0.1", "::1"] }) });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.request({ host: "cb.example.test", port: s.port, method: "POST", agent }, (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.end("x=1");
      });
      expect(body).toBe("ok");
    } finally {
      agent.destroy();
      await s.close();
    }
  });
});
