import { AddressMatcher } from "../src/address-matcher";
import { resolveClientIp } from "../src/client-ip";

const proxies = AddressMatcher.parse("10.0.0.0/8, fd00::/8");

describe("resolveClientIp", () => {
  it("is the peer when no proxies are trusted, whatever X-Forwarded-For says", () => {
    expect(resolveClientIp("203.0.113.5", "1.1.1.1", AddressMatcher.empty)).toBe("203.0.113.5");
  });

  it("ignores X-Forwarded-For from an untrusted peer", () => {
    expect(resolveClientIp("203.0.113.5", "1.1.1.1, 10.0.0.1", proxies)).toBe("203.0.113.5");
  });

  it("normalizes the peer (mapped IPv6, zone, case)", () => {
    expect(resolveClientIp("::ffff:203.0.113.5", undefined, proxies)).toBe("203.0.113.5");
    expect(resolveClientIp("FE80::1%eth0", undefined, proxies)).toBe("fe80::1");
  });

  it("is empty when the peer is unknown or not an IP", () => {
    expect(resolveClientIp(undefined, "1.1.1.1", proxies)).toBe("");
    expect(resolveClientIp("", "1.1.1.1", proxies)).toBe("");
    expect(resolveClientIp("/tmp/socket", "1.1.1.1", proxies)).toBe("");
  });

  it("trusted peer: the right-most address that is not a trusted proxy", () => {
    expect(resolveClientIp("10.0.0.1", "198.51.100.7", proxies)).toBe("198.51.100.7");
    // The client forged 1.1.1.1; our proxies appended the real hops on the right.
    expect(resolveClientIp("10.0.0.1", "1.1.1.1, 198.51.100.7, 10.0.0.9, 10.0.0.8", proxies)).toBe("198.51.100.7");
  });

  it("trusted IPv4-mapped peer is recognised", () => {
    expect(resolveClientIp("::ffff:10.0.0.1", "198.51.100.7", proxies)).toBe("198.51.100.7");
  });

  it("all hops trusted: the left-most", () => {
    expect(resolveClientIp("10.0.0.1", "10.0.0.3, 10.0.0.2", proxies)).toBe("10.0.0.3");
  });

  it("trusted peer without X-Forwarded-For: the peer", () => {
    expect(resolveClientIp("10.0.0.1", undefined, proxies)).toBe("10.0.0.1");
    expect(resolveClientIp("10.0.0.1", "", proxies)).toBe("10.0.0.1");
    expect(resolveClientIp("10.0.0.1", [], proxies)).toBe("10.0.0.1");
  });

  it("several headers are read as one list in order", () => {
    expect(resolveClientIp("10.0.0.1", ["1.1.1.1", "198.51.100.7, 10.0.0.2"], proxies)).toBe("198.51.100.7");
    expect(resolveClientIp("10.0.0.1", ["198.51.100.7", "10.0.0.2"], proxies)).toBe("198.51.100.7");
    expect(resolveClientIp("10.0.0.1", ["10.0.0.2", "203.0.113.1"], proxies)).toBe("203.0.113.1");
  });

  it("normalizes forwarded addresses, including IPv6 and port forms", () => {
    expect(resolveClientIp("10.0.0.1", "2001:DB8::1", proxies)).toBe("2001:db8::1");
    expect(resolveClientIp("10.0.0.1", "::ffff:198.51.100.7", proxies)).toBe("198.51.100.7");
    expect(resolveClientIp("10.0.0.1", "198.51.100.7:5555", proxies)).toBe("198.51.100.7");
    expect(resolveClientIp("10.0.0.1", "[2001:db8::2]:443", proxies)).toBe("2001:db8::2");
    expect(resolveClientIp("fd00::1", "fd00::2, 2001:db8::3", proxies)).toBe("2001:db8::3");
  });

  it("skips empty elements", () => {
    expect(resolveClientIp("10.0.0.1", " , 198.51.100.7 ,, ", proxies)).toBe("198.51.100.7");
  });

  it("garbage never crashes and is never returned", () => {
    const junk = ["unknown", "<script>", "1.1.1", "127.1", "2130706433", "x".repeat(10_000), "\u0000", "[::1", "::1]"];
    for (const j of junk) {
      const ip = resolveClientIp("10.0.0.1", j, proxies);
      expect(ip).toBe("10.0.0.1");
    }
  });

  it("garbage in the chain stops the walk at the nearest verified hop", () => {
    // Anything left of an unreadable hop could have been written by the client.
    expect(resolveClientIp("10.0.0.1", "198.51.100.7, unknown, 10.0.0.2", proxies)).toBe("10.0.0.2");
    expect(resolveClientIp("10.0.0.1", "198.51.100.7, unknown", proxies)).toBe("10.0.0.1");
    // Garbage further left than the first untrusted hop does not matter.
    expect(resolveClientIp("10.0.0.1", "garbage, 198.51.100.7", proxies)).toBe("198.51.100.7");
  });

  it("bounded work on a huge header", () => {
    const many = Array.from({ length: 10_000 }, () => "10.0.0.7").join(",");
    expect(resolveClientIp("10.0.0.1", many, proxies)).toBe("10.0.0.7");
    expect(resolveClientIp("10.0.0.1", `198.51.100.7,${many}`, proxies)).toBe("10.0.0.7");
  });

  it("a non-string header value is ignored", () => {
    expect(resolveClientIp("10.0.0.1", 42 as unknown as string, proxies)).toBe("10.0.0.1");
    expect(resolveClientIp("10.0.0.1", [42, "198.51.100.7"] as unknown as string[], proxies)).toBe("198.51.100.7");
  });
});
