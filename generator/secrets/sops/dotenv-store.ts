// dotenv documents (stores/dotenv/store.go): `KEY=value` lines, `\n` escapes, `#` comments, and the
// metadata flattened into `sops_*` keys with `__map_` / `__list_` separators (stores/flatten.go).

import { SopsMap, type SopsValue } from "./tree.js";
import { SopsFormatError } from "./yaml-store.js";

export function parseDotenv(text: string): SopsMap {
  const m = new SopsMap();
  text.split("\n").forEach((line, i) => {
    if (line === "" || line.startsWith("#")) return;
    const pos = line.indexOf("=");
    if (pos === -1) throw new SopsFormatError(`invalid dotenv input line: ${line}`, i + 1, 1);
    m.entries.push([line.slice(0, pos), line.slice(pos + 1).replaceAll("\\n", "\n")]);
  });
  return m;
}

export function emitDotenv(m: SopsMap): string {
  let out = "";
  for (const [k, v] of m.entries) {
    if (v instanceof SopsMap || Array.isArray(v)) {
      throw new SopsFormatError(`cannot use complex value in dotenv file; offending key ${k}`);
    }
    const s = typeof v === "string" ? v.replaceAll("\n", "\\n") : valToString(v);
    out += `${k}=${s}\n`;
  }
  return out;
}

function valToString(v: SopsValue): string {
  if (v === null) return "";
  if (typeof v === "boolean") return v ? "true" : "false";
  return String(v);
}

const MAP = "__map_";
const LIST = "__list_";

/** Flatten a metadata map into `prefix<key>` entries, in sops' order. */
export function flatten(value: SopsValue, prefix: string, out: SopsMap): void {
  if (value instanceof SopsMap) {
    for (const [k, v] of value.entries) flattenInto(v, prefix + k, out);
    return;
  }
  throw new Error("flatten expects a map");
}

function flattenInto(v: SopsValue, key: string, out: SopsMap): void {
  if (v instanceof SopsMap) {
    for (const [k, x] of v.entries) flattenInto(x, key + MAP + k, out);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => flattenInto(x, `${key}${LIST}${i}`, out));
  } else {
    out.entries.push([key, v]);
  }
}

type Node = { value?: SopsValue; keys?: Map<string, Node>; indices?: Map<number, Node> };

/** The inverse of flatten: map keys come out sorted, as sops' unflatten sorts them. */
export function unflatten(m: SopsMap): SopsMap {
  const root: Node = {};
  for (const [key, value] of m.entries) {
    let node = root;
    for (const tok of tokenize(key)) {
      if (typeof tok === "string") {
        node.keys ??= new Map();
        let next = node.keys.get(tok);
        if (!next) node.keys.set(tok, (next = {}));
        node = next;
      } else {
        node.indices ??= new Map();
        let next = node.indices.get(tok);
        if (!next) node.indices.set(tok, (next = {}));
        node = next;
      }
    }
    if ("value" in node)
      throw new SopsFormatError(`duplicate value while unflattening ${JSON.stringify(key)}`);
    node.value = value;
  }
  const r = convert(root);
  if (!(r instanceof SopsMap)) throw new SopsFormatError("cannot unflatten metadata");
  return r;
}

function tokenize(path: string): Array<string | number> {
  const toks: Array<string | number> = [];
  let state: "normal" | "map" | "list" = "normal";
  let last = 0;
  let i = 0;
  const finish = () => {
    if (state === "normal") toks.push(path.slice(last, i));
    else if (state === "map") toks.push(path.slice(last + MAP.length, i));
    else toks.push(Number.parseInt(path.slice(last + LIST.length, i), 10) || 0);
    last = i;
  };
  while (i < path.length) {
    if (path.startsWith(MAP, i)) {
      finish();
      state = "map";
      i += MAP.length;
    } else if (path.startsWith(LIST, i)) {
      finish();
      state = "list";
      i += LIST.length;
    } else i++;
  }
  finish();
  return toks;
}

function convert(n: Node): SopsValue {
  const kinds =
    Number("value" in n) + Number((n.keys?.size ?? 0) > 0) + Number((n.indices?.size ?? 0) > 0);
  if (kinds > 1) throw new SopsFormatError("type mismatch while unflattening metadata");
  if ("value" in n) return n.value as SopsValue;
  if (n.keys && n.keys.size > 0) {
    return new SopsMap([...n.keys.keys()].sort().map((k) => [k, convert(n.keys?.get(k) as Node)]));
  }
  if (n.indices && n.indices.size > 0) {
    const max = Math.max(...n.indices.keys());
    if (Math.min(...n.indices.keys()) !== 0 || max + 1 !== n.indices.size) {
      throw new SopsFormatError("incomplete list while unflattening metadata");
    }
    return Array.from({ length: max + 1 }, (_, i) => convert(n.indices?.get(i) as Node));
  }
  return new SopsMap();
}
