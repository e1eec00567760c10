# One node's nixosSystem / darwinSystem (docs/fleet-data.md): the base module, the
# node's files in the generated order, disko / sops-nix / home-manager when the node needs them.
{
  lib,
  data,
  flakePath,
  name,
  node,
  # Evaluated (and checked) meta of this node.
  meta,
  renaming,
  userLib,
  # channel → pkgs → pkgs'
  userPkgsOn,
  userModules,
  # `nodes` with `current` = this node.
  nodes,
}:
let
  inherit (node) os channel;

  inputs' = renaming.forOs name node;
  require = renaming.require name node inputs';

  pkgsUnstable = channel != "unstable" && inputs' ? nixpkgs-unstable;

  baseModule =
    { lib, pkgs, ... }:
    {
      _module.args =
        {
          pkgs' = userPkgsOn channel pkgs;
        }
        // lib.optionalAttrs pkgsUnstable {
          pkgs-unstable = inputs'.nixpkgs-unstable.legacyPackages.${pkgs.stdenv.hostPlatform.system};
        };
      networking.hostName = lib.mkDefault name;
      environment.systemPackages = [ pkgs.rsync ]; # the fs/ sync copies files with rsync
      # Not mkDefault: hardware-configuration.nix sets it with mkDefault (as Nixverse HEAD).
      nixpkgs.hostPlatform = lib.mkIf (meta.system != null) meta.system;
    };

  diskConfig = lib.optionals (os == "nixos") node.diskConfig;

  diskoModule = {
    imports = [ (require "disko").modules.disko ];
  };

  sopsModule = {
    imports = [ (require "sops-nix").modules.sops ];
    # A string into the flake's source, as Nixverse sets it.
    sops.defaultSopsFile = lib.mkDefault (toString node.secrets);
  };

  homeModule =
    { pkgs', ... }:
    {
      imports = [ (require "home-manager").modules.home-manager ];
      home-manager = {
        useGlobalPkgs = lib.mkDefault true;
        useUserPackages = lib.mkDefault true;
        extraSpecialArgs = {
          lib' = userLib;
          inputs' = renaming.forHome name node;
          modules' = userModules.home;
          inherit nodes;
        };
        users = lib.mapAttrs (_: files: {
          imports = files;
          _module.args = { inherit pkgs'; };
        }) node.home;
      };
    };

  specialArgs =
    {
      lib' = userLib;
      inherit inputs' nodes;
      inputs = renaming.renamedRaw name node;
      modules' = userModules.${os};
    }
    // lib.optionalAttrs data.hasPrivate {
      privatePath = "${toString flakePath}/private";
    };

  modules =
    [ baseModule ]
    ++ node.configuration
    ++ node.hardware
    ++ diskConfig
    ++ lib.optional (diskConfig != [ ]) diskoModule
    ++ lib.optional (node.secrets != null) sopsModule
    ++ lib.optional (node.home != { }) homeModule;

  builder =
    if os == "nixos" then
      (require "nixpkgs").lib.nixosSystem
    else
      builtins.seq (require "nixpkgs") (require "nix-darwin").lib.darwinSystem;
in
# Forcing meta here runs its checks (os/channel agree with the generated data, assertions). An
# incomplete node (no configuration.nix, missing inputs) fails here with the generated reason.
if node ? unbuildable then
  throw node.unbuildable
else
  builtins.seq meta (builder { inherit specialArgs modules; })
