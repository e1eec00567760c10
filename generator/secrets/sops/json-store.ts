// JSON documents as sops reads and writes them (stores/json/store.go). Our own small parser keeps
// what JSON.parse loses: key order for integer-like keys and int (`7`) versus float (`7.0`).
// Output follows Go: `json.Indent` of sops' compact encoding, HTML-safe escapes, final newline.

import { SopsMap, type SopsValue } from "./tree.js";
import { SopsFormatError } from "./yaml-store.js";

export function parseJson(text: string): SopsMap {
  const p = new JsonParser(text);
  p.ws();
  if (p.peek() !== "{") {
    throw p.error("sops only supports JSON files with a top-level object (starting with '{')");
  }
  const v = p.value();
  p.ws();
  if (p.i < text.length) throw p.error("unexpected data after the top-level object");
  return v as SopsMap;
}

class JsonParser {
  i = 0;
  constructor(readonly s: string) {}

  peek(): string | undefined {
    return this.s[this.i];
  }

  ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i] as string)) this.i++;
  }

  error(msg: string): SopsFormatError {
    const before = this.s.slice(0, this.i);
    const line = before.split("\n").length;
    const column = this.i - before.lastIndexOf("\n");
    return new SopsFormatError(`invalid JSON: ${msg}`, line, column);
  }

  value(): SopsValue {
    this.ws();
    const c = this.peek();
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "t" && this.s.startsWith("true", this.i)) return ((this.i += 4), true);
    if (c === "f" && this.s.startsWith("false", this.i)) return ((this.i += 5), false);
    if (c === "n" && this.s.startsWith("null", this.i)) return ((this.i += 4), null);
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (m && m[0].length > 0) {
      this.i += m[0].length;
      // sops (json.Number): integers in the int64 range are ints, everything else float64.
      if (m[2] === undefined && m[3] === undefined) {
        const b = BigInt(m[0]);
        if (b >= -(2n ** 63n) && b < 2n ** 63n) return b;
      }
      return Number(m[0]);
    }
    throw this.error(
      c === undefined ? "unexpected end of input" : `unexpected character ${JSON.stringify(c)}`,
    );
  }

  object(): SopsMap {
    this.i++; // {
    const m = new SopsMap();
    const seen = new Set<string>();
    this.ws();
    if (this.peek() === "}") return (this.i++, m);
    for (;;) {
      this.ws();
      if (this.peek() !== '"') throw this.error("expected an object key");
      const k = this.string();
      this.ws();
      if (this.peek() !== ":") throw this.error("expected ':'");
      this.i++;
      const v = this.value();
      // Go's decoder keeps both; sops then keeps both too. A duplicate is almost surely a mistake.
      if (seen.has(k)) throw this.error(`duplicate key ${JSON.stringify(k)}`);
      seen.add(k);
      m.entries.push([k, v]);
      this.ws();
      const c = this.peek();
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === "}") return (this.i++, m);
      throw this.error("expected ',' or '}'");
    }
  }

  array(): SopsValue[] {
    this.i++; // [
    const a: SopsValue[] = [];
    this.ws();
    if (this.peek() === "]") return (this.i++, a);
    for (;;) {
      a.push(this.value());
      this.ws();
      const c = this.peek();
      if (c === ",") {
        this.i++;
        continue;
      }
      if (c === "]") return (this.i++, a);
      throw this.error("expected ',' or ']'");
    }
  }

  string(): string {
    const start = this.i;
    this.i++; // "
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) throw this.error("unterminated string");
      if (c === "\\") {
        this.i += 2;
        continue;
      }
      if (c === '"') break;
      if (c < " ") throw this.error("control character in string");
      this.i++;
    }
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      throw this.error("invalid string escape");
    }
  }
}

/** sops' JSON output: Go's `json.Indent(compact, "", indent)` plus a newline. Default indent is a tab. */
export function emitJson(branch: SopsMap, indent: number | undefined = undefined): string {
  const unit = indent === undefined || indent < 0 ? "\t" : " ".repeat(indent);
  return `${encode(branch, "", unit)}\n`;
}

function encode(v: SopsValue, pad: string, unit: string): string {
  if (v instanceof SopsMap) {
    if (v.entries.length === 0) return "{}";
    const inner = pad + unit;
    return `{\n${v.entries.map(([k, x]) => `${inner}${goJsonString(k)}: ${encode(x, inner, unit)}`).join(",\n")}\n${pad}}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const inner = pad + unit;
    return `[\n${v.map((x) => inner + encode(x, inner, unit)).join(",\n")}\n${pad}]`;
  }
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new SopsFormatError(`JSON cannot hold the float ${v}`);
    return String(v);
  }
  return goJsonString(v);
}

/** encoding/json string escaping, including its HTML-safe escapes. */
export function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}"`;
}
