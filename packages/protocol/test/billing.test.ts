import { settlementIncome, shanghaiMidnight } from "../src";

describe("shanghaiMidnight", () => {
  test("the document's example: 1614058382000 → 1614009600000", () => {
    expect(shanghaiMidnight(1614058382000)).toBe(1614009600000);
  });

  test("1614009600000 is 2021-02-23T00:00 in Shanghai", () => {
    expect(new Date(1614009600000).toISOString()).toBe("2021-02-22T16:00:00.000Z");
  });

  test("day boundaries are at 16:00 UTC", () => {
    const midnight = Date.UTC(2024, 0, 1, 16, 0, 0); // 2024-01-02 00:00 +08:00
    expect(shanghaiMidnight(midnight)).toBe(midnight);
    expect(shanghaiMidnight(midnight - 1)).toBe(midnight - 86_400_000);
    expect(shanghaiMidnight(midnight + 86_400_000 - 1)).toBe(midnight);
    // 07:59 UTC on Jan 1 is already 15:59 in Shanghai on Jan 1
    expect(shanghaiMidnight(Date.UTC(2024, 0, 1, 7, 59))).toBe(Date.UTC(2023, 11, 31, 16));
  });

  test("agrees with the platform's time zone database on sample instants", () => {
    const fmt = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
    for (let t = Date.UTC(2000, 0, 1); t < Date.UTC(2040, 0, 1); t += 7_777_777_777) {
      const m = shanghaiMidnight(t);
      expect(fmt.format(new Date(m))).toBe(fmt.format(new Date(t)));
      expect(fmt.format(new Date(m - 1))).not.toBe(fmt.format(new Date(t)));
      expect(t - m).toBeGreaterThanOrEqual(0);
      expect(t - m).toBeLessThan(86_400_000);
    }
  });

  test("before the epoch", () => {
    expect(shanghaiMidnight(-1)).toBe(-28_800_000);
    expect(shanghaiMidnight(-28_800_000)).toBe(-28_800_000);
    expect(shanghaiMidnight(-28_800_001)).toBe(-28_800_000 - 86_400_000);
  });

  test.each([1.5, Number.NaN, Infinity])("%p is a programming error", (t) => {
    expect(() => shanghaiMidnight(t)).toThrow(TypeError);
  });
});

describe("settlementIncome", () => {
  test("the document's example: 1200 at 9900 bp → 1188", () => {
    expect(settlementIncome(1200, 9900)).toBe(1188);
  });
  test("rounds down", () => {
    expect(settlementIncome(999, 9999)).toBe(998); // 998.9001
    expect(settlementIncome(1, 9999)).toBe(0);
  });
  test("10000 bp is the face value", () => {
    expect(settlementIncome(100000, 10000)).toBe(100000);
  });
  test("exact on large values", () => {
    expect(settlementIncome(999_999_999_999_999, 9999)).toBe(999_899_999_999_999);
  });
  test.each([
    [1.5, 10000],
    [-1, 10000],
    [100, 0.5],
    [100, -1],
  ])("(%p, %p) is a programming error", (fv, bp) => {
    expect(() => settlementIncome(fv, bp)).toThrow(TypeError);
  });
});
