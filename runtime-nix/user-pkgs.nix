# pkgs' (docs/fleet-data.md): each package file (the generator already picked the winning
# one, private over public, top level and bundles) called with the given pkgs' scope, which adds
# pkgs', lib' and, as Nixverse HEAD does, inputs' for the channel and the system of `pkgs`.
{
  lib,
  files,
  userLib,
  # channel → system → inputs' (renamed for that channel and the system's os).
  inputsFor,
}:
channel: pkgs:
let
  system = pkgs.stdenv.hostPlatform.system or pkgs.system or null;
  scope = {
    inherit pkgs';
    lib' = userLib;
    inputs' = inputsFor channel system;
  };
  # newScope is nixpkgs' own; fall back to callPackageWith for package sets that lack it.
  callPackage =
    if pkgs ? newScope then pkgs.newScope scope else lib.callPackageWith (pkgs // scope);
  pkgs' = lib.mapAttrs (_: file: callPackage file { }) files;
in
pkgs'
