# nixverse runtime library — copied by nixverse-gen into the user's nixverse/lib/ (do not edit
# there). It only evaluates: everything structural (which nodes and groups exist, their files,
# definition order, input tables) comes from the generated nixverse/fleet.nix, so evaluating one
# node costs the same whatever the size of the fleet. Contract: docs/fleet-data.md.
{
  # The flake's outputs-function argument set, self included.
  inputs,
  # The flake's root (`./.` in flake.nix).
  flakePath,
  # import ./nixverse/fleet.nix
  data,
}:
let
  libInput =
    inputs.${data.libInput}
      or (throw "Missing the required flake input ${data.libInput} (its lib evaluates meta, lib' and outputs); re-run nixverse-gen");
  inherit (libInput) lib;

  renaming = import ./inputs.nix { inherit lib inputs data; };
  userInputs = renaming.raw;

  userLib = import ./user-lib.nix {
    inherit lib userInputs;
    files = data.lib;
  };
  # channel → pkgs → pkgs'; outputs and flake-parts use the unstable one, as Nixverse does.
  userPkgsOn = import ./user-pkgs.nix {
    inherit lib userLib;
    files = data.pkgs;
    inputsFor =
      channel: system:
      if system == null then
        { }
      else
        renaming.forPkgs "${channel}/${if lib.hasSuffix "-darwin" system then "darwin" else "nixos"}" system;
  };
  userPkgs = userPkgsOn "unstable";
  userModules = import ./user-modules.nix {
    inherit lib;
    inherit (data) modules;
  };

  entities = import ./entities.nix {
    inherit
      lib
      data
      flakePath
      metas
      systems
      ;
  };

  # Lazy per node: evaluating one node evaluates nothing of the others.
  metas = lib.mapAttrs (
    name: node:
    import ./meta.nix {
      inherit lib name node;
      args = {
        inherit lib;
        lib' = userLib;
        inputs = userInputs;
        inputs' = renaming.forOs name node;
        nodes = entities.forNode name;
      };
    }
  ) data.nodes;

  systems = lib.mapAttrs (
    name: node:
    import ./system.nix {
      inherit
        lib
        data
        flakePath
        name
        node
        renaming
        userLib
        userPkgsOn
        userModules
        ;
      meta = metas.${name};
      nodes = entities.forNode name;
    }
  ) data.nodes;

  outputSystems = if (data.outputs.systems or null) == null then lib.systems.flakeExposed else data.outputs.systems;

  user = import ./outputs.nix {
    inherit
      lib
      data
      flakePath
      inputs
      userInputs
      userLib
      userPkgs
      userModules
      libInput
      ;
    nodes = outputNodes;
    systems = outputSystems;
  };

  # What outputs/ files (and flake-parts modules) see as `nodes`: as Nixverse HEAD's
  # userOutputsNodes, each node also carries its `pkgs`, `pkgs'`, `lib` and `lib'`.
  outputNodes = lib.mapAttrs (
    name: entity:
    if data.nodes ? ${name} then
      let
        inherit (systems.${name}) pkgs;
      in
      entity
      // {
        inherit pkgs;
        pkgs' = userPkgsOn data.nodes.${name}.channel pkgs;
        inherit (pkgs) lib;
        lib' = userLib;
      }
    else
      entity
  ) entities.all;

  # `nix run . <command>`: the generated runner script (it reads `public.plan`). toString: the
  # flake source is already in the store; interpolating the path would copy it a second time.
  # meta.description: `nix flake check` / `show` warn about an app without one.
  runner = {
    type = "app";
    program = "${toString flakePath}/nixverse/run.sh";
    meta.description = "Deploy, build and install the fleet's nodes (nix run . -- node --help)";
  };
  # `make`: GNU make with the user's makefileInputs.<system> on PATH (both Nixverse versions).
  makeApp =
    system:
    let
      pkgs = libInput.legacyPackages.${system};
      inputsOutput = user.outputs.makefileInputs or { };
      makefileInputs =
        if lib.isAttrs inputsOutput && inputsOutput ? ${system} then inputsOutput.${system} else [ ];
    in
    {
      type = "app";
      program = lib.getExe (pkgs.callPackage (import ./make.nix { inherit makefileInputs; }) { });
      meta.description = "GNU make with the fleet's makefileInputs on PATH (nix run .#make -- <target>)";
    };
  apps = lib.genAttrs outputSystems (
    system:
    let
      ownApps = {
        default = runner;
        nixverse = runner;
        make = makeApp system;
      };
      mine = user.userApps.${system} or { };
      clash = builtins.attrNames (builtins.intersectAttrs ownApps mine);
    in
    if clash != [ ] then
      throw "App `${system}.${builtins.head clash}` is defined by nixverse and `${user.appSource}`"
    else
      ownApps // mine
  );
in
{
  system =
    name:
    systems.${name}
      or (throw "nixverse: no node named ${name} in nixverse/fleet.nix; re-run nixverse-gen");
  userOutputs = user.outputs;
  inherit userLib apps;

  # What the runner and the `secrets` commands read (`nix eval .#nixverse…`).
  public = {
    nodes = entities.all;
    meta = metas;
    inherit data lib userLib;
    plan = import ./plan.nix {
      inherit data;
      meta = metas;
    };
    # The runner's one evaluation of the selected nodes' system closures.
    targets = import ./targets.nix { inherit data systems; };
    # A function of the decrypted master secrets expression (used by `nixverse-gen secrets`).
    secrets = import ./secrets.nix {
      inherit lib data userInputs userLib;
      nodes = entities.all;
    };
  };
}
