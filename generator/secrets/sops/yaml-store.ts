// YAML documents as sops reads and writes them (stores/yaml/store.go on go-yaml v3).
// Reading: the `yaml` package's AST, so key order, int/float and quoted/plain are all known.
// Writing: our own emitter reproducing go-yaml v3's block layout and scalar styles, because sops'
// output is what users already have committed and a re-encryption must not reformat it.
// YAML comments are not carried (sops encrypts them; we drop them — they are not in the MAC).

import {
  Alias,
  isAlias,
  isMap as isYamlMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
} from "yaml";
import { SopsMap, type SopsValue } from "./tree.js";

export class SopsFormatError extends Error {
  override name = "SopsFormatError";
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

/** Each YAML document becomes one branch (a map), as in sops. */
export function parseYaml(text: string): SopsMap[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    intAsBigInt: true,
    uniqueKeys: true,
    merge: false,
    lineCounter: lc,
  });
  const branches: SopsMap[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      throw new SopsFormatError(`invalid YAML: ${err.message.split("\n")[0]}`, pos?.line, pos?.col);
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && root.value === null)) {
      branches.push(new SopsMap());
      continue;
    }
    if (!isYamlMap(root))
      throw new SopsFormatError("YAML documents that are not mappings are not supported");
    branches.push(nodeToValue(root, doc, lc) as SopsMap);
  }
  return branches;
}

function nodeToValue(node: unknown, doc: Document.Parsed, lc: LineCounter): SopsValue {
  if (isAlias(node)) return nodeToValue((node as Alias).resolve(doc), doc, lc);
  if (isYamlMap(node)) {
    const m = new SopsMap();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== "string") {
        const pos =
          isScalar(pair.key) && pair.key.range ? lc.linePos(pair.key.range[0]) : undefined;
        throw new SopsFormatError(
          `only string keys are supported, found ${isScalar(pair.key) ? String(pair.key.source ?? key) : "a complex key"}`,
          pos?.line,
          pos?.col,
        );
      }
      m.entries.push([key, nodeToValue(pair.value, doc, lc)]);
    }
    return m;
  }
  if (isSeq(node)) return node.items.map((x) => nodeToValue(x, doc, lc));
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return null;
    if (
      typeof v === "string" ||
      typeof v === "boolean" ||
      typeof v === "bigint" ||
      typeof v === "number"
    )
      return v;
    if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
    return String(v);
  }
  if (node === null || node === undefined) return null;
  throw new SopsFormatError("unsupported YAML node");
}

// ───────────────────────────── emitter (go-yaml v3 layout) ─────────────────────────────

/** Encode branches as go-yaml v3 does with `SetIndent(indent)`; one document per branch. */
export function emitYaml(branches: SopsMap[], indent = 4): string {
  return branches
    .map((b, i) => {
      const body = b.entries.length === 0 ? "{}\n" : emitMap(b, 0, indent);
      return (i > 0 ? "---\n" : "") + body;
    })
    .join("");
}

/** Next indentation for a child of something at `col` (go-yaml's "align to the chosen indentation"). */
const nextIndent = (col: number, n: number): number => n * Math.floor((col + n) / n);

function emitMap(m: SopsMap, col: number, n: number): string {
  let out = "";
  m.entries.forEach(([k, v], i) => {
    out += (i === 0 ? "" : " ".repeat(col)) + emitMapEntry(k, v, col, n);
  });
  return out;
}

/** `key: value` starting at the current column (which is `col`); ends with a newline. */
function emitMapEntry(key: string, v: SopsValue, col: number, n: number): string {
  const head = `${scalarText(key)}:`;
  if (v instanceof SopsMap) {
    if (v.entries.length === 0) return `${head} {}\n`;
    const c = nextIndent(col, n);
    return `${head}\n${" ".repeat(c)}${emitMap(v, c, n)}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return `${head} []\n`;
    const c = nextIndent(col, n);
    return `${head}\n${" ".repeat(c)}${emitSeq(v, c, n)}`;
  }
  return `${head} ${scalar(v, nextIndent(col, n), n)}\n`;
}

function emitSeq(items: SopsValue[], col: number, n: number): string {
  let out = "";
  items.forEach((v, i) => {
    out += (i === 0 ? "" : " ".repeat(col)) + "- ";
    const inner = col + 2; // the first indent inside a sequence just skips the "- "
    if (v instanceof SopsMap) {
      out += v.entries.length === 0 ? "{}\n" : emitMap(v, inner, n);
    } else if (Array.isArray(v)) {
      out += v.length === 0 ? "[]\n" : emitSeq(v, inner, n);
    } else {
      out += `${scalar(v, inner, n)}\n`;
    }
  });
  return out;
}

function scalar(
  v: Exclude<SopsValue, SopsMap | SopsValue[]>,
  blockIndent: number,
  n: number,
): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return goYamlFloat(v);
  if (v.includes("\n") && literalAllowed(v)) return literal(v, blockIndent, n);
  return scalarText(v);
}

/** A string as plain, single-quoted or double-quoted, in go-yaml's order of preference. */
function scalarText(s: string): string {
  if (s.includes("\n") || hasSpecial(s)) return doubleQuoted(s);
  if (resolvesToNonString(s) || isOldBoolOrBase60(s)) return doubleQuoted(s);
  if (plainAllowed(s)) return s;
  return `'${s.replaceAll("'", "''")}'`;
}

function literal(s: string, indent: number, n: number): string {
  let chomp = "-";
  if (s.endsWith("\n")) chomp = s.endsWith("\n\n") || s === "\n" ? "+" : "";
  const hint = s.startsWith(" ") || s.startsWith("\n") ? String(n) : "";
  const body = s.endsWith("\n") ? s.slice(0, -1) : s;
  const pad = " ".repeat(indent);
  const lines = body.split("\n").map((l) => (l === "" ? "" : pad + l));
  return `|${hint}${chomp}\n${lines.join("\n")}`;
}

function literalAllowed(s: string): boolean {
  if (hasSpecial(s.replaceAll("\n", ""))) return false;
  if (/ \n/.test(s)) return false; // space before a line break
  if (/[ ]$/.test(s)) return false; // trailing space
  // Content starting with a space or a break needs an indentation indicator, whose meaning
  // depends on the parent's indentation in ways YAML readers disagree on: quote it instead.
  if (/^[ \n]/.test(s)) return false;
  return true;
}

// Non-printable characters (libyaml's is_printable, with unicode output on).
function hasSpecial(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return (
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/.test(
      s,
    ) || s.includes("\r")
  );
}

function plainAllowed(s: string): boolean {
  if (s === "") return false;
  if (/^\s|\s$/.test(s)) return false;
  if (s.startsWith("---") || s.startsWith("...")) return false;
  const first = s[0] as string;
  const followedBySpace = (i: number) => i + 1 >= s.length || /\s/.test(s[i + 1] as string);
  if (",[]{}#&*!|>'\"%@`".includes(first)) return false;
  if ((first === "-" || first === "?" || first === ":") && followedBySpace(0)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === ":" && followedBySpace(i)) return false;
    if (c === "#" && i > 0 && /\s/.test(s[i - 1] as string)) return false;
    if (i > 0 && ",?[]{}".includes(c)) {
      // flow indicators are fine in block context, which is all we emit
    }
  }
  if (/\t/.test(s)) return false;
  return true;
}

/** Would go-yaml v3 read this plain scalar back as something other than a string? */
function resolvesToNonString(s: string): boolean {
  if (s === "" || s === "~" || /^(null|Null|NULL)$/.test(s)) return true;
  if (/^(true|True|TRUE|false|False|FALSE)$/.test(s)) return true;
  if (/^[-+]?(\.inf|\.Inf|\.INF)$/.test(s) || /^(\.nan|\.NaN|\.NAN)$/.test(s)) return true;
  const plain = s.replaceAll("_", "");
  if (/^[-+]?(0b[01]+|0o?[0-7]+|0x[0-9a-fA-F]+|\d+)$/.test(plain)) return true;
  if (/^[-+]?(\.\d+|\d+(\.\d*)?)([eE][-+]?\d+)?$/.test(plain)) return true;
  if (/^\d{4}-\d\d?-\d\d?([Tt ]|$)/.test(s)) return true; // timestamps
  if (s === "<<") return true;
  return false;
}

function isOldBoolOrBase60(s: string): boolean {
  if (/^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/.test(s)) return true;
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s);
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case "\\":
        out += "\\\\";
        continue;
      case "\0":
        out += "\\0";
        continue;
      case "\x07":
        out += "\\a";
        continue;
      case "\b":
        out += "\\b";
        continue;
      case "\t":
        out += "\\t";
        continue;
      case "\n":
        out += "\\n";
        continue;
      case "\v":
        out += "\\v";
        continue;
      case "\f":
        out += "\\f";
        continue;
      case "\r":
        out += "\\r";
        continue;
      case "\x1b":
        out += "\\e";
        continue;
      case "\x85":
        out += "\\N";
        continue;
      case "\xa0":
        out += "\\_";
        continue;
      case "\u2028":
        out += "\\L";
        continue;
      case "\u2029":
        out += "\\P";
        continue;
    }
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
      out += `\\x${c.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (c === 0xfeff || c === 0xfffe || c === 0xffff)
      out += `\\u${c.toString(16).toUpperCase()}`;
    else out += ch;
  }
  return `${out}"`;
}

/** go-yaml: strconv.FormatFloat(f, 'g', -1, 64), with YAML's spellings of the specials. */
export function goYamlFloat(f: number): string {
  if (Number.isNaN(f)) return ".nan";
  if (f === Infinity) return ".inf";
  if (f === -Infinity) return "-.inf";
  return goFormatG(f);
}

/** strconv.FormatFloat(f, 'g', -1, 64). */
export function goFormatG(f: number): string {
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const neg = f < 0;
  const [mant = "", expText = "0"] = Math.abs(f).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  let eprec = 6;
  if (eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  let s: string;
  if (exp < -4 || exp >= eprec) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : "";
    const e = Math.abs(exp);
    s = `${digits[0]}${frac}e${exp < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
  } else if (exp < 0) {
    s = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else if (exp + 1 >= digits.length) {
    s = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    s = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${s}` : s;
}
