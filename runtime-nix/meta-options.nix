# The built-in meta options (docs/meta.md): typed built-ins,
# freeform custom keys, `assertions`/`warnings`, and the optional `system` that implies `os`.
{ lib, config, ... }:
let
  inherit (lib) mkOption types;

  osOfSystem =
    system:
    if lib.hasSuffix "-linux" system then
      "nixos"
    else if lib.hasSuffix "-darwin" system then
      "darwin"
    else
      throw "Unsupported host system `${system}`";

  # A host for ssh, nix copy and nixos-rebuild: never read as an option (a leading `-` would be
  # one, e.g. -oProxyCommand=…).
  notOption = t: types.addCheck t (h: builtins.substring 0 1 h != "-") // {
    description = "SSH destination ([user@]host, not starting with -)";
  };
  sshHost = notOption types.nonEmptyStr;

  # ssh is given `-o <entry>` for each entry, so `[ "-p" "2222" ]` would become `-o -p -o 2222`:
  # the type's description is what the module system prints when an entry is refused.
  sshOption = types.addCheck types.nonEmptyStr (s: !lib.hasPrefix "-" s) // {
    description = "ssh -o option: entries are ssh -o options, e.g. Port=2222 (not \"-p\" \"2222\"); see docs/meta.md in nixverse-gen";
  };
  storeUrl = types.addCheck types.str (u: builtins.match "[a-z][a-z0-9+-]*://.+" u != null) // {
    description = "Nix store URL (scheme://…, e.g. file:///var/cache/nix or s3://bucket)";
  };
in
{
  # docs/meta.md: custom keys need no option declaration. Lazy, so reading one key never forces
  # another (a key may read `nodes.current.config`).
  freeformType = types.lazyAttrsOf types.anything;

  options = {
    assertions = mkOption {
      type = types.listOf types.unspecified;
      internal = true;
      default = [ ];
    };
    warnings = mkOption {
      type = types.listOf types.str;
      internal = true;
      default = [ ];
    };

    os = mkOption {
      type = types.enum [
        "nixos"
        "darwin"
      ];
    };
    channel = mkOption {
      type = types.addCheck types.nonEmptyStr (x: x != "any");
    };
    system = mkOption {
      type = types.nullOr types.nonEmptyStr;
      default = null;
      description = "Sets nixpkgs.hostPlatform and implies os.";
    };

    # Read by nixverse-gen without evaluating (for `@tag` selection), so a literal list.
    tags = mkOption {
      type = types.listOf types.nonEmptyStr;
      default = [ ];
      description = "Tags for selecting nodes with @<tag> (node deploy/build/install).";
    };

    deploy = mkOption {
      type = types.submodule {
        options = {
          targetHost = mkOption {
            type = types.nullOr sshHost;
            default = null;
          };
          method = mkOption {
            type = types.enum [
              "copy"
              "nixos-rebuild"
            ];
            default = "copy";
            description = "copy: evaluate and build all nodes once, then nix copy and activate per node; nixos-rebuild: one nixos-rebuild (darwin-rebuild) per node.";
          };
          buildOnRemote = mkOption {
            type = types.bool;
            default = false;
          };
          buildHost = mkOption {
            type = types.nullOr sshHost;
            default = null;
            description = "copy method: build on this machine over ssh-ng (--store ssh-ng://<it> --eval-store auto), then copy from it to the target.";
          };
          buildOnTarget = mkOption {
            type = types.bool;
            default = false;
            description = "copy method: send the derivations to the target and build there.";
          };
          cache = mkOption {
            type = types.nullOr storeUrl;
            default = null;
            description = "copy method: a Nix store URL (file://, s3://, ssh://…) the built closures are pushed to once; the target fetches its closure from it.";
          };
          useSubstitutes = mkOption {
            type = types.bool;
            default = false;
          };
          useRemoteSudo = mkOption {
            type = types.bool;
            default = false;
          };
          sshOpts = mkOption {
            type = types.listOf sshOption;
            default = [ ];
          };
        };
      };
      default = { };
    };

    install = mkOption {
      type = types.submodule {
        options = {
          # docs/meta.md: null or a string (Nixverse typed it `str` with a null default).
          targetHost = mkOption {
            type = types.nullOr (notOption types.str);
            default = config.deploy.targetHost;
          };
          buildOnRemote = mkOption {
            type = types.bool;
            default = config.deploy.buildOnRemote;
          };
          useSubstitutes = mkOption {
            type = types.bool;
            default = config.deploy.useSubstitutes;
          };
          sshOpts = mkOption {
            type = types.listOf sshOption;
            default = config.deploy.sshOpts;
          };
        };
      };
      default = { };
    };
  };

  config = lib.mkIf (config.system != null) {
    os = lib.mkDefault (osOfSystem config.system);
    assertions = [
      {
        assertion = config.os == osOfSystem config.system;
        message = "meta system `${config.system}` implies os `${osOfSystem config.system}`, but os is `${config.os}`";
      }
    ];
  };
}
