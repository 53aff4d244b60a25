/**
 * Allow-lists of exact IPs and CIDRs (operator whitelists, TRUSTED_PROXIES,
 * CALLBACK_ALLOWED_CIDRS). Matching is by prefix on the parsed address bits, never on text.
 */
import ipaddr from "ipaddr.js";
import { formatIp, parseIp, type ParsedIp } from "./address";

export class InvalidAddressError extends Error {
  override readonly name = "InvalidAddressError";
  constructor(readonly entry: string) {
    super(`invalid IP address or CIDR: "${entry}"`);
  }
}

interface Range {
  network: ParsedIp;
  bits: number;
  text: string;
}

/** Parses "ip" or "ip/prefix"; the host part of a CIDR is masked to its network address. */
function parseEntry(entry: string): Range | null {
  const slash = entry.indexOf("/");
  const addrText = slash < 0 ? entry : entry.slice(0, slash);
  // An IPv6 zone means nothing in an allow-list and would hide a typo.
  if (addrText.includes("%")) return null;
  const addr = parseIp(addrText);
  if (!addr) return null;

  // Prefix lengths are given against the text as written: "::ffff:10.0.0.0/104" is 10.0.0.0/8.
  const writtenAsV6 = addrText.includes(":");
  const writtenMax = writtenAsV6 ? 128 : 32;
  let bits = writtenMax;
  if (slash >= 0) {
    const prefix = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix)) return null;
    bits = Number(prefix);
    if (bits > writtenMax) return null;
  }
  if (writtenAsV6 && addr.kind() === "ipv4") {
    // An IPv4-mapped network shorter than /96 spans non-mapped IPv6 space: refuse the ambiguity.
    if (bits < 96) return null;
    bits -= 96;
  }

  const network = maskTo(addr, bits);
  const max = addr.kind() === "ipv4" ? 32 : 128;
  const text = bits === max ? formatIp(network) : `${formatIp(network)}/${bits}`;
  return { network, bits, text };
}

function maskTo(addr: ParsedIp, bits: number): ParsedIp {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return ipaddr.fromByteArray(bytes);
}

function splitEntries(entries: string | readonly string[]): string[] {
  const list = typeof entries === "string" ? entries.split(/[\s,]+/) : [...entries];
  return list.map((e) => (typeof e === "string" ? e.trim() : String(e))).filter((e) => e.length > 0);
}

export class AddressMatcher {
  static readonly empty: AddressMatcher = new AddressMatcher([]);

  readonly entries: readonly string[];

  private constructor(private readonly ranges: readonly Range[]) {
    this.entries = Object.freeze(ranges.map((r) => r.text));
  }

  /** Comma/whitespace-separated text or a list; blank entries are skipped, a bad one throws. */
  static parse(entries: string | readonly string[]): AddressMatcher {
    const ranges: Range[] = [];
    const seen = new Set<string>();
    for (const entry of splitEntries(entries)) {
      const range = parseEntry(entry);
      if (!range) throw new InvalidAddressError(entry);
      if (seen.has(range.text)) continue;
      seen.add(range.text);
      ranges.push(range);
    }
    return ranges.length === 0 ? AddressMatcher.empty : new AddressMatcher(ranges);
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  /** IPv4-mapped IPv6 addresses match IPv4 entries (parseIp unwraps them); a non-IP never matches. */
  matches(ip: string): boolean {
    if (this.ranges.length === 0) return false;
    const addr = parseIp(ip);
    if (!addr) return false;
    const kind = addr.kind();
    for (const r of this.ranges) {
      if (r.network.kind() !== kind) continue;
      if (kind === "ipv4" ? (addr as ipaddr.IPv4).match(r.network as ipaddr.IPv4, r.bits) : (addr as ipaddr.IPv6).match(r.network as ipaddr.IPv6, r.bits)) {
        return true;
      }
    }
    return false;
  }
}

/** Whether one entry (no separators) is a valid IP or CIDR, for validating admin input. */
export function isValidAddressOrCidr(entry: string): boolean {
  return typeof entry === "string" && entry.trim().length > 0 && !/[\s,]/.test(entry.trim()) && parseEntry(entry.trim()) !== null;
}
