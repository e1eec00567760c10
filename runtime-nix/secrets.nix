# The master secrets file, evaluated (README.md#secrets). `nixverse-gen secrets`
# decrypts it to a private temp file and calls `fleet.public.secrets (import <that file>)`; the
# plaintext never enters the store or the command line. Only builtins are used here, so any `lib`
# works; `lib` is merely handed to the user's function.
{
  # nixpkgs lib of the fleet's lib input (nixpkgs-unstable when present).
  lib,
  # lib' (the user's lib.nix).
  userLib,
  # The user's inputs, not renamed.
  userInputs,
  # Entities without `current` (nodes and groups), for cross-references such as nodes.x.config.
  nodes,
  # nixverse/fleet.nix: the structure (node and group parents, group member nodes).
  data,
}:
raw:
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    elem
    foldl'
    isAttrs
    isFunction
    isList
    listToAttrs
    mapAttrs
    sort
    substring
    typeOf
    ;

  fail = msg: throw "nixverse secrets: ${msg}";

  # Cross-references go through the fixpoint: `secrets` is the raw result, not the cascaded one.
  evaluated =
    if isFunction raw then
      raw {
        inherit lib nodes;
        lib' = userLib;
        inputs = userInputs;
        secrets = evaluated;
      }
    else
      raw;

  secrets =
    if !isAttrs evaluated then
      fail "the secrets file must be an attribute set, or a function returning one (it is a ${typeOf evaluated})"
    else if !isAttrs (evaluated.nodes or { }) then
      fail "`nodes` must be an attribute set of node or group names (it is a ${typeOf evaluated.nodes})"
    else
      evaluated // { nodes = evaluated.nodes or { }; };

  targets = secrets.nodes;

  known = attrNames data.nodes ++ attrNames data.groups;
  knownText =
    let
      n = builtins.length known;
    in
    if n == 0 then "there are none" else "known: ${concatStringsSep ", " (sort (a: b: a < b) known)}";

  # A node name adds that node; a group name adds all its descendant nodes.
  targetNodes =
    name:
    if data.nodes ? ${name} then
      [ name ]
    else if data.groups ? ${name} then
      data.groups.${name}.nodes
    else
      fail "secrets.nodes.${name}: \"${name}\" is not a node or group under nodes/ (${knownText})";

  unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
  nodeNames = sort (a: b: a < b) (unique (concatMap targetNodes (attrNames targets)));

  entitySecrets =
    name:
    let
      v = targets.${name} or { };
    in
    if isAttrs v then v else fail "secrets.nodes.${name} must be an attribute set (it is a ${typeOf v})";

  # nixpkgs' lib.recursiveUpdate: the right side wins; attribute sets merge deeply, the rest is replaced.
  recursiveUpdate =
    lhs: rhs:
    lhs
    // mapAttrs (
      n: v: if isAttrs v && isAttrs (lhs.${n} or null) then recursiveUpdate lhs.${n} v else v
    ) rhs;

  parentsOf = name: (data.nodes.${name} or data.groups.${name}).parents;

  # Nixverse's recursiveFoldParentNames: a depth-first pre-order walk up the parent graph.
  foldParents =
    f: acc: names:
    foldl' (
      acc: name:
      let
        ps = parentsOf name;
      in
      foldParents f (f acc ps) ps
    ) acc names;

  # node > its parents (alphabetically later parent wins) > the parents' ancestors > …
  cascade =
    name:
    foldParents (
      acc: parentNames: recursiveUpdate (foldl' (a: p: recursiveUpdate a (entitySecrets p)) { } parentNames) acc
    ) (entitySecrets name) [ name ];

  cascaded = listToAttrs (
    map (name: {
      inherit name;
      value = cascade name;
    }) nodeNames
  );

  # What reaches a node: `_`-prefixed keys and (resulting) empty sets dropped; list elements are
  # mapped one by one and kept even when they become { }.
  removeHidden =
    v:
    if isAttrs v then
      listToAttrs (
        concatMap (
          k:
          let
            r = removeHidden v.${k};
          in
          if substring 0 1 k == "_" || (isAttrs r && r == { }) then
            [ ]
          else
            [
              {
                name = k;
                value = r;
              }
            ]
        ) (attrNames v)
      )
    else if isList v then
      map removeHidden v
    else
      v;
in
{
  # Everything, hidden keys included; groups stay raw, nodes are cascaded (`secrets eval` sees this).
  config = secrets // {
    nodes = secrets.nodes // cascaded;
  };
  # The nodes that receive secrets, sorted.
  inherit nodeNames;
  # node → what its secrets.yaml holds.
  nodes = mapAttrs (_: removeHidden) cascaded;
}
