import { DEFAULT_FACE_VALUE_MAX, DEFAULT_FACE_VALUE_MIN, isFaceValueOffered } from "../src";

describe("isFaceValueOffered", () => {
  test("defaults are 1–1000 元 in fen", () => {
    expect(DEFAULT_FACE_VALUE_MIN).toBe(100);
    expect(DEFAULT_FACE_VALUE_MAX).toBe(100000);
  });

  test.each([null, undefined, []])("no catalogue (%p) offers every whole fen in [100, 100000]", (catalogue) => {
    for (const v of [100, 101, 1000, 5000, 99999, 100000]) expect(isFaceValueOffered(v, catalogue)).toBe(true);
    for (const v of [1, 99, 100001, 1_000_000, 0, -100, 100.5, Number.NaN]) expect(isFaceValueOffered(v, catalogue)).toBe(false);
  });

  test("a catalogue narrows to its members, even outside the default range", () => {
    const catalogue = [1000, 5000, 200000];
    expect(isFaceValueOffered(1000, catalogue)).toBe(true);
    expect(isFaceValueOffered(200000, catalogue)).toBe(true);
    expect(isFaceValueOffered(100, catalogue)).toBe(false);
    expect(isFaceValueOffered(1001, catalogue)).toBe(false);
  });
});
