import {
  checkAdjustment,
  checkChannelPatch,
  checkKeyRotation,
  checkNewChannel,
  checkNewOperator,
  checkNewRoute,
  checkOperatorPatch,
  checkResolution,
  checkRoutePatch,
} from "../src/admin-input";

describe("admin input", () => {
  it("accepts a full new operator and refuses unknown fields", () => {
    const body = { name: "n", uid: "abc_1-2", md5key: "a".repeat(32), rateBp: 0, ipWhitelist: ["::1", "10.0.0.0/8"], enabled: false, strictCarrier: true, faceValues: [100], rateLimitPerSecond: null };
    expect(checkNewOperator(body)).toEqual({ ok: true, value: body });
    expect(checkNewOperator({ name: "n", extra: 1 })).toEqual({ ok: false, error: "unknown field extra" });
    expect(checkNewOperator(null).ok).toBe(false);
    expect(checkNewOperator([]).ok).toBe(false);
  });

  it("does not let a patch change the uid or the key", () => {
    expect(checkOperatorPatch({ uid: "x" })).toEqual({ ok: false, error: "unknown field uid" });
    expect(checkOperatorPatch({ md5key: "a".repeat(32) })).toEqual({ ok: false, error: "unknown field md5key" });
    expect(checkOperatorPatch({ enabled: false })).toEqual({ ok: true, value: { enabled: false } });
  });

  it("takes an optional key on rotation", () => {
    expect(checkKeyRotation(undefined)).toEqual({ ok: true, value: {} });
    expect(checkKeyRotation({ md5key: "short" }).ok).toBe(false);
  });

  it("wants exactly one positive amount in an adjustment", () => {
    expect(checkAdjustment({ income: 5, record: "r" })).toEqual({ ok: true, value: { income: 5, expenditure: 0, record: "r" } });
    expect(checkAdjustment({ expenditure: 5, record: "r" })).toEqual({ ok: true, value: { income: 0, expenditure: 5, record: "r" } });
    expect(checkAdjustment({ income: 0, record: "r" }).ok).toBe(false);
    expect(checkAdjustment({ income: -1, record: "r" }).ok).toBe(false);
    expect(checkAdjustment({ income: 1, expenditure: 1, record: "r" }).ok).toBe(false);
  });

  it("refuses control characters in free text (PostgreSQL cannot store NUL)", () => {
    expect(checkResolution({ status: 4, reason: "a\u0000b" })).toEqual({ ok: false, error: "reason must be a string of at most 200 characters, without control characters" });
    expect(checkResolution({ status: 4, reason: "说明: \"ok\", {x}" }).ok).toBe(true);
    expect(checkAdjustment({ income: 5, record: "r\n" }).ok).toBe(false);
    expect(checkNewOperator({ name: "n\u0007" }).ok).toBe(false);
    expect(checkNewOperator({ name: "运营商 A" }).ok).toBe(true);
  });

  it("resolves only to 4 or 10", () => {
    expect(checkResolution({ status: 4 })).toEqual({ ok: true, value: { status: 4, reason: undefined } });
    expect(checkResolution({ status: 9 }).ok).toBe(false);
    expect(checkResolution({}).ok).toBe(false);
  });

  it("takes a whole config for a new upstream and any of its fields in a patch", () => {
    const config = { baseUrl: "https://s.example/api", uid: "u1", md5key: "a".repeat(32) };
    expect(checkNewChannel({ code: "up_1", kind: "upstream", config })).toEqual({ ok: true, value: { code: "up_1", kind: "upstream", config } });
    expect(checkNewChannel({ code: "up_1", kind: "upstream", config: { baseUrl: config.baseUrl, md5key: config.md5key } })).toEqual({ ok: false, error: "config: uid is required for an upstream channel" });
    expect(checkChannelPatch({ config: { md5key: "b".repeat(32) } }, "upstream")).toEqual({ ok: true, value: { config: { md5key: "b".repeat(32) } } });
    expect(checkChannelPatch({ config: {} }, "manual")).toEqual({ ok: false, error: "config is only for upstream channels, not manual" });
    expect(checkChannelPatch({ kind: "upstream" }, "upstream")).toEqual({ ok: false, error: "kind cannot be changed" });
  });

  it("lets a channel patch reset the circuit, and do nothing else with it; a new channel has no such field", () => {
    expect(checkChannelPatch({ circuit: "closed" }, "manual")).toEqual({ ok: true, value: { circuit: "closed" } });
    for (const circuit of ["open", "half_open", null, true]) {
      expect(checkChannelPatch({ circuit }, "manual")).toEqual({ ok: false, error: 'circuit can only be set to "closed" (a reset)' });
    }
    expect(checkNewChannel({ code: "x", kind: "manual", circuit: "closed" })).toEqual({ ok: false, error: "unknown field circuit" });
  });

  it("gives a bare route channel its position as tier and weight 1", () => {
    const checked = checkNewRoute({ channels: ["a", { code: "b", weight: 2 }, { code: "c", tier: 0 }], faceValues: null });
    expect(checked).toEqual({
      ok: true,
      value: { faceValues: null, channels: [{ code: "a", tier: 0, weight: 1 }, { code: "b", tier: 1, weight: 2 }, { code: "c", tier: 0, weight: 1 }] },
    });
    expect(checkRoutePatch({ priority: 3 })).toEqual({ ok: true, value: { priority: 3 } });
    expect(checkRoutePatch({ channels: ["a", "a"] }).ok).toBe(false);
    expect(checkNewRoute({ priority: 3 })).toEqual({ ok: false, error: "channels is required" });
  });
});
