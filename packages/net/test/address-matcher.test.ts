import { AddressMatcher, InvalidAddressError, isValidAddressOrCidr } from "../src/address-matcher";

describe("AddressMatcher.parse", () => {
  it("accepts comma/whitespace separated text and normalizes entries", () => {
    const m = AddressMatcher.parse(" 10.0.0.1, 192.168.0.0/16\n2001:DB8::/32\t::FFFF:1.2.3.4 ,, ");
    expect(m.entries).toEqual(["10.0.0.1", "192.168.0.0/16", "2001:db8::/32", "1.2.3.4"]);
    expect(m.isEmpty).toBe(false);
  });

  it("accepts a list, skipping blank entries and duplicates", () => {
    const m = AddressMatcher.parse(["10.0.0.0/8", " ", "10.0.0.0/8", "::1"]);
    expect(m.entries).toEqual(["10.0.0.0/8", "::1"]);
  });

  it("masks host bits of a CIDR to its network address", () => {
    expect(AddressMatcher.parse("10.1.2.3/8").entries).toEqual(["10.0.0.0/8"]);
    expect(AddressMatcher.parse("2001:db8::1/32").entries).toEqual(["2001:db8::/32"]);
    expect(AddressMatcher.parse("1.2.3.4/0").entries).toEqual(["0.0.0.0/0"]);
  });

  it("writes /32 and /128 as plain addresses", () => {
    expect(AddressMatcher.parse("1.2.3.4/32, ::1/128").entries).toEqual(["1.2.3.4", "::1"]);
  });

  it("reads IPv4-mapped CIDRs as IPv4 networks", () => {
    expect(AddressMatcher.parse("::ffff:10.0.0.0/104").entries).toEqual(["10.0.0.0/8"]);
    expect(AddressMatcher.parse("::ffff:10.0.0.1/128").entries).toEqual(["10.0.0.1"]);
  });

  it("empty input gives the empty matcher", () => {
    expect(AddressMatcher.parse("").isEmpty).toBe(true);
    expect(AddressMatcher.parse([]).isEmpty).toBe(true);
    expect(AddressMatcher.parse(" , ").entries).toEqual([]);
    expect(AddressMatcher.empty.isEmpty).toBe(true);
    expect(AddressMatcher.empty.matches("127.0.0.1")).toBe(false);
  });

  it.each([
    "10.0.0.1/33",
    "::/129",
    "10.0.0.0/",
    "10.0.0.0/-1",
    "10.0.0.0/8/8",
    "10.0.0.0/ 8",
    "10.0.0.0/0x8",
    "10.0.0.0/1e1",
    "10.0.0",
    "10.0.0.256",
    "010.0.0.1",
    "127.1",
    "example.com",
    "fe80::1%eth0",
    "fe80::/10%eth0",
    "::ffff:10.0.0.0/64", // mapped network wider than the mapped space
    "*",
    "10.0.0.*",
    "1.2.3.4-1.2.3.9",
  ])("rejects %j naming the bad entry", (entry) => {
    let thrown: unknown;
    try {
      AddressMatcher.parse(["1.1.1.1", entry]);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidAddressError);
    expect((thrown as InvalidAddressError).entry).toBe(entry);
    expect((thrown as Error).message).toContain(entry);
  });

  it("names the bad entry in the string form too", () => {
    expect(() => AddressMatcher.parse("10.0.0.0/8, bogus, 1.1.1.1")).toThrow(/"bogus"/);
  });
});

describe("AddressMatcher.matches", () => {
  it("IPv4 CIDR boundaries", () => {
    const m = AddressMatcher.parse("172.16.0.0/12");
    expect(m.matches("172.15.255.255")).toBe(false);
    expect(m.matches("172.16.0.0")).toBe(true);
    expect(m.matches("172.31.255.255")).toBe(true);
    expect(m.matches("172.32.0.0")).toBe(false);
  });

  it("odd prefix lengths", () => {
    const m = AddressMatcher.parse("10.0.0.128/25");
    expect(m.matches("10.0.0.127")).toBe(false);
    expect(m.matches("10.0.0.128")).toBe(true);
    expect(m.matches("10.0.0.255")).toBe(true);
    expect(m.matches("10.0.1.0")).toBe(false);
  });

  it("/32 and exact entries match one address only", () => {
    const m = AddressMatcher.parse("10.0.0.1, 10.0.0.5/32");
    expect(m.matches("10.0.0.1")).toBe(true);
    expect(m.matches("10.0.0.5")).toBe(true);
    expect(m.matches("10.0.0.2")).toBe(false);
    expect(m.matches("10.0.0.4")).toBe(false);
  });

  it("never matches by substring", () => {
    const m = AddressMatcher.parse("10.0.0.1");
    expect(m.matches("110.0.0.1")).toBe(false);
    expect(m.matches("10.0.0.10")).toBe(false);
    expect(m.matches("10.0.0.100")).toBe(false);
    expect(m.matches("210.0.0.1")).toBe(false);
    const net = AddressMatcher.parse("10.0.0.0/8");
    expect(net.matches("110.0.0.1")).toBe(false);
    expect(net.matches("100.0.0.1")).toBe(false);
    expect(net.matches("10.200.3.4")).toBe(true);
  });

  it("/0 matches every address of its family only", () => {
    const v4 = AddressMatcher.parse("0.0.0.0/0");
    expect(v4.matches("1.2.3.4")).toBe(true);
    expect(v4.matches("255.255.255.255")).toBe(true);
    expect(v4.matches("::1")).toBe(false);
    const v6 = AddressMatcher.parse("::/0");
    expect(v6.matches("2001:db8::1")).toBe(true);
    expect(v6.matches("1.2.3.4")).toBe(false);
  });

  it("IPv6 CIDR boundaries and /128", () => {
    const m = AddressMatcher.parse("2001:db8:abcd::/48, fe80::1/128");
    expect(m.matches("2001:db8:abcc:ffff:ffff:ffff:ffff:ffff")).toBe(false);
    expect(m.matches("2001:db8:abcd::")).toBe(true);
    expect(m.matches("2001:db8:abcd:ffff:ffff:ffff:ffff:ffff")).toBe(true);
    expect(m.matches("2001:db8:abce::")).toBe(false);
    expect(m.matches("fe80::1")).toBe(true);
    expect(m.matches("fe80::1%eth0")).toBe(true);
    expect(m.matches("fe80::2")).toBe(false);
    expect(m.matches("FE80:0:0:0:0:0:0:1")).toBe(true);
  });

  it("IPv4-mapped IPv6 peers match IPv4 entries", () => {
    const m = AddressMatcher.parse("203.0.113.0/24");
    expect(m.matches("::ffff:203.0.113.7")).toBe(true);
    expect(m.matches("::ffff:cb00:7107")).toBe(true);
    expect(m.matches("::ffff:203.0.114.7")).toBe(false);
    // IPv4-compatible is a different address.
    expect(m.matches("::203.0.113.7")).toBe(false);
  });

  it("non-IPs never match", () => {
    const m = AddressMatcher.parse("0.0.0.0/0, ::/0");
    for (const junk of ["", "unknown", "127.1", "1.2.3.4:80", "[::1]", "10.0.0.0/8"]) expect(m.matches(junk)).toBe(false);
  });
});

describe("isValidAddressOrCidr", () => {
  it.each(["1.2.3.4", "10.0.0.0/8", "::1", "2001:db8::/32", "0.0.0.0/0", "::ffff:1.2.3.4"])("%s is valid", (e) => {
    expect(isValidAddressOrCidr(e)).toBe(true);
  });
  it.each(["", " ", "1.2.3.4,5.6.7.8", "1.2.3.4 5.6.7.8", "10.0.0.0/33", "host.example", "127.1"])("%j is invalid", (e) => {
    expect(isValidAddressOrCidr(e)).toBe(false);
  });
});
