# modules' (NIXVERSE-REFERENCE §8.3): per type, name → { imports = public and private files }.
# modules/os is already merged into nixos and darwin by the generator.
{ lib, modules }:
lib.mapAttrs (_: lib.mapAttrs (_: files: { imports = files; })) modules
