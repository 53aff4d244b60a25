import { isPublicUnicast, normalizeIp } from "../src/address";

describe("normalizeIp", () => {
  it.each([
    ["1.2.3.4", "1.2.3.4"],
    [" 8.8.8.8 ", "8.8.8.8"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329"],
    ["fe80::1%eth0", "fe80::1"],
    ["fe80::abcd%25", "fe80::abcd"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:127.0.0.1", "127.0.0.1"],
    ["::ffff:7f00:1", "127.0.0.1"],
    ["0:0:0:0:0:ffff:a00:1", "10.0.0.1"],
    // IPv4-compatible (not mapped) stays IPv6: it is a different address.
    ["::1.2.3.4", "::102:304"],
    ["::127.0.0.1", "::7f00:1"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
    ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each([
    "",
    " ",
    "localhost",
    "example.com",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4", // leading zero: octal in some parsers
    "127.1",
    "0x7f.0.0.1",
    "2130706433",
    "1.2.3.4/32",
    "1.2.3.4:80",
    "[::1]",
    "::1::2",
    "gggg::1",
    "1:2:3:4:5:6:7:8:9",
    "%eth0",
    "1.2.3.4%eth0",
    "unknown",
  ])("rejects %j", (input) => {
    expect(normalizeIp(input)).toBeNull();
  });

  it("rejects non-strings without throwing", () => {
    expect(normalizeIp(undefined as unknown as string)).toBeNull();
    expect(normalizeIp(42 as unknown as string)).toBeNull();
  });
});

describe("isPublicUnicast", () => {
  it.each([
    "1.1.1.1",
    "8.8.8.8",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255", // just below CGNAT
    "100.128.0.0", // just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "192.169.0.0",
    "223.255.255.255",
    "110.0.0.1",
    "2001:4860:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
  ])("%s is public", (ip) => {
    expect(isPublicUnicast(ip)).toBe(true);
  });

  it.each([
    // IPv4 special ranges
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.0",
    "10.255.255.255",
    "100.64.0.0",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254", // cloud metadata
    "172.16.0.0",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1", // TEST-NET-1
    "192.88.99.1", // 6to4 relay anycast
    "192.168.0.1",
    "198.18.0.1", // benchmarking
    "198.19.255.255",
    "198.51.100.7", // TEST-NET-2
    "203.0.113.9", // TEST-NET-3
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    // IPv6
    "::",
    "::1",
    "fe80::1",
    "fe80::1%eth0",
    "febf:ffff::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "ff02::1",
    "2001:db8::1", // documentation
    "2001::1", // teredo
    "2002:c000:0204::1", // 6to4
    "64:ff9b::808:808", // NAT64
    "100::1", // discard
    "fec0::1", // deprecated site-local
    // mapped / translated / compatible forms of non-public IPv4
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "::ffff:7f00:1",
    "::127.0.0.1",
    "::7f00:1",
    "::8.8.8.8", // IPv4-compatible: deprecated, not global unicast
    "::ffff:0:127.0.0.1",
    // not addresses at all
    "",
    "localhost",
    "127.1",
    "2130706433",
  ])("%s is not public", (ip) => {
    expect(isPublicUnicast(ip)).toBe(false);
  });
});
