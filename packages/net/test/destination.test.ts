import { AddressMatcher } from "../src/address-matcher";
import { checkCallbackUrl, isAllowedDestination, type LookupAll } from "../src/destination";
import { fakeLookup, forbidSystemDns } from "./support/loopback";

forbidSystemDns();

const only127001 = AddressMatcher.parse("127.0.0.1/32");

describe("isAllowedDestination", () => {
  it("public unicast is allowed without any allow-list", () => {
    expect(isAllowedDestination("8.8.8.8", AddressMatcher.empty)).toBe(true);
    expect(isAllowedDestination("2001:4860:4860::8888", AddressMatcher.empty)).toBe(true);
  });

  it.each(["127.0.0.1", "::1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "100.64.0.1", "fd00::1", "fe80::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "224.0.0.1"])(
    "%s is refused by default",
    (ip) => {
      expect(isAllowedDestination(ip, AddressMatcher.empty)).toBe(false);
    },
  );

  it("non-public addresses inside the allow-list are allowed", () => {
    const allowed = AddressMatcher.parse("10.0.0.0/8, 127.0.0.1/32");
    expect(isAllowedDestination("10.9.8.7", allowed)).toBe(true);
    expect(isAllowedDestination("127.0.0.1", allowed)).toBe(true);
    expect(isAllowedDestination("::ffff:127.0.0.1", allowed)).toBe(true);
    expect(isAllowedDestination("127.0.0.2", allowed)).toBe(false);
    expect(isAllowedDestination("192.168.0.1", allowed)).toBe(false);
  });

  it("a non-IP is never allowed", () => {
    expect(isAllowedDestination("localhost", AddressMatcher.parse("0.0.0.0/0"))).toBe(false);
    expect(isAllowedDestination("", AddressMatcher.parse("0.0.0.0/0"))).toBe(false);
  });
});

describe("checkCallbackUrl — IP-literal hosts (no resolution)", () => {
  const noLookup: LookupAll = () => Promise.reject(new Error("must not resolve IP literals"));

  it.each([
    ["http://127.0.0.1:8080/cb", true],
    ["https://127.0.0.1/cb?x=1", true],
    ["http://127.0.0.2:8080/cb", false],
    ["http://[::1]:8080/cb", false],
    ["http://[::ffff:127.0.0.1]/cb", true], // the same host as 127.0.0.1
    ["http://[::ffff:127.0.0.2]/cb", false],
    ["http://0x7f.0.0.1/cb", true], // WHATWG reads this as 127.0.0.1, as the client would
    ["http://0x7f.0.0.2/cb", false],
    ["http://2130706434/cb", false], // 127.0.0.2
    ["http://10.0.0.1/cb", false],
    ["http://169.254.169.254/latest/meta-data", false],
    ["http://0.0.0.0/cb", false],
    ["http://8.8.8.8/cb", true], // public: decided from the string alone, nothing is contacted
  ])("%s → %s", async (url, expected) => {
    await expect(checkCallbackUrl(url, only127001, { lookup: noLookup })).resolves.toBe(expected);
  });

  it("an empty allow-list refuses loopback", async () => {
    await expect(checkCallbackUrl("http://127.0.0.1/cb", AddressMatcher.empty, { lookup: noLookup })).resolves.toBe(false);
  });
});

describe("checkCallbackUrl — URL shape", () => {
  it.each(["ftp://127.0.0.1/cb", "file:///etc/passwd", "javascript:alert(1)", "gopher://127.0.0.1/", "not a url", "", "http://", "//127.0.0.1/cb", "/cb"])(
    "%j is refused without resolving",
    async (url) => {
      const lookup = fakeLookup({ "127.0.0.1": ["127.0.0.1"] });
      await expect(checkCallbackUrl(url, only127001, { lookup })).resolves.toBe(false);
      expect(lookup.calls).toEqual([]);
    },
  );

  it("never throws on non-string input", async () => {
    await expect(checkCallbackUrl(undefined as unknown as string, only127001)).resolves.toBe(false);
  });
});

describe("checkCallbackUrl — resolved hosts (injected resolver)", () => {
  it("refuses a host resolving outside the allow-list", async () => {
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.2"] });
    await expect(checkCallbackUrl("http://cb.example.test/cb", only127001, { lookup })).resolves.toBe(false);
    expect(lookup.calls).toEqual(["cb.example.test"]);
  });

  it("allows a host resolving inside the allow-list", async () => {
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.1"] });
    await expect(checkCallbackUrl("https://cb.example.test:8443/notify", only127001, { lookup })).resolves.toBe(true);
  });

  it("refuses loopback answers when nothing is allowed", async () => {
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.1"] });
    await expect(checkCallbackUrl("http://cb.example.test/", AddressMatcher.empty, { lookup })).resolves.toBe(false);
  });

  it("every answer must be allowed", async () => {
    const mixed = fakeLookup({ "cb.example.test": ["127.0.0.1", "127.0.0.2"] });
    await expect(checkCallbackUrl("http://cb.example.test/", only127001, { lookup: mixed })).resolves.toBe(false);
    const v6 = fakeLookup({ "cb.example.test": ["127.0.0.1", "::1"] });
    await expect(checkCallbackUrl("http://cb.example.test/", only127001, { lookup: v6 })).resolves.toBe(false);
    const both = fakeLookup({ "cb.example.test": ["127.0.0.1", "::1"] });
    await expect(checkCallbackUrl("http://cb.example.test/", AddressMatcher.parse("127.0.0.1, ::1"), { lookup: both })).resolves.toBe(true);
  });

  it("resolution failures refuse", async () => {
    const unknown = fakeLookup({});
    await expect(checkCallbackUrl("http://nx.example.test/", only127001, { lookup: unknown })).resolves.toBe(false);
    const empty: LookupAll = async () => [];
    await expect(checkCallbackUrl("http://cb.example.test/", only127001, { lookup: empty })).resolves.toBe(false);
    const junk: LookupAll = async () => ["not-an-ip"];
    await expect(checkCallbackUrl("http://cb.example.test/", only127001, { lookup: junk })).resolves.toBe(false);
    const throwsSync = (() => {
      throw new Error("boom");
    }) as unknown as LookupAll;
    await expect(checkCallbackUrl("http://cb.example.test/", only127001, { lookup: throwsSync })).resolves.toBe(false);
  });

  it("a resolver that never answers refuses at the timeout", async () => {
    const hangs: LookupAll = () => new Promise(() => {});
    const started = Date.now();
    await expect(checkCallbackUrl("http://slow.example.test/", only127001, { lookup: hangs, timeoutMs: 100 })).resolves.toBe(false);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1000);
  });

  it("host names are matched case-insensitively (the URL parser lowercases them)", async () => {
    const lookup = fakeLookup({ "cb.example.test": ["127.0.0.1"] });
    await expect(checkCallbackUrl("http://CB.Example.TEST/", only127001, { lookup })).resolves.toBe(true);
  });
});

describe("checkCallbackUrl — answer cache", () => {
  it("reuses a positive answer", async () => {
    const lookup = fakeLookup({ "cached.example.test": ["127.0.0.1"] });
    for (let i = 0; i < 5; i++) await expect(checkCallbackUrl("http://cached.example.test/", only127001, { lookup })).resolves.toBe(true);
    expect(lookup.calls).toHaveLength(1);
    // The cache holds addresses, not verdicts: another allow-list is judged afresh.
    await expect(checkCallbackUrl("http://cached.example.test/", AddressMatcher.empty, { lookup })).resolves.toBe(false);
    expect(lookup.calls).toHaveLength(1);
  });

  it("reuses a negative answer", async () => {
    const lookup = fakeLookup({});
    for (let i = 0; i < 3; i++) await expect(checkCallbackUrl("http://gone.example.test/", only127001, { lookup })).resolves.toBe(false);
    expect(lookup.calls).toHaveLength(1);
  });

  it("coalesces concurrent lookups of one host", async () => {
    const lookup = fakeLookup({ "busy.example.test": ["127.0.0.1"] });
    const results = await Promise.all(Array.from({ length: 10 }, () => checkCallbackUrl("http://busy.example.test/", only127001, { lookup })));
    expect(results.every(Boolean)).toBe(true);
    expect(lookup.calls).toHaveLength(1);
  });

  it("keeps answers of different resolvers apart", async () => {
    const a = fakeLookup({ "split.example.test": ["127.0.0.1"] });
    const b = fakeLookup({ "split.example.test": ["127.0.0.2"] });
    await expect(checkCallbackUrl("http://split.example.test/", only127001, { lookup: a })).resolves.toBe(true);
    await expect(checkCallbackUrl("http://split.example.test/", only127001, { lookup: b })).resolves.toBe(false);
  });

  it("answers expire", async () => {
    jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
    try {
      const lookup = fakeLookup({ "ttl.example.test": ["127.0.0.1"] });
      await checkCallbackUrl("http://ttl.example.test/", only127001, { lookup });
      jest.setSystemTime(Date.now() + 31_000);
      await checkCallbackUrl("http://ttl.example.test/", only127001, { lookup });
      expect(lookup.calls).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
