# The user's own flake outputs: file-based outputs/flake and outputs/perSystem (merge rules of
# Nixverse HEAD) and b1b80d5-style flake-parts modules, with the
# reserved output names refused. `apps` are returned separately so the runtime can add its own.
{
  lib,
  data,
  flakePath,
  inputs,
  userInputs,
  userLib,
  userPkgs,
  userModules,
  nodes,
  systems,
  libInput,
}:
let
  util = import ./util.nix { inherit lib; };
  root = toString flakePath;
  rel = file: lib.removePrefix "${root}/" (toString file);

  # The final flake outputs (what `outputs` / `outputs'` mean to output files).
  final = inputs.self or { };

  # Nixverse HEAD merges private before public (lists: private first).
  privateFirst = files: lib.reverseList files;

  mergeValues =
    {
      outputName,
      left,
      right,
      mergeSystemAttrs ? false,
    }:
    if lib.isAttrs left.value && lib.isAttrs right.value then
      let
        collisions = builtins.intersectAttrs left.value right.value;
        mergeAttr =
          name: _:
          if mergeSystemAttrs && lib.elem name systems then
            mergeValues {
              outputName = "${outputName}.${name}";
              left = {
                inherit (left) path;
                value = left.value.${name};
              };
              right = {
                inherit (right) path;
                value = right.value.${name};
              };
            }
          else
            throw "Output `${outputName}.${name}` is defined in both `${left.path}` and `${right.path}`";
      in
      left.value // right.value // lib.mapAttrs mergeAttr collisions
    else if lib.isList left.value && lib.isList right.value then
      left.value ++ right.value
    else
      throw "Output `${outputName}` is defined in both `${left.path}` and `${right.path}`, but the values are not both attribute sets or both lists";

  mergeFiles =
    {
      outputName,
      files,
      call,
      mergeSystemAttrs ? false,
    }:
    let
      ordered = privateFirst files;
      first = builtins.head ordered;
    in
    (builtins.foldl'
      (left: file: {
        path = "${left.path}, ${rel file}";
        value = mergeValues {
          inherit outputName left mergeSystemAttrs;
          right = {
            path = rel file;
            value = call file;
          };
        };
      })
      {
        path = rel first;
        value = call first;
      }
      (builtins.tail ordered)
    ).value;

  inputsFor =
    system:
    lib.mapAttrs (
      _: input:
      input
      // {
        packages = input.packages.${system} or { };
        legacyPackages = input.legacyPackages.${system} or { };
      }
    ) userInputs;

  outputsFor =
    system:
    lib.mapAttrs (
      _: output: if lib.isAttrs output && output ? ${system} then output.${system} else output
    ) final;

  flakeOutputs = lib.mapAttrs (
    outputName: files:
    mergeFiles {
      inherit outputName files;
      mergeSystemAttrs = true;
      call =
        file:
        util.callWith {
          inputs = userInputs;
          inherit lib nodes;
          outputs = final;
        } (import file);
    }
  ) data.outputs.flake;

  perSystemOutputs = lib.mapAttrs (
    outputName: files:
    lib.genAttrs systems (
      system:
      let
        pkgs = libInput.legacyPackages.${system};
      in
      mergeFiles {
        outputName = "${outputName}.${system}";
        inherit files;
        call =
          file:
          util.callWith {
            inherit
              lib
              system
              pkgs
              nodes
              ;
            pkgs' = userPkgs pkgs;
            inputs' = inputsFor system;
            outputs' = outputsFor system;
          } (import file);
      }
    )
  ) data.outputs.perSystem;

  firstFile = files: rel (builtins.head (privateFirst files));

  mergePerSystem =
    outputName: perSystem:
    if !(flakeOutputs ? ${outputName}) then
      perSystem
    else
      let
        flakeOutput = flakeOutputs.${outputName};
      in
      assert lib.assertMsg (lib.isAttrs flakeOutput)
        "Flake output `${outputName}` must be an attribute set to merge with `outputs/perSystem/${outputName}.nix`";
      flakeOutput
      // lib.mapAttrs (
        system: value:
        if !(flakeOutput ? ${system}) then
          value
        else
          mergeValues {
            outputName = "${outputName}.${system}";
            left = {
              path = firstFile data.outputs.flake.${outputName};
              value = flakeOutput.${system};
            };
            right = {
              path = firstFile data.outputs.perSystem.${outputName};
              inherit value;
            };
          }
      ) perSystem;

  fileOutputs = flakeOutputs // lib.mapAttrs mergePerSystem perSystemOutputs;

  # b1b80d5-style outputs.nix: a flake-parts module, evaluated with the `flake-parts` input the
  # generator adds for it, and `systems` defaulting to the flake-exposed ones.
  flakePartsOutputs =
    let
      flake-parts =
        inputs.flake-parts
          or (throw "nixverse: outputs.nix is a flake-parts module, but flake.nix has no flake-parts input; re-run nixverse-gen");
    in
    flake-parts.lib.mkFlake
      {
        inputs = userInputs // lib.optionalAttrs (inputs ? self) { inherit (inputs) self; };
        specialArgs = {
          inherit nodes;
          nixosModules' = userModules.nixos;
          darwinModules' = userModules.darwin;
          homeModules' = userModules.home;
          flakeModules' = userModules.flake;
        };
      }
      {
        # b1b80d5 declares perSystem.makefileInputs (a list of packages per system) for `apps.make`.
        imports = [ ./flake-parts-makefile-inputs.nix ] ++ data.outputs.flakeParts;
        systems = lib.mkDefault lib.systems.flakeExposed;
        _module.args = {
          inherit lib;
          lib' = userLib;
          getPkgs' = userPkgs;
        };
        perSystem =
          { system, ... }:
          let
            pkgs = libInput.legacyPackages.${system};
          in
          {
            _module.args = {
              inherit pkgs;
              pkgs' = userPkgs pkgs;
            };
          };
      };

  partsOutputs = if data.outputs.flakeParts == [ ] then { } else flakePartsOutputs;

  # File-based and flake-parts outputs together; where both define one, values merge by the rules
  # above (attribute sets key by key, lists concatenated).
  combined =
    partsOutputs
    // fileOutputs
    // lib.mapAttrs (
      outputName: _:
      mergeValues {
        inherit outputName;
        mergeSystemAttrs = true;
        left = {
          path = lib.concatMapStringsSep ", " rel data.outputs.flakeParts;
          value = partsOutputs.${outputName};
        };
        right = {
          path = "outputs/";
          value = fileOutputs.${outputName};
        };
      }
    ) (builtins.intersectAttrs partsOutputs fileOutputs);

  defined = name: combined ? ${name} && combined.${name} != { };

  reservedError =
    if defined "nixosConfigurations" then
      "Do not specify the nixosConfigurations flake output, it is generated automatically"
    else if defined "darwinConfigurations" then
      "Do not specify the darwinConfigurations flake output, it is generated automatically"
    else if defined "lib" then
      "Do not specify the lib flake output, it is generated automatically"
    else if defined "nixverse" then
      "Do not specify the nixverse flake output, it is used internally by nixverse"
    else
      null;

  checked =
    if reservedError != null then
      throw reservedError
    else
      builtins.removeAttrs combined [
        "nixosConfigurations"
        "darwinConfigurations"
        "lib"
        "nixverse"
      ];

  # Where a user app came from, for the collision message.
  appSource =
    if data.outputs.perSystem ? apps then
      firstFile data.outputs.perSystem.apps
    else if data.outputs.flake ? apps then
      firstFile data.outputs.flake.apps
    else
      lib.concatMapStringsSep ", " rel data.outputs.flakeParts;
in
{
  # Everything but `apps` (the runtime merges those with its own).
  outputs = builtins.removeAttrs checked [ "apps" ];
  userApps = checked.apps or { };
  inherit appSource;
}
