# shellcheck shell=bash
# nixverse runner: messages, help, the plan listing, prefixed output and the summary.

# ── small helpers (nixos-anywhere style) ─────────────────────────────────────────────────────────
step() { printf '### %s ###\n' "$*"; }
abort() {
  printf 'nixverse: error: %s\n' "$*" >&2
  exit 1
}
# Usage errors exit 2 and point at the help of the command that was misused.
usage_error() {
  printf 'nixverse: %s\n' "$1" >&2
  printf 'Run "nix run . -- %s --help" for usage.\n' "$2" >&2
  exit 2
}
# Single-quoted for a remote POSIX shell.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
# Microseconds since the epoch (EPOCHREALTIME is bash ≥ 5; SECONDS is the fallback).
now_us() { # <var>
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local now_us_t=${EPOCHREALTIME/[.,]/}
    printf -v "$1" '%s' "$((10#$now_us_t))"
  else
    printf -v "$1" '%s' "$((SECONDS * 1000000))"
  fi
}

# ── help ─────────────────────────────────────────────────────────────────────────────────────────
help_top() {
  cat <<'EOF'
nixverse — deploy, build and install the nodes of this fleet

Usage: nix run . -- <command> [<subcommand>] [options]
       nixverse-gen node <subcommand> [options]     (runs this same script)

Commands:
  node deploy    build and activate nodes (nixos-rebuild, darwin-rebuild)
  node build     build the system closures of nodes, in one nix build
  node install   install NixOS on a machine over SSH (nixos-anywhere + disko)
  secrets ...    forwarded to `nixverse-gen secrets ...` (needs Node.js)
  help [<command> [<subcommand>]]

Run "nix run . -- node <subcommand> --help" for the options of each subcommand.
EOF
}
help_node() {
  cat <<'EOF'
Usage: nix run . -- node <deploy|build|install> [options] <node-or-group>...

  deploy    build and activate nodes (nixos-rebuild switch / darwin-rebuild switch)
  build     build the selected nodes' system closures in one `nix build`
  install   install NixOS with nixos-anywhere (disko partitions the disks)

Names are nodes or groups; a group means all the nodes under it. Run
"nix run . -- node <subcommand> --help" for details.
EOF
}
help_common_options() {
  printf '  -p, --parallel N   run at most N nodes at a time (a positive integer, default %s, from deploy.parallel in nixverse.yaml)\n' "$fleet_parallel"
  cat <<'EOF'
      --show-plan    print the plan (every command, per node) and stop
  -h, --help         show this help

Each output line is prefixed with its node; the full output of a node is in
build/logs/<node>.log. A summary table (node, action, result, seconds) ends the run; the
exit status is 1 if any node failed. A failing node never stops the others. Ctrl-C stops
every running node and prints the summary so far. When a Makefile (or private/Makefile)
exists, `make nodes/<node>...` runs first, with nixverse's user.mk variables.
EOF
}
help_deploy() {
  cat <<'EOF'
Usage: nix run . -- node deploy [options] [--dry-run|--ephemeral|--reboot] <node-or-group>...

Build and activate nodes. NixOS: nixos-rebuild switch --flake <flake>#<node>, with
--target-host (deploy.targetHost), --build-host (deploy.buildOnRemote), --use-substitutes,
--use-remote-sudo and NIX_SSHOPTS (deploy.sshOpts). darwin: darwin-rebuild switch, locally, or
on deploy.targetHost over SSH. Nodes without deploy.targetHost are deployed locally (only one
at a time). The node's host key and fs/ files (secrets/fs decrypted with the node key) are
copied to the host before activation.

Options:
  -n, --dry-run      only build (nixos-rebuild build / darwin-rebuild build); copies nothing
      --ephemeral    activate without adding a boot entry (nixos-rebuild test; NixOS only)
      --reboot       make it the boot default (nixos-rebuild boot), reboot, and wait until
                     SSH answers again (NixOS only; NIXVERSE_REBOOT_TIMEOUT, default 600 s)
EOF
  help_common_options
}
help_build() {
  cat <<'EOF'
Usage: nix run . -- node build [options] <node-or-group>...

Build the system closures of the selected nodes with one
`nix build --no-link --keep-going <flake>#nixosConfigurations.<n>.config.system.build.toplevel ...`
(darwinConfigurations.<n>.system for darwin nodes). Nothing is copied or activated.

Options:
EOF
  help_common_options
}
help_install() {
  cat <<'EOF'
Usage: nix run . -- node install [options] <node-or-group>...

Install NixOS on install.targetHost (default: deploy.targetHost) with nixos-anywhere: disko
partitions the disks from the node's disk-config.nix, the hardware configuration is generated
into <node dir>/hardware-configuration.nix (and `git add -N`-ed), and the host key and fs/
files are passed with --extra-files. Uses --build-on local|remote (install.buildOnRemote),
--no-substitute-on-destination (unless install.useSubstitutes) and --ssh-option for each of
install.sshOpts. On a first install (no hardware-configuration.nix yet) it runs in two parts:
`--phases kexec` with the hardware detection, `nixverse-gen gen` so the flake imports the new
file, then `--phases disko,install,reboot`. WARNING: this erases the target's disks.

Options:
EOF
  help_common_options
}

# ── printing ─────────────────────────────────────────────────────────────────────────────────────
quote_words() { # sets qw: the words, quoted for bash where needed
  qw=""
  (($#)) || return 0
  printf -v qw '%q ' "$@"
  qw=${qw% }
}
describe_step() { # <var prefix> — sets desc to one human line for a step
  local -n kind_=$1_kind argv_=$1_argv env_=$1_env root_=$1_root timeout_=$1_timeout
  local pre=""
  case $kind_ in
  run | archive)
    [[ $root_ == 1 && $EUID != 0 ]] && pre="sudo "
    quote_words "${env_[@]}" "${argv_[@]}"
    desc=$pre$qw
    ;;
  hostFiles)
    if ((${#argv_[@]})); then
      desc="copy host files to ${argv_[-1]}:${NIXVERSE_HOST_ROOT:-/}"
    else
      desc="copy host files to ${NIXVERSE_HOST_ROOT:-/} on this machine"
    fi
    ;;
  reboot) desc="reboot ${argv_[-1]} and wait for SSH (at most $timeout_ s)" ;;
  gitAdd) desc="git add --intent-to-add ${argv_[*]}" ;;
  regenerate) desc="nixverse-gen gen (so the flake imports the new hardware-configuration.nix)" ;;
  *) desc=$kind_ ;;
  esac
}
print_plan() {
  local what=$plan_action i k width=0 n desc
  case $plan_mode in
  build) what+=" --dry-run (build only)" ;;
  test) what+=" --ephemeral" ;;
  reboot) what+=" --reboot" ;;
  esac
  printf 'nixverse: %s %d node(s): %s (at most %d at a time)\n' "$what" "${#plan_nodes[@]}" "${plan_nodes[*]}" "$parallel"
  printf 'flake: %s\n' "$plan_flake_ref"
  for n in "${plan_nodes[@]}"; do ((${#n} > width)) && width=${#n}; done
  if [[ $plan_build == 1 ]]; then
    describe_step B
    printf '  %-*s  %s\n' "$width" "(all)" "$desc"
    return
  fi
  for ((i = 0; i < plan_njobs; i++)); do
    local -n node_=J${i}_node err_=J${i}_error nsteps_=J${i}_nsteps
    if [[ -n $err_ ]]; then
      printf '  %-*s  error: %s\n' "$width" "$node_" "$err_"
      continue
    fi
    for ((k = 0; k < nsteps_; k++)); do
      describe_step "J${i}_S${k}"
      printf '  %-*s  %s\n' "$width" "$node_" "$desc"
    done
  done
}

# Copies every line of stdin to the log and to stdout behind "<label> | ". If stdout goes away
# (a pager quit), the node keeps running and its log stays complete: a deploy is never cut off
# half-way by a closed terminal pipe.
prefix_lines() {
  local label=$1 log=$2 line out=1 on="" off=""
  trap '' PIPE
  if ((use_color)); then
    local h=0 k c
    for ((k = 0; k < ${#label}; k++)); do
      printf -v c '%d' "'${label:k:1}"
      h=$((h + c))
    done
    on=$'\e[1;3'$((h % 6 + 1))m off=$'\e[0m'
  fi
  while IFS= read -r line || [[ -n $line ]]; do
    printf '%s\n' "$line" >&3
    ((out)) && { printf '%s%-*s%s | %s\n' "$on" "$label_width" "$label" "$off" "$line" 2>/dev/null || out=0; }
  done 3>>"$log"
  trap - PIPE
}
# Node names in colour only on a terminal, without NO_COLOR, and not for TERM=dumb.
use_color=0
if [[ -t 1 && -z ${NO_COLOR:-} && ${TERM:-dumb} != dumb ]]; then use_color=1; fi

# ── summary ──────────────────────────────────────────────────────────────────────────────────────
print_summary() {
  local i n width=4 failed=0 result us secs
  for n in "${plan_nodes[@]}"; do ((${#n} > width)) && width=${#n}; done
  printf '\n%-*s  %-7s  %-11s  %s\n' "$width" NODE ACTION RESULT SECONDS
  for ((i = 0; i < ${#plan_nodes[@]}; i++)); do
    n=${plan_nodes[i]}
    if [[ $plan_build == 1 ]]; then
      result=${job_result[build]:-not run} us=${job_us[build]:-}
    else
      result=${job_result[$i]:-not run} us=${job_us[$i]:-}
    fi
    [[ $result == ok ]] || failed=$((failed + 1))
    if [[ -n $us ]]; then secs=$(printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10))); else secs=-; fi
    printf '%-*s  %-7s  %-11s  %7s\n' "$width" "$n" "$plan_action" "$result" "$secs"
  done
  if ((failed)); then
    printf '%d of %d node(s) did not succeed; logs: %s/<node>.log\n' "$failed" "${#plan_nodes[@]}" "$log_dir"
    return 1
  fi
  printf 'all %d node(s) succeeded; logs: %s/<node>.log\n' "${#plan_nodes[@]}" "$log_dir"
}
