# shellcheck shell=bash
# nixverse runner: locating the flake, evaluating the plan, the user Makefile.

# A Nix string literal holding $1 verbatim.
nix_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//\$/\\\$}
  printf '"%s"' "$s"
}
nix_cmd() { nix --extra-experimental-features 'nix-command flakes' "$@"; }

# ── locating the flake ───────────────────────────────────────────────────────────────────────────
# The source directory, not the store snapshot: files a Makefile writes during this run are then
# part of what gets deployed. $FLAKE wins; then the nearest directory above $PWD holding a
# generated fleet (flake.nix and nixverse/run.sh); then the flake this script was copied into
# (read-only in the store, e.g. `nix run ~/fleet -- …` from elsewhere).
find_flake() {
  local d
  if [[ -n ${FLAKE:-} ]]; then
    [[ -f $FLAKE/flake.nix ]] || abort "FLAKE is not a flake directory: $FLAKE"
    (cd "$FLAKE" && pwd)
    return
  fi
  d=$PWD
  while :; do
    if [[ -f $d/flake.nix && -f $d/nixverse/run.sh ]]; then
      printf '%s\n' "$d"
      return
    fi
    [[ $d == / ]] && break
    d=$(dirname "$d")
  done
  if [[ -f $self_dir/../flake.nix ]]; then
    (cd "$self_dir/.." && pwd)
    return
  fi
  abort "not in a flake directory: $PWD (cd into the fleet, or set FLAKE=<dir>)"
}

in_git_tree() { command -v git >/dev/null && git -C "$1" rev-parse --is-inside-work-tree >/dev/null 2>&1; }

# How commands refer to the flake: as Nix itself would (a git work tree is read through git, with
# the private/ submodule), and path: otherwise. NIXVERSE_FLAKE_REF overrides.
flake_ref_of() {
  local dir=$1
  if [[ -n ${NIXVERSE_FLAKE_REF:-} ]]; then
    printf '%s\n' "$NIXVERSE_FLAKE_REF"
  elif in_git_tree "$dir"; then
    if [[ -e $dir/private/.git ]]; then printf '%s?submodules=1\n' "$dir"; else printf '%s\n' "$dir"; fi
  else
    printf 'path:%s\n' "$dir"
  fi
}

# ── the plan ─────────────────────────────────────────────────────────────────────────────────────
# One `nix eval` per run. plan.nix renders the plan as bash assignments (this script has no JSON
# parser); NIXVERSE_PLAN_FILE sources a saved rendering instead (tests, debugging).
load_plan() {
  local action=$1 mode=$2
  shift 2
  local names="" n apply out
  if [[ -n ${NIXVERSE_PLAN_FILE:-} ]]; then
    # shellcheck source=/dev/null
    source "$NIXVERSE_PLAN_FILE"
    return
  fi
  for n in "$@"; do names+=" $(nix_string "$n")"; done
  [[ ${NIXVERSE_REBOOT_TIMEOUT:-600} =~ ^[0-9]+$ ]] || abort "NIXVERSE_REBOOT_TIMEOUT must be a number of seconds"
  apply="nv: (nv.plan {
    action = $(nix_string "$action");
    names = [$names ];
    flakeDir = $(nix_string "$flake_dir");
    flakeRef = $(nix_string "$flake_ref");
    mode = $(if [[ -n $mode ]]; then nix_string "$mode"; else printf null; fi);
    rebootTimeout = ${NIXVERSE_REBOOT_TIMEOUT:-600};
    targetRoot = $(nix_string "${NIXVERSE_HOST_ROOT:-/}");
    buildRoot = $(nix_string "${NIXVERSE_BUILD_ROOT:-/}");
  }).shell"
  if ! out=$(nix_cmd eval --no-warn-dirty --raw "$flake_ref#nixverse" --apply "$apply"); then
    abort "could not evaluate the plan of $flake_ref (the error from nix is above)"
  fi
  eval "$out"
}

# ── user Makefile (as Nixverse's) ─────────────────────────────────────────────────────────────────
run_user_make() {
  [[ -f $flake_dir/Makefile || -f $flake_dir/private/Makefile ]] || return 0
  command -v make >/dev/null || abort "$flake_dir has a Makefile, but make is not installed"
  printf '%s' "$plan_user_mk" >"$tmp/user.mk"
  printf 'include %s\n-include Makefile\n-include private/Makefile\n' "$tmp/user.mk" >"$tmp/main.mk"
  local label_width=4
  step "make ${plan_make_targets[*]}"
  set +e
  (make -C "$flake_dir" -f "$tmp/main.mk" -j "$(($(nproc) + 1))" "${plan_make_targets[@]}" </dev/null) 2>&1 |
    prefix_lines make "$log_dir/make.log"
  local rc=${PIPESTATUS[0]}
  set -e
  ((rc == 0)) || abort "make failed (status $rc, log: $log_dir/make.log); no node was touched"
}

# Settings from fleet.nix next to the runner, read without evaluating anything (--version and
# --help need no nix): sets fleet_version (its literal `runnerVersion = "…";` line) and
# fleet_parallel (`parallel = N;` in its `deploy = { … };` block) and fleet_builders (`builders =
# "…";` there: nixverse.yaml's deploy.builders). Defaults when there is none.
read_fleet_settings() {
  local file=$1 line in_deploy=0
  fleet_version="unknown (no nixverse/fleet.nix next to the runner)" fleet_parallel=10 fleet_builders=""
  [[ -r $file ]] || return 0
  while IFS= read -r line; do
    if [[ $line =~ ^\ \ runnerVersion\ =\ \"([^\"]*)\"\;$ ]]; then
      fleet_version=${BASH_REMATCH[1]}
    elif [[ $line == "  deploy = {" ]]; then
      in_deploy=1
    elif [[ $line == "  };" ]]; then
      in_deploy=0
    elif ((in_deploy)) && [[ $line =~ ^\ \ \ \ parallel\ =\ ([0-9]+)\;$ ]]; then
      fleet_parallel=${BASH_REMATCH[1]}
    elif ((in_deploy)) && [[ $line =~ ^\ \ \ \ builders\ =\ \"([^\"]*)\"\;$ ]]; then
      fleet_builders=${BASH_REMATCH[1]}
    fi
  done <"$file"
}
