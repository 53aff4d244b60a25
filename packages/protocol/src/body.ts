/**
 * Request body parsing (PROTOCOL §1): content type + raw bytes → top-level fields.
 * Never throws: anything it cannot read is `不支持的请求格式`. Field rules are applied later
 * (fields.ts), so this layer only keeps enough shape to tell missing, duplicate and wrong-typed apart.
 */
import { bodyFormatOf } from "./content-type";
import { parseJson, type JsonValue } from "./json";
import { Msg } from "./messages";

export type FieldValue =
  | { kind: "string"; value: string }
  | { kind: "number"; raw: string } // a JSON number, as its exact source text
  | { kind: "null" } // JSON null: counts as missing
  | { kind: "invalid" } // JSON object / array / boolean
  | { kind: "duplicate" }; // a form field given twice, or a duplicate key in the JSON object

export type RequestFields = ReadonlyMap<string, FieldValue>;
export type ParseResult = { ok: true; fields: RequestFields } | { ok: false; msg: string };

const UNSUPPORTED: ParseResult = Object.freeze({ ok: false, msg: Msg.unsupportedFormat });
const DUPLICATE: FieldValue = Object.freeze({ kind: "duplicate" });

export function parseRequestBody(contentType: string | undefined, body: Buffer): ParseResult {
  const format = bodyFormatOf(typeof contentType === "string" ? contentType : undefined);
  if (format === null || !(body instanceof Uint8Array)) return UNSUPPORTED;
  const bytes = stripBom(body);
  // The whole body must be UTF-8, even parts that end up ignored.
  const text = decodeUtf8(bytes);
  if (text === null) return UNSUPPORTED;
  const fields = format === "form" ? parseForm(bytes, text) : parseJsonFields(text);
  return fields === null ? UNSUPPORTED : { ok: true, fields };
}

/**
 * Fields as plain text (a JSON number as its source text; JSON null as missing), for messages
 * checked by a sign rather than by §2's rules (a supplier's callback); null when a field is given
 * twice or is not a string or number.
 */
export function plainFields(fields: RequestFields): Record<string, string> | null {
  const plain: Record<string, string> = {};
  for (const [name, field] of fields) {
    if (field.kind === "string") plain[name] = field.value;
    else if (field.kind === "number") plain[name] = field.raw;
    else if (field.kind !== "null") return null;
  }
  return plain;
}

function stripBom(body: Uint8Array): Uint8Array {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
}

/** One decoder for the process: decode() without `stream` keeps no state between calls, and making a TextDecoder costs more than decoding a field. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strict UTF-8: invalid sequences are refused, not replaced; a BOM is not stripped here. */
function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

// ---- application/x-www-form-urlencoded ----

const AMP = 0x26;
const EQ = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const SPACE = 0x20;

/**
 * Works on bytes: percent escapes are decoded to bytes first and only then read as UTF-8,
 * so `%E4%BD%A0` is 你 and `%FF` is refused (URLSearchParams would silently substitute U+FFFD).
 * `text` is the whole body already decoded: when it is all ASCII (as long as the bytes), a
 * component without escapes is the same characters at the same offsets, taken from it as is —
 * the common case, which then costs no copy and no decoder call.
 */
function parseForm(bytes: Uint8Array, text: string): Map<string, FieldValue> | null {
  const asciiText = text.length === bytes.length ? text : null;
  const fields = new Map<string, FieldValue>();
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(AMP, start);
    if (end < 0) end = bytes.length;
    if (end > start) {
      let eq = start;
      while (eq < end && bytes[eq] !== EQ) eq++;
      const key = formComponent(bytes, asciiText, start, eq);
      const value = formComponent(bytes, asciiText, eq < end ? eq + 1 : end, end);
      if (key === null || value === null) return null;
      fields.set(key, fields.has(key) ? DUPLICATE : { kind: "string", value });
    }
    start = end + 1;
  }
  return fields;
}

/** bytes[from, to) decoded; `asciiText` is the body's text when it is all ASCII, else null. */
function formComponent(bytes: Uint8Array, asciiText: string | null, from: number, to: number): string | null {
  if (asciiText !== null) {
    const raw = asciiText.slice(from, to);
    if (!raw.includes("%") && !raw.includes("+")) return raw;
  }
  return decodeFormComponent(bytes.subarray(from, to));
}

function decodeFormComponent(raw: Uint8Array): string | null {
  if (raw.indexOf(PERCENT) < 0 && raw.indexOf(PLUS) < 0) return decodeUtf8(raw); // nothing to unescape: no copy
  const out = new Uint8Array(raw.length); // decoding never grows the byte count
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === PLUS) {
      out[n++] = SPACE;
    } else if (b === PERCENT) {
      const hi = hexValue(raw[i + 1]);
      const lo = hexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) return null; // a malformed escape is not silently kept as text
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  return decodeUtf8(out.subarray(0, n));
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

// ---- application/json ----

function parseJsonFields(text: string): Map<string, FieldValue> | null {
  const parsed = parseJson(text);
  if (!parsed.ok || parsed.value.type !== "object") return null;
  const object = parsed.value;
  const fields = new Map<string, FieldValue>();
  for (const { key, value } of object.members) {
    fields.set(key, object.duplicateKeys.has(key) ? DUPLICATE : fieldValueOf(value));
  }
  return fields;
}

function fieldValueOf(value: JsonValue): FieldValue {
  switch (value.type) {
    case "string":
      return { kind: "string", value: value.value };
    case "number":
      return { kind: "number", raw: value.raw };
    case "null":
      return { kind: "null" };
    default:
      return { kind: "invalid" };
  }
}
