# Meta evaluation of one node (docs/meta.md): the built-in options plus one wrapper module
# per definition, in the generated order. The result is checked against the statically resolved
# os/channel/system that decided the flake's inputs.
{
  lib,
  name,
  node,
  # What meta functions receive (docs/meta.md).
  args,
}:
let
  util = import ./util.nix { inherit lib; };

  # One definition: `import file` or `(import file).${attr}`, called with the meta arguments when
  # it is a function, and tagged with its location so module errors name `…/group.nix#common`.
  defModule =
    def:
    let
      location = util.defLocation def;
      imported = import def.file;
      value =
        if def.attr == null then
          imported
        else
          imported.${def.attr}
            or (throw "nixverse: node ${name}: ${toString def.file} has no attribute ${def.attr} any more; re-run nixverse-gen");
    in
    _: { _file = location; } // util.callWith args value;

  evaluated = lib.evalModules {
    specialArgs = args;
    modules = [ ./meta-options.nix ] ++ map defModule node.meta;
  };
  inherit (evaluated) config options;

  where = lib.concatMapStringsSep ", " util.defLocation node.meta;

  # Attributes every entity carries; a custom meta key of the same name would shadow them.
  reserved = [
    "name"
    "type"
    "path"
    "privatePath"
    "parents"
    "groups"
    "config"
  ];
  clash = lib.findFirst (k: config ? ${k}) null reserved;

  disagree =
    key: evaluatedValue: staticValue:
    throw ''nixverse: node ${name}: meta ${key} evaluates to ${builtins.toJSON evaluatedValue}, but nixverse/fleet.nix (generated) says ${builtins.toJSON staticValue}. Re-run nixverse-gen, or make ${key} a literal (optionally under lib.mkDefault/mkForce/mkOverride) in ${where}'';

  checked =
    # An incomplete node (generated as such, with the located reason): it fails here, alone.
    if node ? broken then
      throw node.broken
    else if !options.os.isDefined then
      throw "nixverse: node ${name}: missing meta configuration `os` (\"nixos\" or \"darwin\", or set `system`); definitions: ${where}"
    else if !options.channel.isDefined then
      throw "nixverse: node ${name}: missing meta configuration `channel`; definitions: ${where}"
    else if config.os != node.os then
      disagree "os" config.os node.os
    else if config.channel != node.channel then
      disagree "channel" config.channel node.channel
    else if (node.system or null) != null && config.system != node.system then
      disagree "system" config.system node.system
    else if clash != null then
      throw "nixverse: node ${name}: the meta key `${clash}` is reserved (every node has a built-in `${clash}` attribute); rename it in ${where}"
    else
      lib.asserts.checkAssertWarn config.assertions config.warnings (
        builtins.removeAttrs config [
          "assertions"
          "warnings"
          "_module"
        ]
      );
in
checked
