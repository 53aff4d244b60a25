import { AxiosError } from "axios";
import { describeError, LookupTimeoutError, RefusedDestinationError } from "../src/errors";

const sysError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("describeError", () => {
  it("uses our guards' messages, however deeply wrapped", () => {
    const wrapped = AxiosError.from(new RefusedDestinationError("127.0.0.2"));
    expect(describeError(wrapped)).toBe("refused destination 127.0.0.2");
    expect(describeError(new LookupTimeoutError("x.test", 2000))).toBe("dns lookup timeout after 2000 ms");
  });

  it("prefers the system code of the wrapped error", () => {
    expect(describeError(AxiosError.from(sysError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9")))).toBe("ECONNREFUSED");
    expect(describeError(sysError("ECONNRESET", "socket hang up"))).toBe("ECONNRESET");
    expect(describeError(new AxiosError("Network Error", "ERR_NETWORK", undefined, undefined, undefined))).toBe("Network Error");
  });

  it("reads the first error of an AggregateError (happy eyeballs)", () => {
    expect(describeError(new AggregateError([sysError("ECONNREFUSED"), sysError("ENETUNREACH")]))).toBe("ECONNREFUSED");
  });

  it("falls back to a short message, or a fixed text", () => {
    expect(describeError(new Error("x".repeat(500)))).toHaveLength(120);
    expect(describeError("weird")).toBe("request failed");
    expect(describeError(null)).toBe("request failed");
  });

  it("survives cyclic causes", () => {
    const a: Error & { cause?: unknown } = new Error("a");
    const b: Error & { cause?: unknown } = new Error("b");
    a.cause = b;
    b.cause = a;
    expect(describeError(a)).toBe("a");
  });
});
