// Undefined-variable checking (Nix's bindVars) and the base environment it starts from.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BASE_ENV } from "../../generator/nix/base-env.js";
import { parseNix } from "../../generator/nix/parse.js";
import { nixEnv } from "../support/nix.js";
import { nixAvailable, nixParseSnippets, removeDir } from "./nix-oracle.js";

const undefinedVar = (src: string): string | null => {
  const r = parseNix(src, "f.nix");
  if (r.ok) return null;
  const m = /^undefined variable '(.*)'$/.exec(r.errors[0]!.message);
  if (!m) throw new Error(`not an undefined-variable error: ${r.errors[0]!.message}`);
  return `${m[1]} ${r.errors[0]!.line}:${r.errors[0]!.column}`;
};

describe("scopes", () => {
  it("binds lambda arguments, formals and their defaults", () => {
    expect(undefinedVar("{ a, b ? a }@c: [ a b c ]")).toBeNull();
    expect(undefinedVar("{ a ? b }: a")).toBe("b 1:7");
  });
  it("binds let names in values and body, but inherit looks outside", () => {
    expect(undefinedVar("let a = b; b = 1; in a")).toBeNull();
    expect(undefinedVar("let inherit a; in 1")).toBe("a 1:13");
    expect(undefinedVar("x: let inherit (x) a; b = a; in b")).toBeNull();
  });
  it("binds rec attributes, not plain ones", () => {
    expect(undefinedVar("rec { a = 1; b = a; }")).toBeNull();
    expect(undefinedVar("{ a = 1; b = a; }")).toBe("a 1:14");
    expect(undefinedVar("rec { a.b = 1; c = a; }")).toBeNull();
  });
  it("binds a rec set's attributes inside a set merged into it", () => {
    expect(undefinedVar("{ a = rec { b = 1; }; a = { c = b; }; }")).toBeNull();
    expect(undefinedVar("{ a = { b = 1; }; a = rec { c = b; }; }")).toBe("b 1:33");
  });
  it("lets `with` supply anything, but not to names bound outside it", () => {
    expect(undefinedVar("with {}; [ a b ]")).toBeNull();
    expect(undefinedVar("[ (with {}; a) b ]")).toBe("b 1:16");
  });
  it("knows the base environment and __curPos", () => {
    expect(undefinedVar("[ builtins true null map __add __curPos derivation ]")).toBeNull();
    expect(undefinedVar("[ add ]")).toBe("add 1:3");
  });
  it("looks up `or` when it is used as a function argument", () => {
    expect(undefinedVar("x: x or")).toBe("or 1:6");
  });
});

describe.skipIf(!nixAvailable())("base environment", () => {
  it("is exactly the builtins the Nix on PATH lets a file use", async () => {
    // Asked with the same configuration as the parses below (flakes on: `getFlake` exists only
    // then), never the caller's NIX_CONFIG.
    const r = spawnSync(
      "nix-instantiate",
      ["--eval", "--json", "-E", "builtins.attrNames builtins"],
      { encoding: "utf8", env: nixEnv() },
    );
    const names = JSON.parse(r.stdout) as string[];
    // Every candidate name, bare and with __: the ones Nix parses must be ours and vice versa.
    // Like is compared with like: a name this Nix does not have at all is no candidate.
    const candidates = names.flatMap((n) => [n, `__${n}`]);
    const { dir, verdicts } = await nixParseSnippets(candidates);
    removeDir(dir);
    const accepted = candidates.filter((_, k) => verdicts[k]!.ok);
    const ours = [...BASE_ENV].filter((n) => candidates.includes(n));
    expect(new Set(accepted)).toEqual(new Set(ours));
  }, 120_000);
});
if (!nixAvailable()) console.log("SKIPPED: nix-instantiate not installed (base environment check)");
