// Generated expressions (valid ones, and ones with a token dropped, added or swapped) parsed by
// us and by nix-instantiate: the verdicts and the printed trees must agree. The seed is fixed so
// a failure reproduces; FUZZ_SEED / FUZZ_N explore further.

import { expect, it } from "vitest";
import { parseNix } from "../../generator/nix/parse.js";
import { nixAvailable, nixParseSnippets, removeDir } from "./nix-oracle.js";
import { compareShown } from "./compare-ast.js";
import { showLikeNix } from "../../generator/nix/show.js";

const HAVE_NIX = nixAvailable();
if (!HAVE_NIX) console.log("SKIPPED: nix-instantiate not installed (parser fuzz test)");
let seed = Number(process.env.FUZZ_SEED ?? 7);
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]!;
const VOCAB = [
  "x",
  "or",
  "1",
  ".5",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  ";",
  ":",
  ",",
  "@",
  "?",
  "=",
  ".",
  "...",
  "-",
  "!",
  "==",
  "<",
  "//",
  "++",
  "if",
  "then",
  "else",
  "let",
  "in",
  "rec",
  "with",
  "assert",
  "inherit",
  "${x}",
  "x:",
];
const OPS = ["+", "-", "*", "/", "==", "!=", "<", ">", "<=", ">=", "&&", "||", "->", "//", "++"];
const SIMPLE = [
  "x",
  "y",
  "z",
  "1",
  "2.5",
  ".5",
  "1.",
  '"s"',
  '"a${x}b"',
  "''\n  a\n   ${y}\n''",
  "./p/q",
  "./p/${x}",
  "<n>",
  "u:v",
  "[ ]",
  "{ }",
  "true",
  "null",
  "__curPos",
  "x.a",
  "x.a.b or y",
  "x or",
  "(x)",
  "~/h",
  "''$${''",
  '"\\${"',
];
function gen(d: number): string {
  if (d <= 0) return pick(SIMPLE);
  const g = () => gen(d - 1);
  switch (Math.floor(rnd() * 22)) {
    case 0:
      return `${g()} ${pick(OPS)} ${g()}`;
    case 1:
      return `(${g()} ${pick(OPS)} ${g()}) ${pick(OPS)} ${g()}`;
    case 2:
      return `${pick(["!", "-"])}${g()}`;
    case 3:
      return `${g()} ? ${pick(["a", "a.b", '"a"', "${x}", "or"])}`;
    case 4:
      return `(${g()}).${pick(["a", "or", '"q"', "${y}"])}${rnd() < 0.5 ? ` or ${gen(0)}` : ""}`;
    case 5:
      return `${gen(0)} ${g()}`;
    case 6:
      return `[ ${g()} ${gen(0)} ]`;
    case 7:
      return `{ a = ${g()}; ${pick(["b.c", '"d"', "${x}", "or", "a", "a.e"])} = ${g()}; }`;
    case 8:
      return `rec { a = ${g()}; b = a; inherit x; inherit (x) c; }`;
    case 9:
      return `let a = ${g()}; ${pick(["b", "a", "c.d"])} = a; in ${g()}`;
    case 10:
      return `if ${g()} then ${g()} else ${g()}`;
    case 11:
      return `with ${g()}; ${g()}`;
    case 12:
      return `assert ${g()}; ${g()}`;
    case 13:
      return `${pick(["w", "{ w, v ? x }", "{ w, ... }", "w@{ v }", "{ v, }@w", "{ }"])}: ${g()}`;
    case 14:
      return `(${g()})`;
    case 15:
      return `"${pick(["", "a", "\\n", "$"])}\${${g()}}${pick(["", "b", "$", "$$"])}"`;
    case 16:
      return `''${pick(["", "\n  ", " "])}${pick(["a", "''$", "'''", "''\\t"])}\${${g()}}${pick(["", "\n", "$"])}''`;
    case 17:
      return `let { body = ${g()}; }`;
    case 18:
      return `${g()} ${pick(OPS)} ${g()} ${pick(OPS)} ${g()}`;
    default:
      return pick(SIMPLE);
  }
}
function mutate(s: string): string {
  if (rnd() < 0.6) return s;
  const toks = s.split(" ");
  const i = Math.floor(rnd() * toks.length);
  const r = rnd();
  if (r < 0.33) toks.splice(i, 1);
  else if (r < 0.66) toks.splice(i, 0, pick(VOCAB));
  else {
    const j = Math.floor(rnd() * toks.length);
    [toks[i], toks[j]] = [toks[j]!, toks[i]!];
  }
  return toks.join(" ");
}
it.skipIf(!HAVE_NIX)(
  "agrees with nix-instantiate --parse on generated expressions",
  async () => {
    const snippets: string[] = [];
    for (let i = 0; i < Number(process.env.FUZZ_N ?? 400); i++)
      snippets.push("x: y: z: " + mutate(gen(1 + Math.floor(rnd() * 3))));
    const { dir, files, verdicts } = await nixParseSnippets(snippets);
    let acc = 0;
    const problems: string[] = [];
    snippets.forEach((s, k) => {
      const ours = parseNix(s, files[k]!);
      const nix = verdicts[k]!;
      if (nix.ok) acc++;
      if (ours.ok !== nix.ok) {
        problems.push(
          `${JSON.stringify(s)}: nix ${nix.ok ? "accepts" : nix.error}, ours ${ours.ok ? "accepts" : ours.errors[0]!.message}`,
        );
      } else if (ours.ok && nix.ok) {
        const opts = { baseDir: dir, home: process.env.HOME! };
        const v = compareShown(showLikeNix(ours.value, opts), nix.printed, opts);
        if (v === "different")
          problems.push(
            `${JSON.stringify(s)}: ours ${showLikeNix(ours.value, opts)} nix ${nix.printed}`,
          );
      }
    });
    console.log(
      `parser fuzz: ${snippets.length} snippets, nix accepted ${acc}, ${problems.length} problems`,
    );
    removeDir(dir);
    expect(acc).toBeGreaterThan(snippets.length / 4);
    expect(problems).toEqual([]);
  },
  600_000,
);
