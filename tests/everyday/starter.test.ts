// The starter fleet's files and the .gitignore rule, checked against Nix's parser and by cases.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ensureGitignore, starterFiles } from "../../generator/init/starter.js";
import { nixParseError, tempDir } from "../support/nix.js";

describe("starter fleet", () => {
  it("every .nix file it writes is valid Nix", async () => {
    const dir = tempDir();
    const files = starterFiles("web-1");
    expect([...files.keys()].sort()).toEqual([
      ".gitignore",
      "README.md",
      "nodes/web-1/configuration.nix",
      "nodes/web-1/node.nix",
    ]);
    for (const [rel, content] of files) {
      if (!rel.endsWith(".nix")) continue;
      const f = path.join(dir, path.basename(rel));
      writeFileSync(f, content);
      expect(await nixParseError(f), rel).toBeNull();
    }
  });
});

describe("ensureGitignore", () => {
  it("adds /build once, keeping what is there", () => {
    expect(ensureGitignore(null)).toMatch(/^# .*\n\/build\n$/);
    expect(ensureGitignore("result")).toMatch(/^result\n# .*\n\/build\n$/);
    for (const present of ["/build", "/build/", "build", "build/", "result\n  /build  \n"]) {
      expect(ensureGitignore(present), present).toBeNull();
    }
    // A rule for something else named build is not the same rule.
    expect(ensureGitignore("/build-output\n")).not.toBeNull();
  });
});
