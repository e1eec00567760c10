#!/usr/bin/env bash
# nixverse/run.sh — the fleet's command runner, copied by nixverse-gen from its runtime-sh/.
#
# `nix run . node deploy|build|install …` (the flake's default app) and `nixverse-gen node …` both
# run this script. It needs bash ≥ 4.4, coreutils, nix, git (for git-tracked host files), tar + ssh
# (host files), and the rebuild tool of each command (nixos-rebuild, darwin-rebuild,
# nixos-anywhere). Every decision about *what* to run comes from one evaluation of the flake's
# `nixverse.plan` (nixverse/lib/plan.nix); the files in nixverse/runner/ only run it: in
# parallel, with each output line prefixed by its node, a log per node and a summary.
set -euo pipefail

self_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly self_dir
# -p's bound, the same as deploy.parallel's: each running node holds processes and files.
readonly max_parallel=1024

# ── state of one run (set by cmd_node, read by the parts in runner/) ────────────────────────────
flake_dir=""       # the fleet's source directory
flake_ref=""       # how nix commands refer to it
tmp=""             # private temp dir of this run (0700), removed on exit
log_dir=""         # where the per-node logs go
parallel=""        # -p N
parallel_given=0   # 0: deploy.parallel from fleet.nix
use_color=0        # node labels in colour (a terminal, no NO_COLOR, not TERM=dumb)
label_width=5      # width of the "<node> | " prefix
decryptor=""       # gen | sops | none, decided once per run when a secret is sent
decrypt_cmd=()     # how to call nixverse-gen for decrypting
interrupted=0      # 1 after SIGINT/SIGTERM/SIGHUP
job_pid=()         # the pool's worker process groups
fleet_version=""   # runnerVersion in fleet.nix
fleet_parallel=10  # deploy.parallel in fleet.nix
fleet_builders=""  # deploy.builders in fleet.nix: --builders for the local build stage
skip_unreachable=0 # --skip-unreachable
from_failed=0      # --failed: the nodes that did not succeed in the last run
failed_names=()
json=0         # --json: the summary on stdout
eval_jobs=1    # --eval-jobs N: nix-eval-jobs --workers
run_start_us=0 # when the stages began
stage_end_us=0 # when the last stage ended
# per job id: ok|failed|skipped|interrupted, the stage it reached, its exit status, its
# microseconds, and the .drv and out path of its system closure
job_result=() job_stage=() job_rc=() job_us=() job_drv=() job_out=()

# The plan (load_plan sources what nixverse/lib/plan.nix renders): these, plus per job i the
# J<i>_* variables and per step k the J<i>_S<k>_* ones.
plan_action="" plan_mode="" plan_flake_ref="" plan_host_key_rel=""
plan_user_mk="" plan_njobs=0
plan_nodes=() plan_make_targets=()

# macOS ships bash 3.2: switch to a newer bash from Nix or Homebrew when there is one.
if ((BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4))); then
  for b in /run/current-system/sw/bin/bash /etc/profiles/per-user/"${USER:-}"/bin/bash \
    "${HOME:-}/.nix-profile/bin/bash" /nix/var/nix/profiles/default/bin/bash /opt/homebrew/bin/bash /usr/local/bin/bash; do
    if [[ -x $b ]] && "$b" -c '((BASH_VERSINFO[0] >= 5))' 2>/dev/null; then exec "$b" "$0" "$@"; fi
  done
  printf 'nixverse: error: bash %s is too old (4.4 or newer is needed); run: nix shell nixpkgs#bash -c bash %s\n' "$BASH_VERSION" "$0" >&2
  exit 1
fi

# shellcheck source=runner/ui.sh
source "$self_dir/runner/ui.sh"
# shellcheck source=runner/plan.sh
source "$self_dir/runner/plan.sh"
# shellcheck source=runner/hostfiles.sh
source "$self_dir/runner/hostfiles.sh"
# shellcheck source=runner/steps.sh
source "$self_dir/runner/steps.sh"
# shellcheck source=runner/pool.sh
source "$self_dir/runner/pool.sh"
# shellcheck source=runner/stages.sh
source "$self_dir/runner/stages.sh"

if [[ -t 1 && -z ${NO_COLOR:-} && ${TERM:-dumb} != dumb ]]; then use_color=1; fi
read_fleet_settings "$self_dir/fleet.nix"

# ── commands ─────────────────────────────────────────────────────────────────────────────────────
cmd_node() {
  local sub=${1:-}
  case $sub in
  deploy | build | install) shift ;;
  "")
    help_node >&2
    exit 2
    ;;
  -h | --help | help)
    help_node
    exit 0
    ;;
  *) usage_error "Unknown command node $sub" "node" ;;
  esac
  local mode="" show_plan=0 a
  local -a names=()
  while (($#)); do
    a=$1
    shift
    case $a in
    -h | --help)
      "help_$sub"
      exit 0
      ;;
    -p | --parallel)
      (($#)) || usage_error "$a needs a value" "node $sub"
      parallel=$1 parallel_given=1
      shift
      ;;
    -p*) parallel=${a#-p} parallel_given=1 ;;
    --parallel=*) parallel=${a#--parallel=} parallel_given=1 ;;
    -n | --dry-run | --ephemeral | --reboot | --boot | --dry-activate | --goal | --goal=*)
      [[ $sub == deploy ]] || usage_error "$a is an option of node deploy only" "node $sub"
      local m
      case $a in
      -n | --dry-run) m="build" ;;
      --ephemeral) m="test" ;;
      --goal)
        (($#)) || usage_error "$a needs a value" "node deploy"
        m=$1
        shift
        ;;
      --goal=*) m=${a#--goal=} ;;
      *) m=${a#--} ;;
      esac
      [[ $m =~ ^(switch|boot|test|dry-activate|build|reboot)$ ]] ||
        usage_error "--goal must be switch, boot, test, dry-activate or build, got \"$m\"" "node deploy"
      [[ -z $mode || $mode == "$m" ]] || usage_error "--dry-run, --ephemeral, --reboot, --boot, --dry-activate and --goal are mutually exclusive" "node deploy"
      mode=$m
      ;;
    --skip-unreachable) skip_unreachable=1 ;;
    --failed) from_failed=1 ;;
    --json) json=1 ;;
    --eval-jobs)
      if ! (($#)) || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then usage_error "$a needs a positive integer" "node $sub"; fi
      eval_jobs=$1
      shift
      ;;
    --show-plan) show_plan=1 ;;
    --)
      names+=("$@")
      break
      ;;
    -*) usage_error "Unknown option $a" "node $sub" ;;
    *) names+=("$a") ;;
    esac
  done
  if ((!parallel_given)); then
    parallel=$fleet_parallel
  else
    # At most four significant digits before any arithmetic: bash integers wrap silently.
    if ! [[ $parallel =~ ^0*[1-9][0-9]{0,3}$ ]] || ((10#$parallel > max_parallel)); then
      usage_error "-p must be an integer from 1 to $max_parallel, got \"$parallel\"" "node $sub"
    fi
    parallel=$((10#$parallel))
  fi
  if ((${#names[@]} == 0 && !from_failed)); then
    "help_$sub" >&2
    exit 2
  fi

  # --json: the summary is the only thing on stdout; everything for people goes to stderr
  if ((json)); then exec 5>&1 1>&2; fi
  flake_dir=$(find_flake)
  flake_ref=$(flake_ref_of "$flake_dir")
  cd "$flake_dir"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/nixverse.XXXXXX")
  chmod 0700 "$tmp"
  trap 'rm -rf "$tmp"' EXIT

  if ((from_failed)); then
    local failed
    failed=$(last_failed "$flake_dir/build/runs/latest/summary.json") || exit 1
    read -r -a failed_names <<<"$failed"
    names+=("${failed_names[@]}")
  fi
  load_plan "$sub" "$mode" "${names[@]}"
  print_plan
  ((show_plan)) && exit 0
  open_run_logs
  run_user_make
  detect_decryptor_if_needed

  label_width=5
  for n in "${plan_nodes[@]}"; do ((${#n} > label_width)) && label_width=${#n}; done
  echo
  run_all
  local rc=0
  print_summary || rc=1
  write_json "$log_dir/summary.json"
  if ((json)); then cat "$log_dir/summary.json" >&5; fi
  ((interrupted)) && exit 130
  exit "$rc"
}

# open_run_logs — this run's log directory: build/runs/<time>/ (the last 10 runs are kept;
# build/runs/latest and build/logs point at the newest), or exactly $NIXVERSE_LOG_DIR; in the
# user's cache when the flake is a read-only store path.
open_run_logs() {
  local runs=$flake_dir/build/runs id old
  if [[ -n ${NIXVERSE_LOG_DIR:-} ]]; then
    log_dir=$NIXVERSE_LOG_DIR
    mkdir -p "$log_dir"
    return
  fi
  [[ $flake_dir == /nix/store/* ]] && runs=${XDG_CACHE_HOME:-$HOME/.cache}/nixverse/runs
  printf -v id '%(%Y%m%d-%H%M%S)T-%s' -1 "$$"
  log_dir=$runs/$id
  mkdir -p "$log_dir"
  # (another run may be replacing the same link right now: that one wins)
  ln -sfn "$id" "$runs/latest" 2>/dev/null || true
  # build/logs was one directory overwritten by each run; an old one is left as it is
  if [[ $runs == "$flake_dir/build/runs" && (-L $flake_dir/build/logs || ! -e $flake_dir/build/logs) ]]; then
    ln -sfn "runs/$id" "$flake_dir/build/logs" 2>/dev/null || true
  fi
  # the 9 newest finished runs stay besides this one; a run still going (no summary.json yet,
  # e.g. another deploy at the same time) is never removed
  local -a all=()
  for old in "$runs"/[0-9]*/; do
    [[ -f ${old}summary.json ]] && all+=("${old%/}")
  done
  while ((${#all[@]} > 9)); do
    rm -rf -- "${all[0]}"
    all=("${all[@]:1}")
  done
}

# last_failed <summary.json> — the nodes of that run that did not succeed (failed, interrupted,
# not run; skipped ones too), space-separated; fails with a message when there are none.
last_failed() {
  local file=$1 line out=""
  if [[ ! -r $file ]]; then
    printf 'nixverse: --failed: no earlier run here (%s does not exist)\n' "$file" >&2
    return 1
  fi
  while IFS= read -r line; do
    [[ $line =~ ^\{\"node\":\"([^\"]+)\".*\"result\":\"([^\"]+)\" ]] || continue
    [[ ${BASH_REMATCH[2]} == ok ]] || out+=" ${BASH_REMATCH[1]}"
  done <"$file"
  if [[ -z $out ]]; then
    printf 'nixverse: --failed: every node of the last run (%s) succeeded\n' "$file" >&2
    return 1
  fi
  printf '%s\n' "${out# }"
}

# Decrypting needs a tool only when some node has an encrypted file to send.
detect_decryptor_if_needed() {
  local i s
  for ((i = 0; i < plan_njobs; i++)); do
    local -n hf_=J${i}_hf
    [[ $hf_ == 1 ]] || continue
    local -n dirs_=J${i}_hf_dirs secret_=J${i}_hf_secret
    for s in "${!dirs_[@]}"; do
      if [[ ${secret_[s]} == 1 && -d $flake_dir/${dirs_[s]} ]]; then
        detect_decryptor
        return
      fi
    done
  done
}

# run_all — the stages for all nodes, then the pool for each node that is still good.
run_all() {
  local i
  local -a ids=() staged=() pooled=()
  now_us run_start_us
  # a signal during a stage ends the run after that stage: no node is copied or activated
  trap on_interrupt INT TERM HUP
  for ((i = 0; i < plan_njobs; i++)); do ids+=("$i"); done
  probe_stage "${ids[@]}"
  for i in "${ids[@]}"; do
    local -n stages_=J${i}_stages
    [[ -z ${job_result[i]:-} && $stages_ == 1 ]] && staged+=("$i")
  done
  ((interrupted)) || eval_stage "${staged[@]}"
  ((interrupted)) || build_stage "${staged[@]}"
  if ((interrupted)); then
    printf '\nnixverse: interrupted before any node was copied or activated\n' >&2
    return 0
  fi
  for i in "${ids[@]}"; do
    [[ -z ${job_result[i]:-} ]] || continue
    local -n stages_=J${i}_stages nsteps_=J${i}_nsteps
    if [[ $stages_ == 1 && $nsteps_ == 0 ]]; then
      job_result[i]=ok job_stage[i]=build job_rc[i]=0 job_us[i]=$((stage_end_us - run_start_us))
    else
      pooled+=("$i")
    fi
  done
  ((${#pooled[@]} == 0)) || run_jobs "${pooled[@]}"
}

cmd_secrets() {
  if [[ -n ${NIXVERSE_GEN_JS:-} ]]; then exec "${NIXVERSE_NODE:-node}" "$NIXVERSE_GEN_JS" secrets "$@"; fi
  if command -v nixverse-gen >/dev/null; then exec nixverse-gen secrets "$@"; fi
  if command -v npx >/dev/null && npx --no-install nixverse-gen --version >/dev/null 2>&1; then
    exec npx --no-install nixverse-gen secrets "$@"
  fi
  abort "secrets commands need nixverse-gen, which is not installed: $get_nixverse_gen; then run \`nixverse-gen secrets $*\`"
}

main() {
  local command=${1:-}
  case $command in
  node)
    shift
    cmd_node "$@"
    ;;
  secrets)
    shift
    cmd_secrets "$@"
    ;;
  help | -h | --help)
    case ${2:-} in
    "") help_top ;;
    node) if [[ -n ${3:-} ]] && declare -F "help_$3" >/dev/null && [[ $3 =~ ^(deploy|build|install)$ ]]; then "help_$3"; else help_node; fi ;;
    secrets) cmd_secrets --help ;;
    *)
      printf 'Unknown help topic %s\nRun "nix run . -- help".\n' "$2" >&2
      exit 2
      ;;
    esac
    ;;
  --version) printf 'nixverse runner %s\n' "$fleet_version" ;;
  "")
    help_top >&2
    exit 2
    ;;
  *)
    printf 'Unknown command %s\nUse "nix run . -- help" to find out usage.\n' "$command" >&2
    exit 2
    ;;
  esac
}

main "$@"
