# modules' (docs/fleet-data.md): per type, name → { imports = public and private files }.
# modules/os is already merged into nixos and darwin by the generator.
{ lib, modules }:
lib.mapAttrs (_: lib.mapAttrs (_: files: { imports = files; })) modules
