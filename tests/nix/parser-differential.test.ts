// Our parser against the Nix on PATH (2.34 in CI): on every .nix file of this repository and of $NIX_CORPUS_DIR, we
// accept exactly what `nix-instantiate --parse` accepts, and print the same desugared tree.

import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import fg from "fast-glob";
import { afterAll, describe, expect, it } from "vitest";
import { parseNix } from "../../generator/nix/parse.js";
import { showLikeNix } from "../../generator/nix/show.js";
import { nixEnv } from "../support/nix.js";
import { type AstVerdict, compareShown } from "./compare-ast.js";
import {
  type NixVerdict,
  nixAvailable,
  nixParseFiles,
  nixParseSnippets,
  removeDir,
} from "./nix-oracle.js";

const HAVE_NIX = nixAvailable();
const CORPUS = process.env.NIX_CORPUS_DIR;
const REPO = resolve(import.meta.dirname, "../..");
const HOME = process.env.HOME ?? homedir();

if (!HAVE_NIX) console.log("SKIPPED: nix-instantiate not installed (parser differential tests)");

interface Tally {
  files: number;
  agree: number;
  disagreements: string[];
  ast: Record<AstVerdict, number>;
  astDifferent: string[];
  inconclusive: string[];
}

function tally(): Tally {
  return {
    files: 0,
    agree: 0,
    disagreements: [],
    ast: { equal: 0, "equal-modulo-order": 0, different: 0, inconclusive: 0 },
    astDifferent: [],
    inconclusive: [],
  };
}

function validUtf8(buf: Buffer): boolean {
  return Buffer.from(buf.toString("utf8"), "utf8").equals(buf);
}

async function differential(files: string[], t: Tally): Promise<void> {
  const real = [...new Set(files.map((f) => realpathSync(f)))].sort();
  const verdicts = await nixParseFiles(real);
  for (const f of real) {
    const nix = verdicts.get(f)!;
    const buf = readFileSync(f);
    const ours = parseNix(buf.toString("utf8"), f);
    t.files++;
    if (ours.ok !== nix.ok) {
      t.disagreements.push(
        `${f}: nix ${nix.ok ? "accepts" : `rejects (${nix.error})`}, ours ${
          ours.ok
            ? "accepts"
            : `rejects (${ours.errors[0]!.message} at ${ours.errors[0]!.line}:${ours.errors[0]!.column})`
        }`,
      );
      continue;
    }
    t.agree++;
    if (!ours.ok || !nix.ok || !validUtf8(buf)) continue;
    const opts = { baseDir: dirname(f), home: HOME };
    const v = compareShown(showLikeNix(ours.value, opts), nix.printed, opts);
    t.ast[v]++;
    if (v === "different") t.astDifferent.push(f);
    if (v === "inconclusive") t.inconclusive.push(f);
  }
}

function summary(name: string, t: Tally): string {
  const lines = [
    `parser differential (${name}): ${t.files} files, ${t.agree} agreements, ${t.disagreements.length} disagreements; ` +
      `AST: ${t.ast.equal} equal, ${t.ast["equal-modulo-order"]} equal modulo Nix's printing order, ` +
      `${t.ast.inconclusive} inconclusive, ${t.ast.different} different`,
    ...t.disagreements.map((d) => `  disagreement: ${d}`),
    ...t.astDifferent.map((d) => `  AST differs: ${d}`),
    ...t.inconclusive.map((d) => `  AST not compared (Nix output does not re-parse): ${d}`),
  ];
  return lines.join("\n");
}

describe.skipIf(!HAVE_NIX)("parser vs nix-instantiate --parse", () => {
  const repoTally = tally();
  const corpusTally = tally();
  afterAll(() => {
    console.log(summary("repository", repoTally));
    if (CORPUS) console.log(summary(`NIX_CORPUS_DIR=${CORPUS}`, corpusTally));
  });

  it("agrees on every .nix file in the repository", async () => {
    const files = await fg("**/*.nix", {
      cwd: REPO,
      absolute: true,
      ignore: ["**/node_modules/**", "**/.git/**"],
      followSymbolicLinks: false,
    });
    await differential(files, repoTally);
    expect(repoTally.disagreements).toEqual([]);
    expect(repoTally.astDifferent).toEqual([]);
  }, 300_000);

  it.skipIf(!CORPUS)(
    "agrees on every .nix file under $NIX_CORPUS_DIR",
    async () => {
      const files = await fg("**/*.nix", {
        cwd: CORPUS!,
        absolute: true,
        ignore: ["**/node_modules/**"],
      });
      expect(files.length).toBeGreaterThan(0);
      await differential(files, corpusTally);
      expect(corpusTally.disagreements).toEqual([]);
      expect(corpusTally.astDifferent).toEqual([]);
    },
    900_000,
  );
  if (!CORPUS) console.log("SKIPPED: NIX_CORPUS_DIR not set (corpus differential test)");

  // Each snippet: what Nix must do with it, checked against nix and against us.
  const POSITIVE = [
    // formals
    "{ a, b ? 1, }: a",
    "{ a, ... }@args: args",
    "args@{ a, ... }: a",
    "{ ... } @ args: args",
    "{ }: 1",
    "{}: {}",
    "{ a ? { }: 1 }: a",
    // strings
    String.raw`"a\nb\t\r\"\$\${x}\\ \q"`,
    '"$${x}"',
    '"a$"',
    '"${"a"}${"b"}"',
    "''\n  a\n    b\n  ''",
    "''\n  a\n\n\t b\n ''",
    "''a''$b'''c''\\nd''\\\te''",
    "''  ${\"x\"}\n  y''",
    "''${\"x\"} ''",
    "'' ''' ''",
    "''\n''",
    "''\n  ''\\ x\n  ''",
    "''$'' \"x\"",
    "let x = 1; in ''a${toString x}b$c$'d''",
    // paths, URIs, search paths
    "./a/b",
    './a/${"b"}/c',
    './a${"b"}',
    "a/b",
    "../x/./y/../z",
    "/abs/path",
    "~/x/y",
    '~/${"x"}',
    '/${"x"}',
    "1/2",
    "<nixpkgs>",
    "<nixpkgs/lib>",
    "http://example.org/x?y=1",
    "a:b",
    // numbers
    "1.",
    ".5",
    "1.5e3",
    "1.e-2",
    "00.5",
    "9223372036854775807",
    "0.1 + 1.0e-5",
    "123456789.0",
    // operators: precedence and associativity
    "1 + 2 * 3 - 4 / 2",
    "a: b: c: a -> b -> c",
    "a: b: c: a || b && c",
    "a: b: a // b // a",
    "[ 1 ] ++ [ 2 ] ++ [ 3 ]",
    "a: b: !a || b",
    "a: b: !a + b",
    "a: b: !a // b",
    "a: b: -a ? b",
    "a: a ? b ? c",
    'a: a ? b.c."d".${"e"}',
    "x: -x - -x",
    "x: - x x",
    "a: b: a == b && b != a",
    "a: b: a < b || a > b || a <= b || a >= b",
    "a: b: a == (b < a)",
    "a: b: a + b ? c",
    "x: (- x) 1",
    "f: x: (f x) x",
    "(x: x) 1 2",
    "f: x: f x.y or 1 x",
    // or
    "{ or = 1; }.or",
    "x: x.or or x",
    "let or = 1; f = x: x; in f or",
    "let or = 1; in { inherit or; }",
    "a: a.b or a.c or 1",
    // let, rec, with, assert, inherit
    "let in 1",
    "let { body = 1; }",
    "let { x = 1; body = x; }",
    "rec { a = 1; b = a; }",
    "let a = 1; b = { inherit a; }; in b",
    "let s = { a = 1; }; in { inherit (s) a; }",
    "let s = { a = 1; }; in with s; a + b",
    "assert true; 1",
    "with {}; with {}; x",
    "{ a.b = 1; a.c = 2; }",
    "{ a = { b = 1; }; a.c = 2; }",
    "{ a.c = 2; a = { b = 1; }; }",
    "{ a = rec { b = 1; }; a = { c = b; }; }",
    '{ "a b" = 1; ${"c"} = 2; "${"d"}" = 3; }',
    'let ${"a"} = 1; in a',
    'let a = 1; in { inherit "a"; }.a or 1',
    "x: { ${x} = 1; ${x}.y = 2; }",
    'x: x."a${x}"',
    "let a.${toString 1} = 1; in a",
    'let a.${"x"} = 1; in a',
    "__curPos",
    "builtins.map (x: x) [ 1 2 ]",
    '[ 1 "a" ./x { } (x: x) ]',
    "# comment\n/* block\n comment */ 1 # trailing",
    "/**/ 1",
    "1 /* a */ + /* b */ 2",
    "\r\n{\r\n  a = ''\r\n    x\r\n  '';\r\n}\r\n",
  ];
  const NEGATIVE = [
    "",
    "{ a, ..., }: a",
    "{ ..., a }: a",
    "{ , }: 1",
    "{ a, a }: a",
    "a@{ a }: a",
    "{ a }@a: a",
    "[ -1 ]",
    "1 + if true then 1 else 2",
    "1 == 2 == 3",
    "1 < 2 > 3",
    "1 <= 2 >= 3",
    "{ a = 1; a = 2; }",
    "{ a.b = 1; a = 2; }",
    "{ a = 1; a.b = 2; }",
    "{ a = { b = 1; }; a = { b = 2; }; }",
    "{ inherit a; a = 1; }",
    "let x = 1; in { inherit x; inherit x; }",
    'let ${"a${"b"}"} = 1; in 1',
    "x: { inherit ${x}; }",
    "x: y",
    "let a = b; in a",
    "rec { a = 1; }.b.c or",
    "or",
    "let or = 1; in or",
    "{ or }: 1",
    "./a/",
    "./a/b/ 1",
    "a/b//c",
    "9223372036854775808",
    "1e400",
    '"unterminated',
    "''unterminated",
    "/* unterminated",
    "(1",
    "{ a = 1 }",
    "{ a = 1; ",
    "let a = 1;",
    "f: f x: x",
    "x: x.",
    "{ a = 1; }.${}",
    "x: { inherit (x) ${x}; }",
    "let ${toString 1} = 1; in 1",
    "1 2 3 ;",
    "a: a ? ",
    "assert true 1",
    "with {}",
    "if true then 1",
    "%",
    "x: x @ 1",
    "{ a ? }: 1",
    "let { body = 1; } x",
    // experimental syntax (pipe-operators), off by default
    "xs: f: xs |> f",
    "f: xs: f <| xs",
    "x: x |> ;",
    "x: x ; |> x",
  ];

  it("reports pipe operators with Nix's message at Nix's place", async () => {
    const snippets = ["xs: f:\n  xs |> f", "f: x: f <| x", 'x: "${x|>x}"', "x: x |> ;"];
    const { dir, files } = await nixParseSnippets([]);
    const problems: string[] = [];
    snippets.forEach((src, k) => {
      const f = join(dir, `p${k}.nix`);
      writeFileSync(f, src);
      const nix = spawnSync("nix-instantiate", ["--parse", f], { encoding: "utf8", env: nixEnv() });
      const where = new RegExp(`at ${f}:(\\d+):(\\d+)`).exec(nix.stderr);
      const nixSays = `${nix.stderr.split("\n")[0]} ${where?.[1]}:${where?.[2]}`;
      const ours = parseNix(src, f);
      const weSay = ours.ok
        ? "accepted"
        : `error: ${ours.errors[0]!.message} ${ours.errors[0]!.line}:${ours.errors[0]!.column}`;
      if (weSay !== nixSays) problems.push(`${JSON.stringify(src)}: nix ${nixSays}, ours ${weSay}`);
      if (!ours.ok && !ours.errors[0]!.hint) problems.push(`${JSON.stringify(src)}: no hint`);
    });
    removeDir(dir);
    expect(files).toEqual([]);
    expect(problems).toEqual([]);
  });

  it("agrees on hand-written tricky positive cases, and Nix accepts them", async () => {
    const { dir, files, verdicts } = await nixParseSnippets(POSITIVE);
    const problems: string[] = [];
    POSITIVE.forEach((src, k) => {
      const nix = verdicts[k]!;
      const ours = parseNix(src, files[k]!);
      if (!nix.ok) problems.push(`nix rejects ${JSON.stringify(src)}: ${nix.error}`);
      if (!ours.ok) problems.push(`we reject ${JSON.stringify(src)}: ${ours.errors[0]!.message}`);
      if (nix.ok && ours.ok) {
        const opts = { baseDir: dir, home: HOME };
        const v = compareShown(showLikeNix(ours.value, opts), nix.printed, opts);
        if (v !== "equal" && v !== "equal-modulo-order")
          problems.push(
            `${JSON.stringify(src)}: ours ${showLikeNix(ours.value, opts)} nix ${nix.printed}`,
          );
      }
    });
    removeDir(dir);
    expect(problems).toEqual([]);
  }, 60_000);

  it("agrees on hand-written negative cases, and Nix rejects them", async () => {
    const { dir, files, verdicts } = await nixParseSnippets(NEGATIVE);
    const problems: string[] = [];
    NEGATIVE.forEach((src, k) => {
      const nix: NixVerdict = verdicts[k]!;
      const ours = parseNix(src, files[k]!);
      if (nix.ok) problems.push(`nix accepts ${JSON.stringify(src)}`);
      if (ours.ok) problems.push(`we accept ${JSON.stringify(src)}`);
      else expect(ours.errors[0]!.code).toBe("nix-parse");
    });
    removeDir(dir);
    expect(problems).toEqual([]);
  }, 60_000);
});
