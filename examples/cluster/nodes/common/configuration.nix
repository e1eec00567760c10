# Imported by every node, NixOS or darwin. `nodes.current` is the node being built.
{ nodes, ... }:
{
  environment.etc."fleet-os".text = nodes.current.os;
  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];
}
