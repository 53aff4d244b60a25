import { carrierContradicts, carrierOfNumber } from "../src";

const num = (prefix: string) => prefix + "0".repeat(11 - prefix.length);

describe("carrierOfNumber", () => {
  test.each([
    "134", "135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157", "158", "159",
    "165", "178", "182", "183", "184", "187", "188", "195", "197", "198",
  ])("%s → 中国移动 (1)", (segment) => {
    expect(carrierOfNumber(num(segment))).toBe(1);
  });

  test.each(["130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175", "176", "185", "186", "196"])(
    "%s → 中国联通 (2)",
    (segment) => {
      expect(carrierOfNumber(num(segment))).toBe(2);
    },
  );

  test.each(["133", "149", "153", "162", "173", "177", "180", "181", "189", "190", "191", "193", "199"])(
    "%s → 中国电信 (3)",
    (segment) => {
      expect(carrierOfNumber(num(segment))).toBe(3);
    },
  );

  test.each([
    ["1700", 3],
    ["1701", 3],
    ["1702", 3],
    ["1703", 1],
    ["1705", 1],
    ["1706", 1],
    ["1704", 2],
    ["1707", 2],
    ["1708", 2],
    ["1709", 2],
    ["1340", 1],
    ["1348", 1],
  ])("virtual / split segment %s resolves by its 4th digit → %p", (prefix, carrier) => {
    expect(carrierOfNumber(num(prefix))).toBe(carrier);
  });

  test.each([
    ["1349", "satellite"],
    ["192", "中国广电"],
    ["174", "satellite / emergency"],
    ["140", "IoT"],
    ["141", "IoT"],
    ["144", "IoT"],
    ["154", "unassigned"],
    ["160", "unassigned"],
    ["161", "unassigned"],
    ["163", "unassigned"],
    ["164", "unassigned"],
    ["168", "unassigned"],
    ["169", "unassigned"],
    ["172", "not a public mobile segment"],
    ["179", "unassigned"],
    ["194", "unassigned"],
  ])("%s (%s) → unknown", (prefix) => {
    expect(carrierOfNumber(num(prefix))).toBeNull();
  });

  test.each(["", "1380000000", "138000000000", "12000000000", "1380000000a", "+8613800000000", " 13800000000"])(
    "not a mainland mobile number %j → unknown",
    (phone) => {
      expect(carrierOfNumber(phone)).toBeNull();
    },
  );

  test("every valid number gets an answer without throwing", () => {
    for (let seg = 130; seg <= 199; seg++) {
      for (let d = 0; d <= 9; d++) {
        const c = carrierOfNumber(`${seg}${d}0000000`);
        expect(c === null || c === 1 || c === 2 || c === 3).toBe(true);
      }
    }
  });
});

describe("carrierContradicts", () => {
  test("the document's example 13999999999 is 中国移动", () => {
    expect(carrierContradicts("13999999999", 1)).toBe(false);
    expect(carrierContradicts("13999999999", 2)).toBe(true);
    expect(carrierContradicts("13999999999", 3)).toBe(true);
  });

  test("matches are fine", () => {
    expect(carrierContradicts("13000000000", 2)).toBe(false);
    expect(carrierContradicts("18900000000", 3)).toBe(false);
    expect(carrierContradicts("17030000000", 1)).toBe(false);
  });

  test("an unknown segment never contradicts", () => {
    for (const t of [1, 2, 3]) {
      expect(carrierContradicts("19200000000", t)).toBe(false);
      expect(carrierContradicts("13490000000", t)).toBe(false);
      expect(carrierContradicts("not a phone", t)).toBe(false);
    }
  });

  test("a known segment contradicts an out-of-range mobile_type", () => {
    expect(carrierContradicts("13800000000", 4)).toBe(true);
  });
});
