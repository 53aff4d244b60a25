/**
 * Caller IP (PROTOCOL §5). The TCP peer is the caller unless the peer is a trusted proxy; then
 * X-Forwarded-For is read from the right (the end our own proxies appended to) and the first
 * address that is not itself a trusted proxy is the caller. Everything left of that was written
 * by the client and could be forged, so it is never consulted.
 */
import { normalizeIp } from "./address";
import type { AddressMatcher } from "./address-matcher";

/** Cap on hops examined, so a huge header costs bounded work. */
const MAX_HOPS = 64;

/** One XFF element: a bare IP, or "a.b.c.d:port" / "[v6]:port" as some proxies write it. */
function parseHop(token: string): string | null {
  const direct = normalizeIp(token);
  if (direct) return direct;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(token);
  if (bracketed) return normalizeIp(bracketed[1]);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(token);
  if (v4WithPort) return normalizeIp(v4WithPort[1]);
  return null;
}

export function resolveClientIp(
  peer: string | undefined,
  xForwardedFor: string | string[] | undefined,
  trustedProxies: AddressMatcher,
): string {
  const peerIp = typeof peer === "string" ? normalizeIp(peer) : null;
  if (!peerIp) return "";
  if (trustedProxies.isEmpty || !trustedProxies.matches(peerIp)) return peerIp;

  // Repeated headers are one list, in the order received (RFC 9110 §5.3).
  const raw = Array.isArray(xForwardedFor) ? xForwardedFor.filter((v) => typeof v === "string").join(",") : xForwardedFor;
  if (typeof raw !== "string" || raw.length === 0) return peerIp;

  const hops = raw.split(",").map((t) => t.trim()).filter((t) => t.length > 0);
  let candidate = peerIp;
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_HOPS; i--, seen++) {
    const hop = parseHop(hops[i]);
    // Garbage where a trusted proxy should have written its peer: the chain cannot be followed
    // further, so stop at the nearest address we could verify rather than read forgeable ones.
    if (!hop) return candidate;
    if (!trustedProxies.matches(hop)) return hop;
    candidate = hop;
  }
  // Every hop is a trusted proxy (or the cap was hit): the left-most one examined.
  return candidate;
}
