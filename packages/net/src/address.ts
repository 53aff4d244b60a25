/**
 * IP address parsing and classification.
 *
 * Parsing is deliberately strict: only dotted-decimal IPv4 (no octal, hex or shortened forms
 * like "127.1", which some parsers accept and others do not) and standard IPv6 text. A looser
 * parser here than in the code that dials would let an address pass a check as one thing and
 * be connected to as another.
 */
import { isIPv4, isIPv6 } from "node:net";
import ipaddr from "ipaddr.js";
import { memoized } from "@topup/protocol";

export type ParsedIp = ipaddr.IPv4 | ipaddr.IPv6;

/** Global unicast space (2000::/3); everything else in IPv6 is unassigned or special-purpose. */
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse("2000::"), 3];

/**
 * Parses an IP address into an ipaddr.js object: IPv6 zone stripped, IPv4-mapped IPv6
 * (::ffff:a.b.c.d) unwrapped to IPv4 so one host has one identity. Null if not an IP.
 */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== "string") return null;
  return parseIpMemo(text);
}

// Every request parses the same few addresses several times (peer, whitelist, notify_url host),
// and ipaddr.js's IPv6 parser is costly; the parsed objects are never mutated, so they are shared.
const parseIpMemo = memoized(parseIpText, 4096);

function parseIpText(text: string): ParsedIp | null {
  let s = text.trim();
  if (s.length === 0 || s.length > 100) return null;
  if (isIPv4(s)) return ipaddr.IPv4.parse(s);

  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!isIPv6(s)) return null;
  // ipaddr.js reads "::a.b.c.d" (IPv4-compatible) as ::ffff:a.b.c.d (IPv4-mapped), which is a
  // different address; rewriting an embedded dotted tail as two hex groups avoids that quirk.
  const v6 = ipaddr.IPv6.parse(dottedTailToHex(s));
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

function dottedTailToHex(s: string): string {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return s;
  const [a, b, c, d] = [m[2], m[3], m[4], m[5]].map(Number);
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

/** Canonical text of a parsed address (RFC 5952 for IPv6). */
export function formatIp(ip: ParsedIp): string {
  return ip.kind() === "ipv6" ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString();
}

/** Canonical text of an IPv4/IPv6 address; null if `ip` is not one. */
export function normalizeIp(ip: string): string | null {
  if (typeof ip !== "string") return null;
  return normalizeIpMemo(ip);
}

const normalizeIpMemo = memoized((text) => {
  const parsed = parseIp(text);
  return parsed ? formatIp(parsed) : null;
}, 4096);

/**
 * True only for addresses that are ordinary public unicast: ipaddr.js range "unicast" (after
 * unwrapping IPv4-mapped IPv6), and for IPv6 also inside 2000::/3 — so IPv4-compatible
 * (::a.b.c.d), NAT64, 6to4, Teredo, ULA, link-local and other special forms never count.
 */
export function isPublicUnicast(ip: string): boolean {
  return typeof ip === "string" && publicUnicastMemo(ip);
}

const publicUnicastMemo = memoized(classifyPublicUnicast, 4096);

function classifyPublicUnicast(ip: string): boolean {
  const parsed = parseIp(ip);
  if (!parsed || parsed.range() !== "unicast") return false;
  if (parsed.kind() === "ipv6") return (parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
  return true;
}
