# pkgs' (NIXVERSE-REFERENCE §8.2): each package file (the generator already picked the winning
# one, private over public) called with the given pkgs' scope, which adds pkgs' and lib'.
{
  lib,
  files,
  userLib,
}:
pkgs:
let
  # newScope is nixpkgs' own; fall back to callPackageWith for package sets that lack it.
  scope = {
    inherit pkgs';
    lib' = userLib;
  };
  callPackage =
    if pkgs ? newScope then pkgs.newScope scope else lib.callPackageWith (pkgs // scope);
  pkgs' = lib.mapAttrs (_: file: callPackage file { }) files;
in
pkgs'
