{ modules', ... }:
{
  imports = [ modules'.monitoring ];
  fleet.monitoring.enable = true;
  nixpkgs.hostPlatform = "x86_64-linux";
  boot.loader.grub.enable = true;
  services.nginx.enable = true;
  system.stateVersion = "26.05";
}
