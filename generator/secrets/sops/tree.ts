// The sops document tree, typed the way sops' Go code types it, so that re-encoding and the MAC
// see exactly what sops sees: maps keep their key order (JS objects would move integer-like keys),
// ints (Go int) are bigint, floats (Go float64) are number — `1.0` and `1` stay different.

export type SopsScalar = string | bigint | number | boolean | null;
export type SopsValue = SopsScalar | SopsMap | SopsValue[];

/** An ordered mapping, like sops.TreeBranch. */
export class SopsMap {
  constructor(public entries: Array<[string, SopsValue]> = []) {}

  get(key: string): SopsValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }

  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }

  set(key: string, value: SopsValue): void {
    const i = this.entries.findIndex(([k]) => k === key);
    if (i >= 0) this.entries[i] = [key, value];
    else this.entries.push([key, value]);
  }

  delete(key: string): void {
    this.entries = this.entries.filter(([k]) => k !== key);
  }
}

export const isMap = (v: unknown): v is SopsMap => v instanceof SopsMap;

/**
 * Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest decimal that round-trips, never in
 * exponent form. JS's shortest round-trip digits are the same (both use the shortest-digits
 * algorithm), only the layout differs.
 */
export function goFormatFloat(f: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Infinity) return "+Inf";
  if (f === -Infinity) return "-Inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const s = String(f);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = "", expText] = m;
  const digits = `${lead}${frac}`;
  const exp = Number(expText);
  // The decimal point sits after `1 + exp` digits.
  const point = 1 + exp;
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${"0".repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** sops.ToBytes: the bytes a value contributes to the MAC and to its ciphertext. */
export function scalarBytes(v: string | bigint | number | boolean): string {
  switch (typeof v) {
    case "string":
      return v;
    case "bigint":
      return v.toString();
    case "number":
      return goFormatFloat(v);
    case "boolean":
      return v ? "True" : "False";
  }
}

/** Plain JS data (e.g. parsed JSON) → tree. Integral numbers become ints, as sops' JSON store does. */
export function fromPlain(v: unknown): SopsValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v instanceof SopsMap) return v;
  if (typeof v === "object") {
    return new SopsMap(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromPlain(x)]),
    );
  }
  throw new Error(`cannot store a ${typeof v} in a sops document`);
}

/** Tree → plain JS data (ints as numbers when safe, else as strings of digits). */
export function toPlain(v: SopsValue): unknown {
  if (v instanceof SopsMap) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v.entries) o[k] = toPlain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v === "bigint") {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  return v;
}

/** Deep structural equality (key order matters only where sops' output would differ: never for maps). */
export function sameValue(a: SopsValue, b: SopsValue): boolean {
  if (a instanceof SopsMap || b instanceof SopsMap) {
    if (!(a instanceof SopsMap && b instanceof SopsMap)) return false;
    if (a.entries.length !== b.entries.length) return false;
    return a.entries.every(([k, v]) => b.has(k) && sameValue(v, b.get(k) as SopsValue));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i] as SopsValue));
  }
  if (typeof a !== typeof b) return false;
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b) || a === b;
  return a === b;
}
