# Small helpers shared by the runtime files.
{ lib }:
{
  # Call a user function with the arguments it names. A function with formals gets only the
  # formals it declares, so Nixverse-era definitions written as `{ lib, lib', inputs, nodes }:`
  # (no `...`) keep working when we offer more arguments (`inputs'`); a plain `x:` lambda gets
  # them all. Non-functions are returned as they are.
  callWith =
    args: f:
    if lib.isFunction f then
      let
        formals = lib.functionArgs f;
      in
      f (if formals == { } then args else builtins.intersectAttrs formals args)
    else
      f;

  # "…/nodes/web/group.nix#common", or the file alone for a node.nix/host.nix definition.
  # Relative to the flake (`nodes/web/node.nix#common`), as the user wrote it, not its store path.
  defLocation =
    def:
    let
      full = toString def.file;
      inStore = builtins.match "${builtins.storeDir}/[^/]+/(.*)" full;
      file = if inStore == null then full else builtins.head inStore;
    in
    if def.attr == null then file else "${file}#${def.attr}";

  # `-<channel>[-<os>]`, the suffix Nixverse's missing-input messages name.
  inputSuffix = node: "${node.channel}${lib.optionalString (node.channel != "unstable") "-${node.os}"}";
}
