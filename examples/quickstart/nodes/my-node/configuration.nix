# An ordinary NixOS module: nixos-rebuild switch --flake .#my-node
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
