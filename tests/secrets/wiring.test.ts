// Tier B: after `secrets edit`, the regenerated flake hands each router its own secrets.yaml through
// the real sops-nix module (stand-in nixpkgs, pinned sops-nix), and the servers get none.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flakeValue, tierBMissing } from "../runtime/support/nix.js";
import { skipped, tempDir } from "./helpers.js";
import { fleetFixture, scriptedEditor, secrets, type FleetFixture } from "./support.js";

const missing = tierBMissing();
if (missing) skipped(`sops-nix wiring after secrets edit (tier B): ${missing}`);

describe.skipIf(missing !== null)("secrets edit → sops-nix wiring", () => {
  let f: FleetFixture;
  const scripts = tempDir("nvg-editor-");
  beforeAll(async () => {
    f = await fleetFixture();
    const r = await secrets(f, ["edit"], {
      EDITOR: scriptedEditor(scripts.dir, "w", '{ nodes.routers.pppoe.password = "wired"; }\n'),
    });
    if (r.code !== 0) throw new Error(r.stderr);
  });
  afterAll(() => {
    scripts.cleanup();
    f?.cleanup();
  });

  it("router1's sops.defaultSopsFile is its own secrets.yaml, in the flake's store copy", async () => {
    for (const n of ["router1", "router2"]) {
      const file = (await flakeValue(
        f.dir,
        `nixosConfigurations.${n}.config.sops.defaultSopsFile`,
      )) as string;
      expect(file).toMatch(
        new RegExp(`^/nix/store/[a-z0-9]{32}-source/nodes/routers/${n}/secrets\\.yaml$`),
      );
    }
  });

  it("web1 has no sops-nix secrets file", async () => {
    const has = await flakeValue(
      f.dir,
      "nixosConfigurations.web1.config",
      "c: (c.sops or { }) ? defaultSopsFile && c.sops.defaultSopsFile != null",
    );
    expect(has).toBe(false);
  });
});
