# A nix-darwin module: darwin-rebuild switch --flake .#mac
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  system.stateVersion = 5;
}
