import { bodyFormatOf, Msg, parseRequestBody, type FieldValue } from "../src";
import { form, FORM, json, JSON_TYPE } from "./helpers";

const UNSUPPORTED = { ok: false, msg: "不支持的请求格式" };
const str = (value: string): FieldValue => ({ kind: "string", value });

describe("content type", () => {
  test.each([
    ["application/x-www-form-urlencoded", "form"],
    ["application/x-www-form-urlencoded; charset=UTF-8", "form"],
    ["APPLICATION/X-WWW-FORM-URLENCODED;CHARSET=utf-8", "form"],
    ["application/json", "json"],
    ["application/json; charset=utf-8", "json"],
    ["application/json;charset=utf8", "json"],
    ['application/json; charset="UTF-8"', "json"],
    ["  Application/Json  ;  charset = UTF-8  ", "json"],
    ["application/json; boundary=x; foo", "json"],
  ])("%s → %s", (ct, format) => {
    expect(bodyFormatOf(ct)).toBe(format);
  });

  test.each([
    [undefined],
    [""],
    ["text/plain"],
    ["text/json"],
    ["application/xml"],
    ["multipart/form-data; boundary=abc"],
    ["application/jsonp"],
    ["application/json-patch+json"],
    ["application/x-www-form-urlencoded-x"],
    ["application/json; charset=gbk"],
    ["application/x-www-form-urlencoded; charset=GB2312"],
    ["application/json; charset=iso-8859-1"],
    ["application/json; charset=utf-16"],
    ["application/json; charset="],
    ["application/json; charset"],
    ["application/json; charset=utf-8; charset=gbk"],
  ])("%s is refused with 不支持的请求格式", (ct) => {
    expect(bodyFormatOf(ct)).toBeNull();
    expect(parseRequestBody(ct, Buffer.from('{"uid":"1"}'))).toEqual(UNSUPPORTED);
  });

  test("the refusal message is Msg.unsupportedFormat", () => {
    expect(parseRequestBody("text/plain", Buffer.alloc(0))).toEqual({ ok: false, msg: Msg.unsupportedFormat });
  });
});

describe("form bodies", () => {
  test("fields, + as space, percent escapes as UTF-8 bytes", () => {
    const f = form("uid=3928857&notify_url=http%3A%2F%2Fa.example%2Fcb%3Fx%3D1%26y%3D2&name=a+b%20c&zh=%E4%BD%A0%e5%a5%bd&raw=你好");
    expect(f.get("uid")).toEqual(str("3928857"));
    expect(f.get("notify_url")).toEqual(str("http://a.example/cb?x=1&y=2"));
    expect(f.get("name")).toEqual(str("a b c"));
    expect(f.get("zh")).toEqual(str("你好"));
    expect(f.get("raw")).toEqual(str("你好"));
  });

  test("order_no keeps its leading zeros", () => {
    expect(form("order_no=020160427210604000490").get("order_no")).toEqual(str("020160427210604000490"));
  });

  test("keys are decoded too; empty parts are skipped; a part without = has an empty value", () => {
    const f = form("&&order%5Fno=1&&flag&=v&");
    expect([...f.entries()]).toEqual([
      ["order_no", str("1")],
      ["flag", str("")],
      ["", str("v")],
    ]);
  });

  test("only the first = splits", () => {
    expect(form("sign=a=b==").get("sign")).toEqual(str("a=b=="));
  });

  test("a literal %2B stays a plus", () => {
    expect(form("x=1%2B1+2").get("x")).toEqual(str("1+1 2"));
  });

  test("a field given twice is a duplicate, whatever the values; others are unaffected", () => {
    const f = form("uid=1&uid=1&sign=x&face_value=100&face_value=200&order_no=&order_no=");
    expect(f.get("uid")).toEqual({ kind: "duplicate" });
    expect(f.get("face_value")).toEqual({ kind: "duplicate" });
    expect(f.get("order_no")).toEqual({ kind: "duplicate" });
    expect(f.get("sign")).toEqual(str("x"));
  });

  test("a duplicate spelled with an escape is still a duplicate", () => {
    expect(form("uid=1&u%69d=2").get("uid")).toEqual({ kind: "duplicate" });
  });

  test("empty body → no fields", () => {
    const r = parseRequestBody(FORM, Buffer.alloc(0));
    expect(r.ok && r.fields.size).toBe(0);
  });

  test("a leading UTF-8 BOM is tolerated", () => {
    const r = parseRequestBody(FORM, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("uid=1")]));
    expect(r.ok && r.fields.get("uid")).toEqual(str("1"));
  });

  test("an escaped BOM inside a value is data", () => {
    expect(form("x=%EF%BB%BFa").get("x")).toEqual(str("\ufeffa"));
  });

  test.each([
    ["raw invalid byte in a value", Buffer.from([0x75, 0x69, 0x64, 0x3d, 0xff])],
    ["raw invalid byte in an ignored field", Buffer.concat([Buffer.from("uid=1&junk="), Buffer.from([0xc3, 0x28])])],
    ["raw overlong encoding", Buffer.concat([Buffer.from("x="), Buffer.from([0xc0, 0xaf])])],
    ["raw encoded surrogate", Buffer.concat([Buffer.from("x="), Buffer.from([0xed, 0xa0, 0x80])])],
    ["raw truncated sequence", Buffer.concat([Buffer.from("x="), Buffer.from([0xe4, 0xbd])])],
  ])("%s → 不支持的请求格式", (_name, body) => {
    expect(parseRequestBody(FORM, body)).toEqual(UNSUPPORTED);
  });

  test.each([
    ["percent-encoded invalid byte", "uid=%FF"],
    ["percent-encoded invalid byte in a key", "%FF=1"],
    ["percent-encoded truncated sequence", "x=%E4%BD"],
    ["percent-encoded overlong", "x=%C0%AF"],
    ["percent-encoded surrogate", "x=%ED%A0%80"],
    ["malformed escape %zz", "uid=%zz"],
    ["escape cut short", "uid=1%2"],
    ["lone percent", "uid=%"],
    ["percent at end of a key", "ui%=1"],
  ])("%s → 不支持的请求格式", (_name, body) => {
    expect(parseRequestBody(FORM, Buffer.from(body, "latin1"))).toEqual(UNSUPPORTED);
  });
});

describe("JSON bodies", () => {
  test("top-level members become fields by JSON type", () => {
    const f = json(
      '{"uid":"3928857","order_type":1,"face_value":1e2,"n":-5.5,"nul":null,"o":{},"a":[1],"t":true,"f":false,"e":""}',
    );
    expect(f.get("uid")).toEqual(str("3928857"));
    expect(f.get("order_type")).toEqual({ kind: "number", raw: "1" });
    expect(f.get("face_value")).toEqual({ kind: "number", raw: "1e2" });
    expect(f.get("n")).toEqual({ kind: "number", raw: "-5.5" });
    expect(f.get("nul")).toEqual({ kind: "null" });
    for (const k of ["o", "a", "t", "f"]) expect(f.get(k)).toEqual({ kind: "invalid" });
    expect(f.get("e")).toEqual(str(""));
  });

  test("long integers keep every digit", () => {
    expect(json('{"order_no":280399999349719680123}').get("order_no")).toEqual({
      kind: "number",
      raw: "280399999349719680123",
    });
  });

  test("duplicate keys become duplicate, including escaped spellings and null/duplicate mixes", () => {
    const f = json(String.raw`{"uid":"1","sign":"s","uid":"1","\u0066ace_value":100,"face_value":null}`);
    expect(f.get("uid")).toEqual({ kind: "duplicate" });
    expect(f.get("face_value")).toEqual({ kind: "duplicate" });
    expect(f.get("sign")).toEqual(str("s"));
  });

  test("nested duplicate keys do not matter (the member is invalid anyway)", () => {
    const f = json('{"x":{"a":1,"a":2},"uid":"1"}');
    expect(f.get("x")).toEqual({ kind: "invalid" });
    expect(f.get("uid")).toEqual(str("1"));
  });

  test("charset-qualified JSON and a leading BOM are accepted", () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"uid":"1"}')]);
    const r = parseRequestBody("application/json; charset=UTF-8", body);
    expect(r.ok && r.fields.get("uid")).toEqual(str("1"));
  });

  test("empty object → no fields", () => {
    expect(json("{}").size).toBe(0);
  });

  test.each([
    ["empty body", ""],
    ["whitespace only", "  "],
    ["array", '[{"uid":"1"}]'],
    ["string", '"uid"'],
    ["number", "1"],
    ["null", "null"],
    ["true", "true"],
    ["invalid JSON", '{"uid":"1",}'],
    ["form body sent as JSON", "uid=1&sign=2"],
    ["two objects", '{"a":1}{"b":2}'],
    ["too deep", '{"a":' + "[".repeat(40) + "]".repeat(40) + "}"],
    ["escaped lone surrogate", String.raw`{"uid":"\ud800"}`],
  ])("%s → 不支持的请求格式", (_name, body) => {
    expect(parseRequestBody(JSON_TYPE, Buffer.from(body))).toEqual(UNSUPPORTED);
  });

  test.each([
    ["raw invalid byte in a string", Buffer.concat([Buffer.from('{"uid":"'), Buffer.from([0xff]), Buffer.from('"}')])],
    ["Latin-1 encoded text", Buffer.from('{"name":"café"}', "latin1")],
    ["UTF-16 encoded", Buffer.from('{"uid":"1"}', "utf16le")],
    ["two BOMs (only one is tolerated)", Buffer.from("\ufeff\ufeff{}")],
  ])("%s → 不支持的请求格式", (_name, body) => {
    expect(parseRequestBody(JSON_TYPE, body)).toEqual(UNSUPPORTED);
  });

  test("31 levels inside the top-level object are fine", () => {
    const f = json('{"a":' + "[".repeat(31) + "]".repeat(31) + ',"uid":"1"}');
    expect(f.get("a")).toEqual({ kind: "invalid" });
    expect(f.get("uid")).toEqual(str("1"));
  });
});

describe("one strict decoder for every body", () => {
  it("reads the next body correctly after one it refused half-way through a character", () => {
    expect(parseRequestBody(FORM, Buffer.from([0x61, 0x3d, 0xe4, 0xbd]))).toEqual(UNSUPPORTED); // a=<first 2 bytes of 你>
    expect(parseRequestBody(FORM, Buffer.from("a=%E4%BD%A0&b=x"))).toEqual({ ok: true, fields: new Map([["a", str("你")], ["b", str("x")]]) });
    expect(parseRequestBody(FORM, Buffer.from("a=%E4%BD"))).toEqual(UNSUPPORTED);
    expect(parseRequestBody(JSON_TYPE, Buffer.from('{"a":"你"}'))).toMatchObject({ ok: true });
  });
});
