/**
 * Callback destination rule (PROTOCOL §7): a notify_url is acceptable only if every address its
 * host stands for is public unicast or inside CALLBACK_ALLOWED_CIDRS. This is the push-time check;
 * the delivery client re-applies the rule to the address it actually dials.
 */
import { isPublicUnicast, normalizeIp } from "./address";
import type { AddressMatcher } from "./address-matcher";
import { lookupWithTimeout, systemLookupAll, type LookupAll } from "./lookup";
import { memoized } from "@topup/protocol";
import { TtlCache } from "./ttl-cache";

export type { LookupAll } from "./lookup";

export function isAllowedDestination(ip: string, allowed: AddressMatcher): boolean {
  const addr = normalizeIp(ip);
  if (!addr) return false;
  return isPublicUnicast(addr) || allowed.matches(addr);
}

/**
 * The host of an http(s) URL, brackets removed, or null if the URL is not one we would call.
 * WHATWG parsing is what axios/Node use too, so "http://0x7f.1/" is seen here as 127.0.0.1
 * exactly as it would be dialled.
 */
export function callbackHost(url: string): string | null {
  return callbackHostMemo(url);
}

// An operator sends the same notify_url with every order, checked at push and again at each
// callback attempt: the host is parsed once (the answer is a string, safe to share).
const callbackHostMemo = memoized(parseCallbackHost, 1024);

function parseCallbackHost(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  const host = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return host.length > 0 ? host : null;
}

const POSITIVE_TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_CACHED_HOSTS = 1_000;

/** Answers cached per lookup function, so an injected resolver never sees another's answers. */
const caches = new WeakMap<LookupAll, TtlCache<string, string[] | null>>();
const inFlight = new WeakMap<LookupAll, Map<string, Promise<string[] | null>>>();

/** Addresses of `host`, or null if resolution failed; answers are cached briefly (hot path). */
async function cachedResolve(host: string, lookup: LookupAll, timeoutMs: number): Promise<string[] | null> {
  let cache = caches.get(lookup);
  if (!cache) caches.set(lookup, (cache = new TtlCache(MAX_CACHED_HOSTS)));
  const hit = cache.get(host);
  if (hit !== undefined) return hit;

  let pending = inFlight.get(lookup);
  if (!pending) inFlight.set(lookup, (pending = new Map()));
  const running = pending.get(host);
  if (running) return running;

  const store = cache;
  const queries = pending;
  const query = lookupWithTimeout(lookup, host, timeoutMs).then(
    (addresses) => {
      store.set(host, addresses, POSITIVE_TTL_MS);
      return addresses;
    },
    () => {
      store.set(host, null, NEGATIVE_TTL_MS);
      return null;
    },
  );
  queries.set(host, query);
  try {
    return await query;
  } finally {
    queries.delete(host);
  }
}

export async function checkCallbackUrl(
  url: string,
  allowed: AddressMatcher,
  opts: { lookup?: LookupAll; timeoutMs?: number } = {},
): Promise<boolean> {
  try {
    if (typeof url !== "string") return false;
    const host = callbackHost(url);
    if (host === null) return false;
    if (normalizeIp(host) !== null) return isAllowedDestination(host, allowed);
    const addresses = await cachedResolve(host.toLowerCase(), opts.lookup ?? systemLookupAll, opts.timeoutMs ?? 2000);
    return addresses !== null && addresses.every((a) => isAllowedDestination(a, allowed));
  } catch {
    return false;
  }
}
