/**
 * Which body format a Content-Type header asks for (PROTOCOL §1): form or JSON, UTF-8 only.
 * Lenient about case, whitespace and unrelated parameters; strict about the charset.
 */
import { memoized } from "./memo";

export type BodyFormat = "form" | "json";

export function bodyFormatOf(contentType: string | undefined): BodyFormat | null {
  if (contentType === undefined) return null;
  // A client sends the same header with every request; an odd long one is read without being kept.
  return contentType.length <= 128 ? formatMemo(contentType) : formatOf(contentType);
}

const formatMemo = memoized(formatOf, 64);

function formatOf(contentType: string): BodyFormat | null {
  const [mediaType = "", ...params] = contentType.split(";");
  const format = FORMATS.get(mediaType.trim().toLowerCase());
  if (format === undefined) return null;
  for (const param of params) {
    const eq = param.indexOf("=");
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (name !== "charset") continue; // other parameters do not change how we read the bytes
    let value = eq < 0 ? "" : param.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!UTF8_NAMES.has(value.toLowerCase())) return null;
  }
  return format;
}

const FORMATS = new Map<string, BodyFormat>([
  ["application/x-www-form-urlencoded", "form"],
  ["application/json", "json"],
]);

const UTF8_NAMES = new Set(["utf-8", "utf8"]);
