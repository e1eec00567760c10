# The `nodes` argument (docs/meta.md#custom-keys): every node and group by name, with the
# read-only attributes users read. Everything is lazy: a node's meta is evaluated when one of its
# attributes is read, its configuration when `config` is read.
{
  lib,
  data,
  flakePath,
  # name → evaluated meta, and name → system (nixosSystem/darwinSystem result); both lazy maps.
  metas,
  systems,
}:
let
  root = toString flakePath;

  located = dir: {
    path = "${root}/${dir}";
    privatePath = "${root}/private/${dir}";
  };

  pick = names: lib.genAttrs names (n: all.${n});

  nodeEntity =
    name: node:
    {
      # Nixverse HEAD's raw meta definitions, in order: { loc; file; value; } (value unapplied).
      # First, so a meta key of that name wins, as in HEAD.
      defs = map (def: {
        loc = if def.attr == null then [ ] else [ def.attr ];
        file = toString def.file;
        value = if def.attr == null then import def.file else (import def.file).${def.attr};
      }) node.meta;
    }
    // metas.${name}
    // located node.dir
    // {
      inherit name;
      # "host" as Nixverse HEAD says; "node" for a b1b80d5-style fleet (docs/fleet-data.md).
      type = data.nodeType or "node";
      parents = pick node.parents;
      groups = pick node.groups;
      config = systems.${name}.config;
    };

  groupEntity =
    name: group:
    located group.dir
    // {
      inherit name;
      type = "group";
      parents = pick group.parents;
      groups = pick group.groups;
      children = pick group.children;
      descendants = pick group.descendants;
      nodes = pick group.nodes;
      # Nixverse HEAD's name for the same set.
      hosts = pick group.nodes;
    };

  # Without `current`: what group structures, outputs and the secrets file see.
  all = lib.mapAttrs groupEntity data.groups // lib.mapAttrs nodeEntity data.nodes;
in
{
  inherit all;
  # With `current`: what a node's meta, OS modules and home-manager modules see.
  forNode = name: all // { current = all.${name}; };
}
