/**
 * Name resolution used by the destination checks. Injectable so tests (and callers that
 * want their own resolver) never touch real DNS.
 */
import { promises as dns } from "node:dns";
import { LookupTimeoutError } from "./errors";

/** Resolves a hostname to every address it has (IPv4 and IPv6), in resolver order. */
export type LookupAll = (hostname: string) => Promise<string[]>;

export const systemLookupAll: LookupAll = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

/** Runs `lookup` with a deadline; an empty answer is a failure, not "nothing to check". */
export async function lookupWithTimeout(lookup: LookupAll, hostname: string, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LookupTimeoutError(hostname, timeoutMs)), timeoutMs);
    // A pending lookup must not keep the process alive on its own (e.g. at shutdown).
    timer.unref();
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(() => lookup(hostname)), deadline]);
    if (!Array.isArray(answer) || answer.length === 0) {
      throw Object.assign(new Error(`no addresses for ${hostname}`), { code: "ENOTFOUND" });
    }
    return answer.map(String);
  } finally {
    clearTimeout(timer);
  }
}
