import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  NixCommented,
  NixPath,
  nixAttrName,
  nixPath,
  nixString,
  renderNix,
} from "../../generator/nix/value.js";
import { nixEnv, tempDir } from "../support/nix.js";
import { execa } from "execa";

async function nixValue(text: string): Promise<unknown> {
  const dir = tempDir();
  const f = path.join(dir, "v.nix");
  writeFileSync(f, text);
  const r = await execa("nix-instantiate", ["--eval", "--strict", "--json", f], {
    env: nixEnv(),
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("Nix value printer", () => {
  it("escapes strings so Nix reads back the same text", async () => {
    const tricky = 'a "quote" \\ back ${interp} $notinterp\nnew\tline\r';
    expect(await nixValue(nixString(tricky))).toBe(tricky);
  });

  it("quotes attribute names that are not identifiers or are keywords", async () => {
    expect(nixAttrName("web-1")).toBe("web-1");
    expect(nixAttrName("a.b")).toBe('"a.b"');
    expect(nixAttrName("in")).toBe('"in"');
    const data = { "a.b": 1, in: 2, "web-1": 3, "x'": 4, "1x": 5 };
    expect(await nixValue(renderNix(data))).toEqual(data);
  });

  it("prints paths Nix can resolve, including ones with odd characters", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "plain.nix"), "1");
    writeFileSync(path.join(dir, "we ird@.nix"), "2");
    const sub = path.join(dir, "sub");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(sub);
    const f = path.join(sub, "v.nix");
    writeFileSync(
      f,
      `[ (import ${nixPath("../plain.nix")}) (import ${nixPath("../we ird@.nix")}) ]`,
    );
    const r = await execa("nix-instantiate", ["--eval", "--strict", "--json", f], {
      env: nixEnv(),
    });
    expect(JSON.parse(r.stdout)).toEqual([1, 2]);
  });

  it("renders nested data with comments, deterministically", async () => {
    const v = {
      n: new NixCommented("a comment\nover two lines", { list: ["x", "y"], empty: {}, none: null }),
      p: [new NixPath("../a.nix")],
      long: Array.from({ length: 30 }, (_, i) => `item${i}`),
    };
    const text = renderNix(v);
    expect(text).toBe(renderNix(v));
    expect(text).toContain("  # a comment\n  # over two lines\n  n = {");
    expect(text).toContain("p = [ ../a.nix ];");
    expect(text.split("\n").every((l) => l.length <= 100)).toBe(true);
    const dir = tempDir();
    writeFileSync(path.join(dir, "v.nix"), text);
    const r = await execa("nix-instantiate", ["--parse", path.join(dir, "v.nix")], {
      env: nixEnv(),
      reject: false,
    });
    expect(r.exitCode).toBe(0);
  });
});
