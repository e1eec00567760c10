// Synthetic fleets for benchmarks: N nodes in N/10 groups of 10, groups nested two deep under
// N/100 (at least one) super-groups, one common/configuration.nix per group, and a private
// overlay for 10% of the nodes. Group commons set os/channel with lib.mkDefault, like Nixverse's
// README and the issue's anchor measurement.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export function writeSyntheticFleet(root, n, { privateShare = 0.1 } = {}) {
  const w = (rel, text) => {
    const f = path.join(root, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
  };
  const groups = Math.max(1, Math.ceil(n / 10));
  const supers = Math.max(1, Math.ceil(groups / 10));
  w("nodes/common/configuration.nix", "{ networking.firewall.enable = true; }\n");
  for (let s = 0; s < supers; s++) {
    const members = [];
    for (let g = s; g < groups; g += supers) members.push(`group${g}`);
    w(`nodes/super${s}/group.nix`, `{\n  common.deploy.useSubstitutes = true;\n${members.map((m) => `  ${m} = { };`).join("\n")}\n}\n`);
  }
  let node = 0;
  for (let g = 0; g < groups; g++) {
    const lines = [
      "{",
      "  common =",
      "    { lib, ... }:",
      "    {",
      '      os = lib.mkDefault "nixos";',
      '      channel = lib.mkDefault "unstable";',
      "    };",
    ];
    for (let i = 0; i < 10 && node < n; i++, node++) {
      lines.push(`  node${node}.deploy.targetHost = "root@10.${g >> 8}.${g & 255}.${i + 1}";`);
      w(`nodes/group${g}/node${node}/configuration.nix`, `{ networking.hostId = "${(node + 0x10000000).toString(16)}"; }\n`);
      if (node % Math.round(1 / privateShare) === 0) {
        w(`private/nodes/group${g}/node${node}/configuration.nix`, "{ services.openssh.enable = true; }\n");
      }
    }
    lines.push("}");
    w(`nodes/group${g}/group.nix`, `${lines.join("\n")}\n`);
    w(`nodes/group${g}/common/configuration.nix`, `{ nixpkgs.hostPlatform = "x86_64-linux"; }\n`);
  }
}
