// Prints JavaScript data as formatted Nix: the fleet data file is data, so printing beats
// templating here. Output is deterministic: attribute order is the caller's insertion order.

export class NixPath {
  /** `rel` is relative to the file being written, "/"-separated, e.g. "../nodes/a/node.nix". */
  constructor(readonly rel: string) {}
}

/** Raw Nix text, for the rare value that is an expression rather than data. */
export class NixRaw {
  constructor(readonly text: string) {}
}

/** A value with a comment printed on the line above it. */
export class NixCommented {
  constructor(
    readonly comment: string,
    readonly value: NixValue,
  ) {}
}

export type NixValue =
  | string
  | number
  | boolean
  | null
  | NixPath
  | NixRaw
  | NixCommented
  | NixValue[]
  | { [key: string]: NixValue };

const KEYWORDS = new Set([
  "if",
  "then",
  "else",
  "assert",
  "with",
  "let",
  "in",
  "rec",
  "inherit",
  "or",
]);

export function nixAttrName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_'-]*$/.test(name) && !KEYWORDS.has(name) ? name : nixString(name);
}

export function nixString(s: string): string {
  return `"${s.replace(/[\\"\n\r\t]|\$\{/g, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : c === "${" ? "\\${" : `\\${c}`,
  )}"`;
}

/**
 * Text for one comment line: a name or path that reaches a comment must not end the comment (a
 * newline would start Nix code) or carry terminal escapes, so control characters are escaped.
 */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const PATH_SEGMENT = /^[A-Za-z0-9._\-+]+$/;

export function nixPath(rel: string): string {
  const segs = rel.split("/");
  const prefix: string[] = [];
  while (segs[0] === "..") prefix.push(segs.shift()!);
  if (segs.every((s) => PATH_SEGMENT.test(s))) {
    return prefix.length ? [...prefix, ...segs].join("/") : `./${segs.join("/")}`;
  }
  // Segments Nix's path syntax cannot spell: append a string to a directory path instead.
  const dir = prefix.length ? `${prefix.join("/")}/.` : "./.";
  return `(${dir} + ${nixString(`/${segs.join("/")}`)})`;
}

const MAX_INLINE = 100;

function isScalar(v: NixValue): boolean {
  return v === null || typeof v !== "object" || v instanceof NixPath || v instanceof NixRaw;
}

function inline(v: NixValue, inList = false): string | null {
  if (v === null) return "null";
  if (typeof v === "string") return nixString(v);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof NixPath) return nixPath(v.rel);
  if (v instanceof NixRaw) return v.text.includes("\n") ? null : v.text;
  if (v instanceof NixCommented) return null;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[ ]";
    if (!v.every(isScalar)) return null;
    return `[ ${v.map((x) => inline(x)).join(" ")} ]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{ }";
  // Records in lists (meta definitions) read best on one line each.
  if (inList && entries.every(([, x]) => isScalar(x))) {
    return `{ ${entries.map(([k, x]) => `${nixAttrName(k)} = ${inline(x)};`).join(" ")} }`;
  }
  return null;
}

/** Renders `value` as it would appear after `indent` spaces (the first line is not indented). */
export function renderNix(value: NixValue, indent = 0, inList = false): string {
  const pad = " ".repeat(indent + 2);
  const flat = inline(value, inList);
  if (flat !== null && flat.length + indent <= MAX_INLINE) return flat;
  if (value instanceof NixRaw) return value.text;
  if (value instanceof NixCommented) return renderNix(value.value, indent);
  if (Array.isArray(value)) {
    const items = value.map((x) => `${pad}${renderNix(x, indent + 2, true)}`);
    return `[\n${items.join("\n")}\n${" ".repeat(indent)}]`;
  }
  if (value === null || typeof value !== "object" || value instanceof NixPath) return flat!;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (v instanceof NixCommented) {
      for (const c of v.comment.split("\n")) lines.push(`${pad}# ${commentText(c)}`.trimEnd());
    }
    lines.push(`${pad}${nixAttrName(k)} = ${renderNix(v, indent + 2)};`);
  }
  return `{\n${lines.join("\n")}\n${" ".repeat(indent)}}`;
}
