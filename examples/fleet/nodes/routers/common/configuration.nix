{ lib', nodes, ... }:
{
  nixpkgs.hostPlatform = "aarch64-linux";
  boot.loader.generic-extlinux-compatible.enable = true;
  networking.nat.enable = true;
  # router1 is .1, router2 is .2 — from the node's own name.
  networking.interfaces.lan.ipv4.addresses = [
    {
      address = lib'.address "10.0.0" (if nodes.current.name == "router1" then 1 else 2);
      prefixLength = 24;
    }
  ];
  system.stateVersion = "26.05";
}
