// What the package ships (package.json "files", README) points at docs users have: docs/ in the
// repository, never the project's internal SPEC/REFERENCE documents.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/cli.js";

function walk(rel: string): string[] {
  const full = path.join(repoRoot, rel);
  if (!statSync(full, { throwIfNoEntry: false })) return [];
  if (statSync(full).isFile()) return [rel];
  return readdirSync(full).flatMap((e) => walk(`${rel}/${e}`));
}

describe("shipped files", () => {
  it("refer to docs in the repository, not to SPEC or REFERENCE sections", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      files: string[];
    };
    const shipped = [...pkg.files, "README.md", "docs", "runtime-sh"]
      .filter((f) => f !== "dist")
      .flatMap(walk);
    expect(shipped.length).toBeGreaterThan(10);
    const offenders = shipped.filter((f) =>
      /\b(SPEC|REFERENCE)\b[^\n]*§|§\s*\d/.test(readFileSync(path.join(repoRoot, f), "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("the docs the shipped files link to exist", () => {
    for (const doc of ["docs/meta.md", "docs/fleet-data.md", "docs/coming-from-nixverse.md"])
      expect(statSync(path.join(repoRoot, doc)).isFile()).toBe(true);
  });
});
