# Imported by every member of the cluster group.
{ nodes, lib, ... }:
{
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
  boot.loader.grub.device = "/dev/vda";
  fileSystems."/" = {
    device = "/dev/vda1";
    fsType = "ext4";
  };
  services.openssh.enable = true;
  # Every member knows the others: group entities list their nodes.
  environment.etc."cluster-members".text = lib.concatStringsSep "\n" (lib.attrNames nodes.cluster.nodes);
  system.stateVersion = "26.05";
}
