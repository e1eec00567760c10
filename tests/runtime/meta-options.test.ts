// Tier B: the built-in meta options (runtime-nix/meta-options.nix) refuse wrong definitions with
// the option, what it expects and the file that defined it; docs/meta.md documents every one.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { generatedFlake } from "./support/generate.js";
import { flakeError, flakeValue, repoRoot, tierBMissing } from "./support/nix.js";

const missing = tierBMissing();
if (missing) console.log(`SKIPPED: meta option tests (tier B): ${missing}`);

const node = (name: string, meta: string) => ({
  [`nodes/${name}/node.nix`]: `{ os = "nixos"; channel = "unstable"; ${meta} }\n`,
  [`nodes/${name}/configuration.nix`]: "{ }\n",
});

describe.skipIf(missing !== null)("typed meta options", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await generatedFlake("meta-options", null, {
      ...node("dashp", 'deploy.sshOpts = [ "-p" "2222" ];'),
      ...node("good", 'deploy.sshOpts = [ "Port=2222" ]; install.targetHost = "root@x";'),
      ...node("badbool", 'deploy.buildOnRemote = "yes";'),
      "nodes/grp/group.nix":
        '{ common = { os = "nixos"; channel = "unstable"; install.sshOpts = [ "-i" ]; }; m1 = { }; }\n',
      "nodes/grp/common/configuration.nix": "{ }\n",
    });
  });

  it('deploy.sshOpts = [ "-p" "2222" ] is refused: entries are ssh -o options, e.g. Port=2222', async () => {
    const e = await flakeError(dir, "nixverse.meta.dashp.deploy.sshOpts");
    expect(e).toContain("entries are ssh -o options, e.g. Port=2222");
    expect(e).toMatch(/In [`']nodes\/dashp\/node\.nix[`']/);
    expect(await flakeValue(dir, "nixverse.meta.good.deploy.sshOpts")).toEqual(["Port=2222"]);
    expect(await flakeValue(dir, "nixverse.meta.good.install.sshOpts")).toEqual(["Port=2222"]);
    const g = await flakeError(dir, "nixverse.meta.m1.install.sshOpts");
    expect(g).toContain("entries are ssh -o options");
    expect(g).toMatch(/In [`']nodes\/grp\/group\.nix#common[`']/);
  });

  it("a wrong type names the option, the type and the defining file (not its store path)", async () => {
    const e = await flakeError(dir, "nixverse.meta.badbool.deploy.buildOnRemote");
    expect(e).toContain("deploy.buildOnRemote");
    expect(e).toContain("boolean");
    expect(e).toMatch(/In [`']nodes\/badbool\/node\.nix[`']/);
    expect(e).not.toMatch(/In [`']\/nix\/store/);
  });
});

describe("docs/meta.md", () => {
  it("has a row for every option runtime-nix/meta-options.nix declares", () => {
    const src = readFileSync(join(repoRoot, "runtime-nix/meta-options.nix"), "utf8");
    const doc = readFileSync(join(repoRoot, "docs/meta.md"), "utf8");
    const declared: string[] = [];
    // `name = mkOption` at the top level, and inside the deploy/install submodules.
    let section = "";
    for (const line of src.split("\n")) {
      const sub = /^ {4}(\w+) = mkOption \{$/.exec(line);
      if (sub) section = sub[1]!;
      const inner = /^ {10}(\w+) = mkOption \{$/.exec(line);
      if (sub) declared.push(sub[1]!);
      if (inner) declared.push(`${section}.${inner[1]!}`);
    }
    expect(declared).toContain("deploy.sshOpts");
    expect(declared).toContain("install.targetHost");
    for (const o of declared.filter(
      (o) => !["assertions", "warnings", "deploy", "install"].includes(o),
    ))
      expect(doc, `docs/meta.md has no row for ${o}`).toMatch(
        new RegExp(`^\\| \`${o.replace(".", "\\.")}\` \\|`, "m"),
      );
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    expect(readme).toContain("(docs/meta.md)");
  });
});
