import { MAX_JSON_DEPTH, parseJson, type JsonValue } from "../src";

function ok(text: string): JsonValue {
  const r = parseJson(text);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to parse: ${r.error} at ${r.position}`);
  return r.value;
}

function rejects(text: string): void {
  const r = parseJson(text);
  expect(r.ok).toBe(false);
}

describe("parseJson: accepted grammar", () => {
  test("scalars", () => {
    expect(ok("true")).toEqual({ type: "boolean", value: true });
    expect(ok("false")).toEqual({ type: "boolean", value: false });
    expect(ok("null")).toEqual({ type: "null" });
    expect(ok('"abc"')).toEqual({ type: "string", value: "abc" });
  });

  test.each(["0", "-0", "100", "-5", "100.0", "1e2", "1E+2", "1e-2", "0.5", "-0.0e0", "12345678901234567890123"])(
    "number %s keeps its exact source text",
    (raw) => {
      expect(ok(raw)).toEqual({ type: "number", raw });
      expect(ok(` ${raw} `)).toEqual({ type: "number", raw });
    },
  );

  test("whitespace is space, tab, LF and CR around any token", () => {
    expect(ok(' \t\r\n{ "a" \n:\t1 ,\r"b" : [ 1 , 2 ] } \n')).toEqual({
      type: "object",
      members: [
        { key: "a", value: { type: "number", raw: "1" } },
        {
          key: "b",
          value: {
            type: "array",
            items: [
              { type: "number", raw: "1" },
              { type: "number", raw: "2" },
            ],
          },
        },
      ],
      duplicateKeys: new Set(),
    });
  });

  test("empty containers", () => {
    expect(ok("{}")).toEqual({ type: "object", members: [], duplicateKeys: new Set() });
    expect(ok("[ ]")).toEqual({ type: "array", items: [] });
    expect(ok('{"a":{},"b":[]}')).toMatchObject({ type: "object", members: [{ key: "a" }, { key: "b" }] });
  });

  test("all escapes", () => {
    expect(ok(String.raw`"\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \u4F60"`)).toEqual({
      type: "string",
      value: '" \\ / \b \f \n \r \t A é 你',
    });
  });

  test("surrogate pairs, escaped and raw", () => {
    expect(ok(String.raw`"\ud83d\ude00"`)).toEqual({ type: "string", value: "😀" });
    expect(ok('"😀"')).toEqual({ type: "string", value: "😀" });
  });

  test("non-ASCII text is kept as is", () => {
    expect(ok('{"名称":"运营商"}')).toMatchObject({ members: [{ key: "名称", value: { value: "运营商" } }] });
  });

  test("duplicate keys are recorded, compared after unescaping, and all members kept", () => {
    const v = ok(String.raw`{"uid":"1","\u0075id":"2","x":1,"y":2,"x":3}`);
    expect(v.type).toBe("object");
    if (v.type !== "object") return;
    expect([...v.duplicateKeys].sort()).toEqual(["uid", "x"]);
    expect(v.members.map((m) => m.key)).toEqual(["uid", "uid", "x", "y", "x"]);
  });

  test("keys like __proto__ are plain keys", () => {
    const v = ok('{"__proto__":{"polluted":true},"constructor":1}');
    expect(v).toMatchObject({ members: [{ key: "__proto__" }, { key: "constructor" }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("parseJson: refused input", () => {
  test.each([
    ["empty", ""],
    ["only whitespace", "  \n"],
    ["trailing comma in object", '{"a":1,}'],
    ["trailing comma in array", "[1,]"],
    ["leading comma", "[,1]"],
    ["missing colon", '{"a" 1}'],
    ["missing value", '{"a":}'],
    ["unquoted key", "{a:1}"],
    ["single-quoted string", "'a'"],
    ["unterminated string", '"abc'],
    ["unterminated object", '{"a":1'],
    ["unterminated array", "[1,2"],
    ["unbalanced close", '{"a":1]'],
    ["extra close", '{"a":1}}'],
    ["two values", "{} {}"],
    ["leading zero", "0100"],
    ["plus sign", "+1"],
    ["bare fraction", ".5"],
    ["trailing dot", "1."],
    ["empty exponent", "1e"],
    ["hex", "0x10"],
    ["NaN", "NaN"],
    ["Infinity", "-Infinity"],
    ["capitalised literal", "True"],
    ["truncated literal", "nul"],
    ["raw control character in string", '"a\nb"'],
    ["raw NUL in string", '"a\u0000b"'],
    ["invalid escape", String.raw`"\x41"`],
    ["short unicode escape", String.raw`"\u41"`],
    ["non-hex unicode escape", String.raw`"\u00G1"`],
    ["lone high surrogate escape", String.raw`"\ud83d"`],
    ["lone low surrogate escape", String.raw`"\ude00"`],
    ["high surrogate followed by non-surrogate escape", String.raw`"\ud83d\u0041"`],
    ["raw lone high surrogate", '"\ud83d"'],
    ["raw lone low surrogate", '"\ude00x"'],
    ["comment", '{"a":1 /* c */}'],
    ["non-JSON whitespace (NBSP)", '\u00a0{"a":1}'],
    ["BOM inside the text", '\ufeff{"a":1}'],
  ])("%s", (_name, text) => {
    rejects(text);
  });

  test("error position points at the offending character", () => {
    expect(parseJson('{"a":1,}')).toEqual({ ok: false, error: expect.any(String), position: 7 });
  });
});

describe("parseJson: nesting depth", () => {
  const nested = (depth: number, open: string, close: string) => open.repeat(depth) + close.repeat(depth);

  test(`accepts exactly ${MAX_JSON_DEPTH} levels and refuses ${MAX_JSON_DEPTH + 1}`, () => {
    expect(parseJson(nested(MAX_JSON_DEPTH, "[", "]")).ok).toBe(true);
    expect(parseJson(nested(MAX_JSON_DEPTH + 1, "[", "]")).ok).toBe(false);
    const objects = (d: number) => '{"a":'.repeat(d - 1) + "{}" + "}".repeat(d - 1);
    expect(parseJson(objects(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJson(objects(MAX_JSON_DEPTH + 1)).ok).toBe(false);
  });

  test("a custom depth limit applies", () => {
    expect(parseJson("[[1]]", 2).ok).toBe(true);
    expect(parseJson("[[1]]", 1).ok).toBe(false);
  });

  test("hostile depth neither throws nor overflows the stack", () => {
    expect(() => parseJson("[".repeat(1_000_000))).not.toThrow();
    expect(parseJson("[".repeat(1_000_000)).ok).toBe(false);
    // Even with no depth limit the parser is iterative.
    const deep = nested(200_000, "[", "]");
    expect(parseJson(deep, Infinity).ok).toBe(true);
  });

  test("long flat input is fine", () => {
    const many = "[" + Array.from({ length: 100_000 }, (_, i) => String(i)).join(",") + "]";
    const v = parseJson(many);
    expect(v.ok && v.value.type === "array" && v.value.items.length).toBe(100_000);
  });
});
