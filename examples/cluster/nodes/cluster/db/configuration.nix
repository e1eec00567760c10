# db runs the stable channel (see group.nix); pkgs-unstable is there for the odd newer package.
{ pkgs, ... }:
{
  services.postgresql.enable = true;
}
