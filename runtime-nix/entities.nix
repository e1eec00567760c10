# The `nodes` argument (NIXVERSE-REFERENCE §2.3, §3.5): every node and group by name, with the
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
    metas.${name}
    // located node.dir
    // {
      inherit name;
      type = "node";
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
    };

  # Without `current`: what group structures, outputs and the secrets file see.
  all = lib.mapAttrs groupEntity data.groups // lib.mapAttrs nodeEntity data.nodes;
in
{
  inherit all;
  # With `current`: what a node's meta, OS modules and home-manager modules see.
  forNode = name: all // { current = all.${name}; };
}
