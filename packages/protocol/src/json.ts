/**
 * A small strict JSON parser (RFC 8259 grammar) for request bodies.
 *
 * Why not JSON.parse: it silently keeps the last of duplicate keys, turns numbers into doubles
 * (so `1e2`, `100.0` and `100` become indistinguishable and long digit strings lose precision),
 * and recurses without a depth limit. This parser keeps each number's source text, records
 * duplicate keys, caps nesting depth, and is iterative so hostile input cannot blow the stack.
 * Strings must be well-formed Unicode (no lone surrogates, raw or escaped — as I-JSON requires),
 * so every string that leaves here can be stored and hashed as UTF-8 without loss.
 */

export type JsonValue =
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "number"; readonly raw: string }
  | { readonly type: "boolean"; readonly value: boolean }
  | { readonly type: "null" }
  | { readonly type: "array"; readonly items: readonly JsonValue[] }
  | JsonObject;

export interface JsonObject {
  readonly type: "object";
  /** Members in source order, duplicates included. */
  readonly members: readonly JsonMember[];
  /** Keys (after unescaping) that occur more than once in this object. */
  readonly duplicateKeys: ReadonlySet<string>;
}

export interface JsonMember {
  readonly key: string;
  readonly value: JsonValue;
}

export type JsonParseResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly error: string; readonly position: number };

/** Containers nested deeper than this are refused (the top-level object is depth 1). */
export const MAX_JSON_DEPTH = 32;

interface ObjectFrame {
  kind: "object";
  members: JsonMember[];
  keys: Set<string>;
  duplicateKeys: Set<string>;
  pendingKey: string;
}

interface ArrayFrame {
  kind: "array";
  items: JsonValue[];
}

type Frame = ObjectFrame | ArrayFrame;

class JsonSyntaxError {
  constructor(
    readonly error: string,
    readonly position: number,
  ) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export function parseJson(text: string, maxDepth: number = MAX_JSON_DEPTH): JsonParseResult {
  try {
    return { ok: true, value: new Parser(text, maxDepth).parseDocument() };
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { ok: false, error: e.error, position: e.position };
    throw e;
  }
}

class Parser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    const stack: Frame[] = [];
    this.skipWhitespace();
    for (;;) {
      // Expecting a value: either a scalar, an empty container, or the start of a container.
      let value = this.parseValueOrOpen(stack);
      if (value === undefined) continue; // a container was opened; parse its first element

      // A complete value: attach it to enclosing containers, closing them as far as they end.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) {
          this.skipWhitespace();
          if (this.pos !== this.text.length) this.fail("unexpected text after the JSON value");
          return value;
        }
        if (frame.kind === "object") this.addMember(frame, value);
        else frame.items.push(value);

        this.skipWhitespace();
        const c = this.text[this.pos];
        if (c === ",") {
          this.pos++;
          this.skipWhitespace();
          if (frame.kind === "object") this.readMemberKey(frame);
          break; // next element
        }
        if ((frame.kind === "object" && c === "}") || (frame.kind === "array" && c === "]")) {
          this.pos++;
          stack.pop();
          value =
            frame.kind === "object"
              ? { type: "object", members: frame.members, duplicateKeys: frame.duplicateKeys }
              : { type: "array", items: frame.items };
          continue;
        }
        this.fail(frame.kind === "object" ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  /** Returns the parsed value, or undefined after pushing a non-empty container onto the stack. */
  private parseValueOrOpen(stack: Frame[]): JsonValue | undefined {
    const c = this.text[this.pos];
    switch (c) {
      case "{": {
        if (stack.length >= this.maxDepth) this.fail("nesting too deep");
        this.pos++;
        this.skipWhitespace();
        if (this.text[this.pos] === "}") {
          this.pos++;
          return { type: "object", members: [], duplicateKeys: new Set() };
        }
        const frame: ObjectFrame = { kind: "object", members: [], keys: new Set(), duplicateKeys: new Set(), pendingKey: "" };
        this.readMemberKey(frame);
        stack.push(frame);
        return undefined;
      }
      case "[": {
        if (stack.length >= this.maxDepth) this.fail("nesting too deep");
        this.pos++;
        this.skipWhitespace();
        if (this.text[this.pos] === "]") {
          this.pos++;
          return { type: "array", items: [] };
        }
        stack.push({ kind: "array", items: [] });
        return undefined;
      }
      case '"':
        return { type: "string", value: this.parseString() };
      case "t":
        this.expectLiteral("true");
        return { type: "boolean", value: true };
      case "f":
        this.expectLiteral("false");
        return { type: "boolean", value: false };
      case "n":
        this.expectLiteral("null");
        return { type: "null" };
      default: {
        NUMBER.lastIndex = this.pos;
        const m = NUMBER.exec(this.text);
        if (m === null) this.fail(c === undefined ? "unexpected end of input" : "unexpected character");
        this.pos += m[0].length;
        return { type: "number", raw: m[0] };
      }
    }
  }

  /** Reads `"key" :` and leaves the parser in front of the member's value. */
  private readMemberKey(frame: ObjectFrame): void {
    if (this.text[this.pos] !== '"') this.fail("expected a string key");
    frame.pendingKey = this.parseString();
    this.skipWhitespace();
    if (this.text[this.pos] !== ":") this.fail("expected ':'");
    this.pos++;
    this.skipWhitespace();
  }

  private addMember(frame: ObjectFrame, value: JsonValue): void {
    const key = frame.pendingKey;
    if (frame.keys.has(key)) frame.duplicateKeys.add(key);
    else frame.keys.add(key);
    frame.members.push({ key, value });
  }

  private expectLiteral(word: string): void {
    if (!this.text.startsWith(word, this.pos)) this.fail("invalid literal");
    this.pos += word.length;
  }

  private skipWhitespace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  /** Parses a string starting at the opening quote; returns its unescaped value. */
  private parseString(): string {
    const t = this.text;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.fail("unterminated string");
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        out += t.slice(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === 0x5c) {
        out += t.slice(runStart, this.pos);
        out += this.parseEscape();
        runStart = this.pos;
        continue;
      }
      if (c < 0x20) this.fail("control character in string");
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = t.charCodeAt(this.pos + 1); // NaN past the end
        if (!(next >= 0xdc00 && next <= 0xdfff)) this.fail("lone surrogate in string");
        this.pos += 2;
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) this.fail("lone surrogate in string");
      this.pos++;
    }
  }

  /** Parses an escape starting at the backslash; a \u surrogate pair is consumed whole. */
  private parseEscape(): string {
    const t = this.text;
    const e = t[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "/":
        return "/";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "u": {
        const unit = this.readHex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) this.fail("lone surrogate escape");
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (t[this.pos] !== "\\" || t[this.pos + 1] !== "u") this.fail("lone surrogate escape");
          this.pos += 2;
          const low = this.readHex4();
          if (!(low >= 0xdc00 && low <= 0xdfff)) this.fail("lone surrogate escape");
          return String.fromCharCode(unit, low);
        }
        return String.fromCharCode(unit);
      }
      default:
        this.pos -= 1;
        return this.fail("invalid escape");
    }
  }

  private readHex4(): number {
    const hex = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("invalid \\u escape");
    this.pos += 4;
    return parseInt(hex, 16);
  }

  private fail(error: string): never {
    throw new JsonSyntaxError(error, this.pos);
  }
}
