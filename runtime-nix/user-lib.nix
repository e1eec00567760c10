# lib' (docs/fleet-data.md): the user lib files, public then private, folded with
# recursiveUpdate (private overrides deeply); functions get the final lib' (a fixpoint).
{
  lib,
  files,
  userInputs,
}:
let
  args = {
    inherit lib;
    lib' = userLib;
    inputs = userInputs;
  };
  load = file: let v = import file; in if lib.isFunction v then v args else v;
  userLib = builtins.foldl' (acc: file: lib.recursiveUpdate acc (load file)) { } files;
in
userLib
