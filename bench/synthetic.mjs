// Synthetic fleets for benchmarks: N nodes in groups of `perGroup` (default 10, so N/10 groups),
// groups nested two deep under ceil(groups/10) super-groups, one common/configuration.nix per
// group, and a private overlay for 10% of the nodes. Group commons set os/channel with
// lib.mkDefault, like Nixverse's README and the issue's anchor measurement.
//
// Options:
// - privateShare: share of nodes with a private/ configuration.nix (0 → no private/ at all).
// - groups: number of groups (default ceil(n / 10)); nodes are dealt to them in blocks.
// - nested: put the groups under super-groups (default true).
// - systems: also write outputs/default.nix setting flake-parts' `systems` (Nixverse b1b80d5
//   evaluates no flake without it: its flake-parts `systems` option has no default).
// - shape "anchor": exactly the fleet of issue #7's Nixverse anchor numbers (N/10 flat groups,
//   a `common` with mkDefault os/channel, 10 nodes with deploy.targetHost each, an empty
//   common/configuration.nix per group, nothing else but outputs/default.nix).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export const SYSTEMS_OUTPUTS = "{ lib, ... }:\n{\n  systems = lib.systems.flakeExposed;\n}\n";

export function writeSyntheticFleet(
  root,
  n,
  { privateShare = 0.1, groups, nested = true, systems = false, shape } = {},
) {
  const w = (rel, text) => {
    const f = path.join(root, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
  };
  if (shape === "anchor") return writeAnchorFleet(w, n);
  const groupCount = Math.max(1, Math.min(n, groups ?? Math.ceil(n / 10)));
  const perGroup = Math.ceil(n / groupCount);
  const supers = nested ? Math.max(1, Math.ceil(groupCount / 10)) : 0;
  const privateEvery = privateShare > 0 ? Math.round(1 / privateShare) : 0;
  w("nodes/common/configuration.nix", "{ networking.firewall.enable = true; }\n");
  if (systems) w("outputs/default.nix", SYSTEMS_OUTPUTS);
  for (let s = 0; s < supers; s++) {
    const members = [];
    for (let g = s; g < groupCount; g += supers) members.push(`group${g}`);
    w(
      `nodes/super${s}/group.nix`,
      `{\n  common.deploy.useSubstitutes = true;\n${members.map((m) => `  ${m} = { };`).join("\n")}\n}\n`,
    );
  }
  let node = 0;
  for (let g = 0; g < groupCount && node < n; g++) {
    const lines = [
      "{",
      "  common =",
      "    { lib, ... }:",
      "    {",
      '      os = lib.mkDefault "nixos";',
      '      channel = lib.mkDefault "unstable";',
      "    };",
    ];
    for (let i = 0; i < perGroup && node < n; i++, node++) {
      lines.push(
        `  node${node}.deploy.targetHost = "root@10.${g >> 8}.${g & 255}.${(i % 250) + 1}";`,
      );
      w(
        `nodes/group${g}/node${node}/configuration.nix`,
        `{ networking.hostId = "${(node + 0x10000000).toString(16)}"; }\n`,
      );
      if (privateEvery && node % privateEvery === 0) {
        w(
          `private/nodes/group${g}/node${node}/configuration.nix`,
          "{ services.openssh.enable = true; }\n",
        );
      }
    }
    lines.push("}");
    w(`nodes/group${g}/group.nix`, `${lines.join("\n")}\n`);
    w(`nodes/group${g}/common/configuration.nix`, `{ nixpkgs.hostPlatform = "x86_64-linux"; }\n`);
  }
}

function writeAnchorFleet(w, n) {
  w("outputs/default.nix", SYSTEMS_OUTPUTS);
  let node = 0;
  for (let g = 0; node < n; g++) {
    const lines = [
      "{",
      '  common = { lib, ... }: { os = lib.mkDefault "nixos"; channel = lib.mkDefault "unstable"; };',
    ];
    for (let i = 0; i < 10 && node < n; i++, node++)
      lines.push(`  node${node}.deploy.targetHost = "root@10.0.${g}.${i + 1}";`);
    lines.push("}");
    w(`nodes/group${g}/group.nix`, `${lines.join("\n")}\n`);
    w(`nodes/group${g}/common/configuration.nix`, "{ }\n");
  }
}
