// Adopting a Nixverse flake: its inputs (minus `nixverse`, unless the fleet's own code uses it)
// move into inputs.nix, comments and layout kept, because nixverse-gen splices inputs.nix verbatim
// into the flake it generates. Pure: flake.nix text in, inputs.nix text and a report out.

import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok, warning } from "../errors.js";
import type { AttrBinding, AttrSet, Binding, Expr, ParsedFile, Span } from "../nix/ast.js";
import { staticName } from "../nix/names.js";
import { reindent } from "../plan/user-inputs.js";

/** The inputs nixverse-gen replaces: the framework itself, which the generated flake no longer needs. */
export const DROPPED_INPUTS = ["nixverse"];

export interface Adoption {
  /** Full text of the new inputs.nix. */
  inputsNix: string;
  /** Input names moved into inputs.nix, in their order in flake.nix. */
  moved: string[];
  /** Input names dropped (nixverse). */
  dropped: string[];
  /** Inputs of DROPPED_INPUTS kept because the fleet's files mention them (`inputs.nixverse`). */
  kept: string[];
  /** The literal `systems` list given to `nixverse.lib.load` (goes to nixverse.yaml). */
  systems: string[] | null;
  /** The flake's `description`, if it was a plain string (goes to nixverse.yaml). */
  description: string | null;
  /** The flake said `inputs.self.submodules = true` (goes to nixverse.yaml as `submodules: true`). */
  submodules: boolean;
  /** Things the user should look at; adoption still proceeds. */
  warnings: Diagnostic[];
}

/**
 * Inputs of DROPPED_INPUTS that user code refers to (`inputs.nixverse`, `inputs'.nixverse`), e.g.
 * a lib/ that inherits from `inputs.nixverse.lib`: those stay, or that code would break.
 */
export function mentionedDroppedInputs(sources: string[]): string[] {
  return DROPPED_INPUTS.filter((name) => {
    const re = new RegExp(`\\binputs'?\\s*\\.\\s*"?${name}\\b`);
    return sources.some((text) => re.test(text));
  });
}

/** What makes a flake a Nixverse flake: its outputs call nixverse.lib.load. */
export function isNixverseFlake(source: string): boolean {
  return /\bnixverse\s*\.\s*lib\s*\.\s*load\b/.test(source);
}

const unparen = (e: Expr): Expr => (e.kind === "Paren" ? unparen(e.expr) : e);

function literalString(e: Expr): string | null {
  const s = unparen(e);
  if (s.kind !== "String" || !s.parts.every((p) => p.kind === "Text")) return null;
  return s.parts.map((p) => (p.kind === "Text" ? p.value : "")).join("");
}

/**
 * `self.submodules = true` in flake inputs, as `self.submodules = …`, `self = { submodules = …; }`
 * (`rest` is the path after `self`). `self` is no input: it becomes nixverse.yaml's `submodules`.
 */
function selfSubmodules(rest: AttrBinding["path"], value: Expr): boolean | null {
  const names = rest.map((p) => staticName(p));
  const v = unparen(value);
  if (names.length === 1 && names[0] === "submodules" && v.kind === "Var") {
    if (v.name === "true") return true;
    if (v.name === "false") return false;
  }
  if (names.length === 0 && v.kind === "AttrSet" && v.bindings.length === 1) {
    const b = v.bindings[0]!;
    if (b.kind === "AttrBinding") return selfSubmodules(b.path, b.value);
  }
  return null;
}

/** One piece of inputs.nix: the comments above a binding, then the binding's own text. */
interface Piece {
  names: string[];
  text: string;
}

export function planAdoption(parsed: ParsedFile, opts: { keep?: string[] } = {}): Result<Adoption> {
  const { file, source } = parsed;
  const where = (s: Span) => ({ file, line: s.start.line, column: s.start.column });
  const top = unparen(parsed.expr);
  if (top.kind !== "AttrSet") {
    return fail(diag("adopt-not-attrset", "flake.nix is not an attribute set", where(top.span)));
  }
  const warnings: Diagnostic[] = [];
  const pieces: Piece[] = [];
  const dropped: string[] = [];
  const keep = opts.keep ?? [];
  const drops = (name: string) => DROPPED_INPUTS.includes(name) && !keep.includes(name);
  let description: string | null = null;
  let systems: string[] | null = null;
  let submodules = false;
  const onSelf = (b: AttrBinding, rest: AttrBinding["path"]) => {
    const s = selfSubmodules(rest, b.value);
    if (s === null)
      warnings.push(
        warning(
          "adopt-self",
          "only `inputs.self.submodules` is carried over from flake.nix's inputs.self",
          where(b.span),
          "set `submodules: true` in nixverse.yaml for submodules; other settings of self are dropped",
        ),
      );
    else submodules ||= s;
  };

  /** Comments (whole lines) between `from` and `to`, kept verbatim. */
  const commentsBetween = (from: number, to: number): string =>
    parsed.comments
      .filter((c) => c.span.start.offset >= from && c.span.end.offset <= to)
      .map((c) => `${c.text}\n`)
      .join("");

  let prevEnd = top.span.start.offset + 1;
  for (const b of top.bindings) {
    const gapStart = prevEnd;
    prevEnd = b.span.end.offset;
    if (b.kind !== "AttrBinding") continue;
    const head = staticName(b.path[0]!);
    if (head === "description") description = literalString(b.value);
    if (head === "outputs") systems = checkOutputs(b, where, warnings);
    if (head !== "inputs") continue;
    const leading = commentsBetween(gapStart, b.span.start.offset);
    if (b.path.length === 1) {
      const set = unparen(b.value);
      if (set.kind !== "AttrSet") {
        return fail(
          diag("adopt-inputs", "flake.nix's inputs is not an attribute set", where(set.span)),
        );
      }
      const inner = innerText(parsed, set, dropped, drops, onSelf);
      if (!inner.ok) return inner;
      pieces.push({ names: inner.value.names, text: leading + reindent(inner.value.text, 0) });
      continue;
    }
    // `inputs.foo.url = …;` at the top level: the same binding without the `inputs.` prefix.
    const name = staticName(b.path[1]!);
    if (name === null)
      return fail(
        diag("adopt-inputs", "flake input names must be literal", where(b.path[1]!.span)),
      );
    if (drops(name)) {
      if (!dropped.includes(name)) dropped.push(name);
      continue;
    }
    if (name === "self") {
      onSelf(b, b.path.slice(2));
      continue;
    }
    pieces.push({
      names: [name],
      text: leading + reindent(source.slice(b.path[1]!.span.start.offset, b.span.end.offset), 0),
    });
  }

  const moved = [...new Set(pieces.flatMap((p) => p.names))];
  const body = pieces.map((p) => p.text).join("\n");
  for (const name of dropped) {
    const re = new RegExp(`follows\\s*=\\s*"${name}(/|")`);
    if (re.test(body)) {
      warnings.push(
        warning(
          "adopt-follows-dropped",
          `an input in inputs.nix follows "${name}/…", which the generated flake no longer has`,
          { file: "inputs.nix" },
          `make it follow one of your own inputs, e.g. "nixpkgs-unstable"`,
        ),
      );
    }
  }
  const header = [
    "# Flake inputs of this fleet, moved here from flake.nix by `nixverse-gen init`.",
    "# nixverse-gen copies this file verbatim into the flake.nix it generates, and adds the",
    "# conventional inputs a node needs (nixpkgs-<channel>, home-manager-…, sops-nix-…) when missing.",
  ].join("\n");
  const inner = reindent(body, 2);
  return ok({
    inputsNix: `${header}\n{\n${inner}${inner ? "\n" : ""}}\n`,
    moved,
    dropped,
    kept: keep.filter((k) => moved.includes(k)),
    systems,
    description,
    submodules,
    warnings,
  });
}

/**
 * The text between the braces of `inputs = { … };`, verbatim, minus the bindings of dropped inputs
 * (each with its line, when it has the line to itself).
 */
function innerText(
  parsed: ParsedFile,
  set: AttrSet,
  dropped: string[],
  drops: (name: string) => boolean,
  onSelf: (b: AttrBinding, rest: AttrBinding["path"]) => void,
): Result<{ text: string; names: string[] }> {
  const { source, file } = parsed;
  const names: string[] = [];
  const cuts: [number, number][] = [];
  for (const b of set.bindings as Binding[]) {
    if (b.kind === "Inherit") {
      return fail(
        diag("adopt-inputs", "flake inputs cannot use inherit", {
          file,
          line: b.span.start.line,
          column: b.span.start.column,
        }),
      );
    }
    const name = staticName(b.path[0]!);
    if (name === null) {
      return fail(
        diag("adopt-inputs", "flake input names must be literal", {
          file,
          line: b.span.start.line,
          column: b.span.start.column,
        }),
      );
    }
    if (drops(name)) {
      if (!dropped.includes(name)) dropped.push(name);
      cuts.push(wholeLines(source, b.span.start.offset, b.span.end.offset));
    } else if (name === "self") {
      onSelf(b, b.path.slice(1));
      cuts.push(wholeLines(source, b.span.start.offset, b.span.end.offset));
    } else if (!names.includes(name)) names.push(name);
  }
  let text = "";
  let at = set.span.start.offset + 1;
  for (const [from, to] of cuts) {
    text += source.slice(at, from);
    at = to;
  }
  text += source.slice(at, set.span.end.offset - 1);
  return ok({ text, names });
}

/** Widens [from, to) to whole lines when only blanks (and a trailing comment) share them. */
function wholeLines(source: string, from: number, to: number): [number, number] {
  const lineStart = source.lastIndexOf("\n", from - 1) + 1;
  const before = source.slice(lineStart, from);
  const eol = source.indexOf("\n", to);
  const lineEnd = eol === -1 ? source.length : eol + 1;
  const after = source.slice(to, lineEnd);
  if (before.trim() === "" && /^\s*(#.*)?\s*$/.test(after)) return [lineStart, lineEnd];
  return [from, to];
}

/**
 * Nixverse's outputs are just `nixverse.lib.load { … }`, maybe inside `let … in`; anything more
 * needs the user's hand. Returns the load call's `systems` when it is a literal list of strings
 * (directly, or a variable of those lets), which nixverse.yaml takes over.
 */
function checkOutputs(
  b: AttrBinding,
  where: (s: Span) => { file: string; line: number; column: number },
  warnings: Diagnostic[],
): string[] | null {
  let body = unparen(b.value);
  while (body.kind === "Lambda") body = unparen(body.body);
  const lets: Binding[][] = [];
  while (body.kind === "Let") {
    lets.unshift(body.bindings);
    body = unparen(body.body);
  }
  const isLoad = (e: Expr): boolean => {
    const f = unparen(e);
    return (
      f.kind === "Select" &&
      unparen(f.expr).kind === "Var" &&
      f.path.map((p) => staticName(p)).join(".") === "lib.load"
    );
  };
  if (!(body.kind === "Apply" && isLoad(body.fn))) {
    warnings.push(
      warning(
        "adopt-outputs",
        "flake.nix's outputs do more than call nixverse.lib.load; only the nodes, groups and files are adopted",
        where(b.span),
        "move extra outputs to outputs/flake/<name>.nix (see flake.nix.bak for the old file)",
      ),
    );
    return null;
  }
  const arg = unparen(body.arg);
  if (arg.kind !== "AttrSet") return null;
  const found = bindingValue(arg.bindings, "systems");
  if (found === undefined) return null;
  const list = found === null ? null : literalList(found, lets);
  if (list === null) {
    warnings.push(
      warning(
        "adopt-systems",
        "the systems given to nixverse.lib.load are not a literal list of strings, so they are not carried over",
        where(arg.span),
        "list them in nixverse.yaml: systems: [x86_64-linux, aarch64-darwin]",
      ),
    );
  }
  return list;
}

/**
 * The value bound to `name` among `bindings`: the expression, a Var for `inherit name;` (looked
 * up in the enclosing lets), null when it cannot be read statically, undefined when unbound.
 */
function bindingValue(bindings: Binding[], name: string): Expr | null | undefined {
  for (const b of bindings) {
    if (b.kind === "Inherit") {
      if (!b.names.some((n) => staticName(n) === name)) continue;
      if (b.from !== null) return null;
      return { kind: "Var", name, span: b.span } as Expr;
    }
    if (b.path.length === 1 && staticName(b.path[0]!) === name) return b.value;
  }
  return undefined;
}

/**
 * A list of literal strings, or a variable holding one (`lets`: innermost first; a let is
 * recursive, so its own bindings stay in scope; `depth` stops `a = b; b = a;`).
 */
function literalList(e: Expr, lets: Binding[][], depth = 0): string[] | null {
  const v = unparen(e);
  if (v.kind === "Var") {
    if (depth > 16) return null;
    for (const [i, scope] of lets.entries()) {
      const inner = bindingValue(scope, v.name);
      if (inner === undefined) continue;
      return inner === null ? null : literalList(inner, lets.slice(i), depth + 1);
    }
    return null;
  }
  if (v.kind !== "List") return null;
  const out: string[] = [];
  for (const item of v.items) {
    const s = literalString(item);
    if (s === null) return null;
    out.push(s);
  }
  return out;
}
