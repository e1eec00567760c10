# Flake inputs as nodes see them: the raw inputs (minus `self`, home-manager module sets
# normalised) and, per node, the renamed views built from the generated tables
# (README.md#nixverseyaml; precedence already applied by the generator).
{ lib, inputs, data }:
let
  util = import ./util.nix { inherit lib; };

  # As in Nixverse: `homeManagerModules` (preferred) or `homeModules` survive only as
  # `homeModules`.
  normalise =
    input:
    let
      homeModules = input.homeManagerModules or input.homeModules or null;
    in
    builtins.removeAttrs input [ "homeManagerModules" ]
    // lib.optionalAttrs (homeModules != null) { inherit homeModules; };

  raw = lib.mapAttrs (_: normalise) (builtins.removeAttrs inputs [ "self" ]);

  moduleSets = [
    "nixosModules"
    "darwinModules"
    "homeModules"
  ];

  tableOf =
    nodeName: node:
    data.inputTables.${node.inputs}
      or (throw "nixverse: node ${nodeName} uses the input table \"${node.inputs}\", which nixverse/fleet.nix does not define; re-run nixverse-gen");

  # The input an exposed name stands for, with a clear message when flake.nix lacks it.
  pick =
    nodeName: exposed: inputName:
    raw.${inputName}
      or (throw "nixverse: node ${nodeName} expects the flake input ${inputName} (as ${exposed}), but flake.nix does not declare it; re-run nixverse-gen");

  # Nixverse HEAD gives each input's `packages` and `legacyPackages` for the node's system; the
  # per-system sets stay readable too (`packages.<system>.x`, as b1b80d5 users write).
  forSystem =
    system: input:
    if system == null then
      input
    else
      input
      // {
        packages = (input.packages or { }) // (input.packages.${system} or { });
        legacyPackages = (input.legacyPackages or { }) // (input.legacyPackages.${system} or { });
      };

  renamed =
    nodeName: node: view:
    lib.mapAttrs (
      exposed: inputName:
      view exposed inputName (forSystem (node.system or null) (pick nodeName exposed inputName))
    ) (tableOf nodeName node);

  # For pkgs' files (HEAD's getUserPkgs): the view of (channel, os) for the system being built.
  forPkgs =
    table: system:
    lib.mapAttrs (
      _: inputName:
      let
        input = forSystem system raw.${inputName};
      in
      builtins.removeAttrs input moduleSets
      // {
        modules = input."${if lib.hasSuffix "-darwin" system then "darwin" else "nixos"}Modules" or { };
      }
    ) (data.inputTables.${table} or { });
in
{
  inherit raw forPkgs;

  # For NixOS / nix-darwin modules and meta: `modules` is the os module set.
  forOs =
    nodeName: node:
    renamed nodeName node (
      _: _: input:
      builtins.removeAttrs input moduleSets // { modules = input."${node.os}Modules" or { }; }
    );

  # For home-manager modules: `modules` is the input's home-manager module set.
  forHome =
    nodeName: node:
    renamed nodeName node (
      exposed: inputName: input:
      builtins.removeAttrs input moduleSets
      // {
        modules =
          input.homeModules
            or (throw "nixverse: the flake input ${inputName} has no homeModules/homeManagerModules, but a home-manager module of node ${nodeName} reads inputs'.${exposed}.modules");
      }
    );

  # `inputs` for OS modules: renamed names, untouched values (`inputs.nixvim.nixosModules.nixvim`).
  renamedRaw = nodeName: node: renamed nodeName node (_: _: input: input);

  # Missing conventional input → Nixverse's message (the same words as Nixverse's).
  require =
    nodeName: node: view: exposed:
    view.${exposed}
      or (throw "Missing the flake input ${exposed}-${util.inputSuffix node}, required by node ${nodeName}");
}
