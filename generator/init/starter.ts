// The starter fleet `nixverse-gen init` writes into an empty directory: one NixOS node, a
// .gitignore for build/ and a README pointer. Pure: returns relative path → content.

export const DEFAULT_NODE = "my-node";

export function starterFiles(node = DEFAULT_NODE): Map<string, string> {
  return new Map([
    [
      `nodes/${node}/node.nix`,
      `# Meta configuration of the node "${node}": which OS and nixpkgs channel it runs, and how to
# reach it. \`nix run . -- node deploy ${node}\` reads deploy.*; the directory name is the host name.
{
  os = "nixos";
  channel = "unstable";
  # deploy.targetHost = "root@${node}.example.org";
}
`,
    ],
    [
      `nodes/${node}/configuration.nix`,
      `# An ordinary NixOS module for "${node}". Replace the hardware lines with the output of
# \`nixos-generate-config --show-hardware-config\` (or a hardware-configuration.nix beside this file).
{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "x86_64-linux";
  boot.loader.grub.device = "/dev/sda";
  fileSystems."/" = {
    device = "/dev/sda1";
    fsType = "ext4";
  };
  services.openssh.enable = true;
  environment.systemPackages = [ pkgs.git ];
  system.stateVersion = "26.05";
}
`,
    ],
    [".gitignore", GITIGNORE],
    [
      "README.md",
      `# My fleet

NixOS and nix-darwin machines managed with [nixverse-gen](https://www.npmjs.com/package/nixverse-gen):
each machine is a directory under \`nodes/\`; \`flake.nix\` and \`nixverse/\` are generated.

\`\`\`sh
nixverse-gen                                # after changing anything under nodes/
sudo nixos-rebuild switch --flake .#${node}     # on the machine itself
nix run . -- node deploy ${node}                   # or from here, over ssh
\`\`\`
`,
    ],
  ]);
}

/** Scratch files (cleartext secrets, fs trees, logs) live in build/ and must never be committed. */
export const GITIGNORE_LINE = "/build";
const GITIGNORE = `# Scratch files of nixverse-gen (cleartext secrets, logs): never commit them.\n${GITIGNORE_LINE}\n`;

/** The .gitignore after making sure it ignores build/; null when it already does. */
export function ensureGitignore(existing: string | null): string | null {
  if (existing === null) return GITIGNORE;
  const lines = existing.split("\n").map((l) => l.trim());
  if (lines.some((l) => l === "/build" || l === "/build/" || l === "build" || l === "build/"))
    return null;
  return `${existing}${existing === "" || existing.endsWith("\n") ? "" : "\n"}${GITIGNORE}`;
}
