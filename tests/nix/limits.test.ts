// Deep nesting and huge literals are a located error or simply work, never a RangeError (issue 12
// item 6): the parser and every walk over the tree recurse per level, the lexer used regexes that
// backtrack per character.
import { describe, expect, it } from "vitest";
import { lex, scanWork } from "../../generator/nix/lexer.js";
import { MAX_NESTING, parseNix } from "../../generator/nix/parse.js";
import { makeTree, runCli } from "../support/cli.js";

const deep: Record<string, (n: number) => string> = {
  lists: (n) => "[".repeat(n) + "]".repeat(n),
  "attribute sets": (n) => "{a=".repeat(n) + "1" + ";}".repeat(n),
  parentheses: (n) => "(".repeat(n) + "1" + ")".repeat(n),
  "a chain of +": (n) => "1" + " + 1".repeat(n),
  "a chain of //": (n) => "{}" + " // {}".repeat(n),
  functions: (n) => "x: ".repeat(n) + "x",
  interpolations: (n) => '"${'.repeat(n) + '"x"' + '}"'.repeat(n),
  negations: (n) => "-".repeat(n) + "1",
};

describe("limits of the Nix reader", () => {
  for (const [what, make] of Object.entries(deep)) {
    it(`${what} 2,000 deep: a located nix-too-deep error`, () => {
      const r = parseNix(make(2000), "deep.nix");
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.errors).toHaveLength(1);
      const e = r.errors[0]!;
      expect(e.code).toBe("nix-too-deep");
      expect(e.message).toBe(`expression nested more than ${MAX_NESTING} levels deep`);
      expect(e.file).toBe("deep.nix");
      expect(e.line).toBe(1);
      expect(e.column).toBeGreaterThan(MAX_NESTING / 2);
    });
  }

  it("nesting just under the limit still parses", () => {
    expect(parseNix(deep.lists!(MAX_NESTING - 1), "ok.nix").ok).toBe(true);
  });

  it("10 MB string literals lex and parse, both kinds, with escapes", () => {
    const big = 'a$b\\"c'.repeat((10 * 1024 * 1024) / 6);
    const r = parseNix(`{ s = "${big}"; t = ''${"x".repeat(10 * 1024 * 1024)}''; }`, "big.nix");
    expect(r.ok).toBe(true);
  });

  // The rules starting with a run (paths, URIs) were regexes tried at every position of a run that
  // never matched, each rescanning the rest of it: 80,000 `-` took 15 s, 2,000,000 hours. The
  // other rules' regexes never scan past the token they match. Counted, not timed.
  const runs: Record<string, (n: number) => string> = {
    "-": (n) => "-".repeat(n),
    "a.": (n) => "a.".repeat(n / 2),
    "+": (n) => "+".repeat(n),
    "- then /": (n) => "-".repeat(n - 1) + "/",
    "- then / then space": (n) => "-".repeat(n - 2) + "/ ",
    "a+b: without a colon": (n) => "a" + "+b".repeat(n / 2),
    "/*": (n) => "/*".repeat(n / 2),
    "* then an unclosed comment": (n) => "*".repeat(n - 3) + "/* ",
  };
  for (const [what, make] of Object.entries(runs)) {
    it(`a 200,000-character run of ${what} is scanned a bounded number of times per character`, () => {
      const text = make(200_000);
      scanWork.chars = 0;
      const { tokens } = lex(text);
      expect(tokens.at(-1)!.type).toBe("EOF");
      expect(scanWork.chars).toBeLessThanOrEqual(2 * text.length + 2);
    });
  }

  it("the run's tokens are the ones the per-position rules gave", () => {
    const { tokens } = lex(`${"-".repeat(1000)}/ a.b.c:d/e ~/x/\${y}`);
    expect(tokens.slice(0, 1000).every((t) => t.type === "CHAR" && t.text === "-")).toBe(true);
    expect(tokens.slice(1000).map((t) => [t.type, t.text])).toEqual([
      ["CHAR", "/"],
      ["URI", "a.b.c:d/e"],
      ["HPATH", "~/x/"],
      ["DOLLAR_CURLY", "${"],
      ["ID", "y"],
      ["CHAR", "}"],
      ["PATH_END", ""],
      ["EOF", ""],
    ]);
  });

  it("gen reports a 2,000-deep node.nix at file:line:col and writes nothing", async () => {
    const root = makeTree({
      "nodes/n1/node.nix": `{ os = "nixos"; channel = "unstable"; x = ${deep["attribute sets"]!(2000)}; }\n`,
      "nodes/n1/configuration.nix": "{ }\n",
    });
    const r = await runCli(["gen", "--flake", root], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^nodes\/n1\/node\.nix:1:\d+: error: expression nested more than \d+ levels deep \(/,
    );
    expect(r.stderr).not.toMatch(/RangeError|\n\s+at /);
    // The one-liner is ~10 KB; its code frame shows a window around the column, not the line.
    expect(r.stderr).toContain("| …{a={a=");
    expect(r.stderr.length).toBeLessThan(1000);
  });
});
