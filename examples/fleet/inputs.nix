# Inputs of our own, in flake-input syntax. nixverse-gen splices this file verbatim into
# flake.nix and adds the conventional inputs (nixpkgs-*, home-manager-*, disko-*) it needs.
{
  # Hardware quirks for the routers' boards.
  nixos-hardware.url = "github:NixOS/nixos-hardware";
}
