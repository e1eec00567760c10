# The runner's evaluation stage (nixverse/runner/stages.sh): the system closures of the selected
# nodes, evaluated in ONE process by
#   nix eval --raw <flake>#nixverse --apply 'nv: nv.targets.shell [ "web1" "web2" … ]'
# rendered as bash assignments indexed like the given list: eval_drv[i] and eval_out[i] (the .drv
# and its out path), both '' when that node's evaluation failed (tryEval keeps one broken node
# from failing the others; the runner shows its error by evaluating it alone). `attrs` is the
# same selection as an attribute set, for nix-eval-jobs.
{
  data,
  systems, # node name → nixosSystem / darwinSystem result
}:
let
  q = s: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] s}'";
  toplevel =
    n:
    if data.nodes.${n}.os == "darwin" then
      systems.${n}.system
    else
      systems.${n}.config.system.build.toplevel;
  one =
    i: n:
    let
      t = toplevel n;
      r = builtins.tryEval (builtins.seq t.drvPath t.drvPath);
      at = "[${toString i}]";
    in
    if r.success then
      "eval_drv${at}=${q r.value}\neval_out${at}=${q t.outPath}\n"
    else
      "eval_drv${at}=''\neval_out${at}=''\n";
in
{
  shell =
    names:
    builtins.concatStringsSep "" (builtins.genList (i: one i (builtins.elemAt names i)) (builtins.length names));
  attrs =
    names:
    builtins.listToAttrs (
      map (n: {
        name = n;
        value = toplevel n;
      }) names
    );
}
