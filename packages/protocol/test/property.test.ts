import fc from "fast-check";
import {
  MAX_JSON_DEPTH,
  Msg,
  parseJson,
  parseRequestBody,
  validateBalanceQuery,
  validateOrderPush,
  validateOrderQuery,
  type FieldValue,
  type JsonValue,
  type RequestFields,
} from "../src";
import { FORM, JSON_TYPE } from "./helpers";

const RUNS = { numRuns: 500 };

const CONTENT_TYPES = [FORM, JSON_TYPE, `${JSON_TYPE}; charset=utf-8`, "text/plain", undefined];

const PUSH_FIELDS = ["uid", "order_no", "order_type", "mobile_type", "phone_number", "face_value", "notify_url", "sign"];
const KNOWN_MESSAGES = new Set(PUSH_FIELDS.flatMap((f) => [Msg.missing(f), Msg.malformed(f)]));

/** Runs all three validators; each must return a known message or a value, never throw. */
function validateAll(fields: RequestFields): void {
  for (const validate of [validateOrderPush, validateBalanceQuery, validateOrderQuery]) {
    const r = validate(fields);
    if (!r.ok) expect(KNOWN_MESSAGES.has(r.msg)).toBe(true);
  }
}

function parseAndValidate(contentType: string | undefined, body: Buffer): void {
  const r = parseRequestBody(contentType, body);
  if (r.ok) validateAll(r.fields);
  else expect(r.msg).toBe(Msg.unsupportedFormat);
}

/** Characters that make up JSON and form syntax, so random strings often get deep into the parsers. */
const jsonish = fc.string({
  unit: fc.constantFrom(
    ..."{}[],:\"\\ \t\n0123456789-+.eEtrufalsn/bu%=&".split(""),
    '"uid"',
    '"face_value"',
    "\\u00",
    "\\ud83d",
    "\\ude00",
    "1e2",
    "null",
    "你",
    "\ud83d",
    "\u0000",
  ),
  maxLength: 80,
});

describe("never throws", () => {
  test("arbitrary bytes under every content type", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...CONTENT_TYPES), (bytes, ct) => {
        parseAndValidate(ct, Buffer.from(bytes));
      }),
      RUNS,
    );
  });

  test("arbitrary JSON-ish and form-ish text", () => {
    fc.assert(
      fc.property(jsonish, fc.constantFrom(FORM, JSON_TYPE), (text, ct) => {
        parseAndValidate(ct, Buffer.from(text, "utf8"));
        const wrapped = `{${text}}`;
        parseAndValidate(JSON_TYPE, Buffer.from(wrapped, "utf8"));
        expect(() => parseJson(text)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  test("arbitrary content-type headers", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (ct) => {
        const r = parseRequestBody(ct, Buffer.from("{}"));
        expect(r.ok || r.msg === Msg.unsupportedFormat).toBe(true);
      }),
      RUNS,
    );
  });

  const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
    fc.string({ unit: "binary", maxLength: 40 }).map((value) => ({ kind: "string" as const, value })),
    fc.stringMatching(/^-?(0|[1-9][0-9]{0,20})(\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?$/).map((raw) => ({ kind: "number" as const, raw })),
    fc.constantFrom<FieldValue>({ kind: "null" }, { kind: "invalid" }, { kind: "duplicate" }),
    fc.constantFrom("1", "2", "4", "100", "13999999999", "http://a.example/", "0".repeat(32)).map((value) => ({ kind: "string" as const, value })),
  );

  test("arbitrary field maps", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...PUSH_FIELDS, "x"), fieldValue), (dict) => {
        validateAll(new Map(Object.entries(dict)));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- agreement with JSON.parse ----

type Plain = null | boolean | number | string | Plain[] | { entries: [string, Plain][] };

/** Ours → a comparable shape. Duplicate keys: the last one wins, like JSON.parse. */
function fromOurs(v: JsonValue): Plain {
  switch (v.type) {
    case "null":
      return null;
    case "boolean":
    case "string":
      return v.value;
    case "number":
      return Number(v.raw);
    case "array":
      return v.items.map(fromOurs);
    case "object": {
      const last = new Map<string, Plain>();
      for (const m of v.members) last.set(m.key, fromOurs(m.value));
      return { entries: [...last.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
    }
  }
}

function fromJsonParse(v: unknown): Plain {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(fromJsonParse);
  const entries = Object.entries(v as object).map(([k, x]) => [k, fromJsonParse(x)] as [string, Plain]);
  return { entries: entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}

function depthOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** Every number's raw text in our tree, in document order. */
function rawNumbers(v: JsonValue, out: string[] = []): string[] {
  if (v.type === "number") out.push(v.raw);
  else if (v.type === "array") v.items.forEach((x) => rawNumbers(x, out));
  else if (v.type === "object") v.members.forEach((m) => rawNumbers(m.value, out));
  return out;
}

const LONE_SURROGATE_ESCAPE = /\\u(?:d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|d[c-f][0-9a-f]{2})/i;
const LONE_SURROGATE_RAW = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const hasLoneSurrogate = (text: string) => LONE_SURROGATE_ESCAPE.test(text) || LONE_SURROGATE_RAW.test(text);

describe("parseJson agrees with JSON.parse", () => {
  const value = fc.jsonValue({ maxDepth: 6, stringUnit: "binary" });

  test("on any valid JSON text (compact and pretty), with numbers' raw text exactly as written", () => {
    fc.assert(
      fc.property(value, fc.boolean(), (v, pretty) => {
        const text = pretty ? JSON.stringify(v, null, 2) : JSON.stringify(v);
        const ours = parseJson(text);
        if (!ours.ok) throw new Error(`refused ${text}: ${ours.error}`);
        expect(fromOurs(ours.value)).toEqual(fromJsonParse(JSON.parse(text)));
        expect(ours.value.type === "object" ? ours.value.duplicateKeys.size : 0).toBe(0);
        // Raw number text is the number's own serialisation, digit for digit.
        const expectedRaw: string[] = [];
        JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && expectedRaw.push(JSON.stringify(x)), x));
        expect(rawNumbers(ours.value).sort()).toEqual(expectedRaw.sort());
      }),
      { numRuns: 1000 },
    );
  });

  test("as a JSON object body, every top-level member becomes the right field", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), value), (obj) => {
        const text = JSON.stringify(obj);
        const r = parseRequestBody(JSON_TYPE, Buffer.from(text, "utf8"));
        if (!r.ok) throw new Error(`refused ${text}`);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        expect([...r.fields.keys()].sort()).toEqual(Object.keys(parsed).sort());
        for (const [k, x] of Object.entries(parsed)) {
          const f = r.fields.get(k);
          if (typeof x === "string") expect(f).toEqual({ kind: "string", value: x });
          else if (typeof x === "number") expect(f).toMatchObject({ kind: "number" });
          else if (x === null) expect(f).toEqual({ kind: "null" });
          else expect(f).toEqual({ kind: "invalid" });
          if (f?.kind === "number") expect(Number(f.raw)).toBe(x);
        }
      }),
      RUNS,
    );
  });

  test("on mutated JSON: we accept only what JSON.parse accepts, and then read the same value", () => {
    const mutated = fc
      .tuple(value, fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(..."{}[],:\"\\ 0-.e".split(""))), { maxLength: 3 }))
      .map(([v, edits]) => {
        let text = JSON.stringify(v);
        for (const [at, op, ch] of edits) {
          const i = text.length === 0 ? 0 : at % (text.length + 1);
          if (op === 0) text = text.slice(0, i) + text.slice(i + 1); // delete
          else if (op === 1) text = text.slice(0, i) + ch + text.slice(i); // insert
          else text = text.slice(0, i) + ch + text.slice(i + 1); // replace
        }
        return text;
      });
    fc.assert(
      fc.property(mutated, (text) => {
        let reference: { ok: true; value: unknown } | { ok: false };
        try {
          reference = { ok: true, value: JSON.parse(text) };
        } catch {
          reference = { ok: false };
        }
        const ours = parseJson(text);
        if (ours.ok) {
          expect(reference.ok).toBe(true);
          if (reference.ok) expect(fromOurs(ours.value)).toEqual(fromJsonParse(reference.value));
        } else if (reference.ok) {
          // Our only stricter rules: lone surrogates and nesting depth.
          expect(hasLoneSurrogate(text) || depthOf(reference.value) > MAX_JSON_DEPTH).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("lone surrogates: JSON.parse accepts them, we refuse (strings must be well-formed)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0xd800, max: 0xdfff }), (unit) => {
        const text = `"\\u${unit.toString(16)}"`;
        expect(() => JSON.parse(text)).not.toThrow();
        expect(parseJson(text).ok).toBe(false);
      }),
      RUNS,
    );
  });
});

describe("form bodies agree with URLSearchParams", () => {
  test("any well-formed strings round-trip through URLSearchParams encoding", () => {
    const str = fc.string({ unit: "binary", maxLength: 20 });
    fc.assert(
      fc.property(fc.dictionary(str, str), (obj) => {
        const body = new URLSearchParams(Object.entries(obj)).toString();
        const r = parseRequestBody(FORM, Buffer.from(body, "utf8"));
        if (!r.ok) throw new Error(`refused ${body}`);
        // An empty key with an empty value encodes as "=" (kept), and every other pair as k=v.
        expect(new Map([...r.fields].map(([k, v]) => [k, v.kind === "string" ? v.value : v.kind]))).toEqual(
          new Map(Object.entries(obj)),
        );
      }),
      RUNS,
    );
  });

  test("on bytes that URLSearchParams reads without substitution, we read the same", () => {
    fc.assert(
      fc.property(jsonish, (text) => {
        const r = parseRequestBody(FORM, Buffer.from(text, "utf8"));
        const reference = [...new URLSearchParams(text)].filter(([k, v]) => !`${k}${v}`.includes("\ufffd"));
        if (!r.ok) return; // malformed escapes, which URLSearchParams keeps as text
        const keys = reference.map(([k]) => k);
        for (const [k, v] of reference) {
          const ours = r.fields.get(k);
          if (keys.indexOf(k) !== keys.lastIndexOf(k)) expect(ours).toEqual({ kind: "duplicate" });
          else expect(ours).toEqual({ kind: "string", value: v });
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("an all-ASCII form body reads as any other", () => {
  // ASCII bodies take a shortcut (components without escapes are cut from the decoded text); one
  // raw non-ASCII field in front sends the same components down the byte-by-byte path.
  const formish = fc.string({ unit: fc.constantFrom(..."ab=&+%0123456789AFEfz".split(""), "%E4%BD%A0", "%C3%A9", "%FF", "%2B", "%26"), maxLength: 60 });
  test("same fields or same refusal with and without a non-ASCII field in front", () => {
    fc.assert(
      fc.property(formish, (text) => {
        const ascii = parseRequestBody(FORM, Buffer.from(text, "latin1"));
        const mixed = parseRequestBody(FORM, Buffer.from(`\u00e9\u00e9=\u4f60&${text}`, "utf8"));
        if (!ascii.ok || !mixed.ok) return expect(mixed.ok).toBe(ascii.ok);
        if (ascii.fields.has("\u00e9\u00e9")) return; // the body itself names the extra field
        const rest = new Map(mixed.fields);
        expect(rest.get("\u00e9\u00e9")).toEqual({ kind: "string", value: "\u4f60" });
        rest.delete("\u00e9\u00e9");
        expect(rest).toEqual(ascii.fields);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("form and JSON bodies of the same valid push validate identically", () => {
  const push = fc.record({
    uid: fc.stringMatching(/^[0-9A-Za-z_-]{1,32}$/),
    order_no: fc.stringMatching(/^[0-9A-Za-z_-]{1,64}$/),
    order_type: fc.integer({ min: 1, max: 4 }),
    mobile_type: fc.integer({ min: 1, max: 3 }),
    phone_number: fc.stringMatching(/^1[3-9][0-9]{9}$/),
    face_value: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).filter((n) => String(n).length <= 15),
    notify_url: fc.webUrl({ validSchemes: ["http", "https"] }).filter((u) => u.length <= 512 && !u.includes("@")),
    sign: fc.stringMatching(/^[0-9a-fA-F]{32}$/),
  });

  test("Int fields as JSON integers or strings; all fields as form strings", () => {
    fc.assert(
      fc.property(push, fc.boolean(), (p, intsAsStrings) => {
        const strings = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)]));
        const formBody = new URLSearchParams(strings).toString();
        const jsonBody = JSON.stringify(intsAsStrings ? strings : p);
        const a = validateOrderPush(parseOk(FORM, formBody));
        const b = validateOrderPush(parseOk(JSON_TYPE, jsonBody));
        expect(a).toEqual(b);
        expect(a).toEqual({
          ok: true,
          value: {
            uid: p.uid,
            orderNo: p.order_no,
            orderType: p.order_type,
            mobileType: p.mobile_type,
            phoneNumber: p.phone_number,
            faceValue: p.face_value,
            notifyUrl: p.notify_url,
            sign: p.sign,
          },
        });
      }),
      RUNS,
    );
  });
});

function parseOk(ct: string, body: string): RequestFields {
  const r = parseRequestBody(ct, Buffer.from(body, "utf8"));
  if (!r.ok) throw new Error(`refused ${body}`);
  return r.fields;
}
