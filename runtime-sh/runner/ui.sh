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
  node deploy    build nodes once, then copy and activate them (or nixos-rebuild per node)
  node build     evaluate and build the system closures of nodes, in one nix build
  node install   install NixOS on a machine over SSH (nixos-anywhere + disko)
  secrets ...    forwarded to `nixverse-gen secrets ...` (needs Node.js)
  help [<command> [<subcommand>]]

Run "nix run . -- node <subcommand> --help" for the options of each subcommand.
EOF
}
help_node() {
  cat <<'EOF'
Usage: nix run . -- node <deploy|build|install> [options] <node-or-group>...

  deploy    build nodes once, then copy and activate them in parallel
  build     build the selected nodes' system closures in one `nix build`
  install   install NixOS with nixos-anywhere (disko partitions the disks)

Names are nodes or groups (a group means all the nodes under it), @all, @<tag> (the nodes
whose meta has it in `tags`), globs over node and group names (web*, quote them), and !name
to leave nodes out (quote it: '!web3'; only exclusions start from all nodes). Nothing is
evaluated to select. Run
"nix run . -- node <subcommand> --help" for details.
EOF
}
help_common_options() {
  printf '  -p, --parallel N   run at most N nodes at a time (1 to %s, default %s, from deploy.parallel in nixverse.yaml)\n' "$max_parallel" "$fleet_parallel"
  cat <<'EOF'
      --failed       also select the nodes that did not succeed in the last run
      --eval-jobs N  evaluators at once: nix-eval-jobs --workers N when it is on PATH,
                     else N nix evals of a share of the nodes each (default 1)
      --json         print the summary as JSON on stdout (everything else goes to stderr):
                     per node its stage reached, result, exit status, seconds, store path
      --show-plan    print the plan (every command, per node) and stop
  -h, --help         show this help

Each output line is prefixed with its node; each run keeps its logs in
build/runs/<time>/<node>.log (the last 10 runs; build/logs is the newest), with
summary.json. A summary table (node, action, result, stage, status, seconds) ends the run;
the exit status is 1 if any node failed. A failing node never stops the others. Ctrl-C
stops every running node and prints the summary so far. When a Makefile (or
private/Makefile) exists, `make nodes/<node>...` runs first, with nixverse's user.mk
variables.
EOF
}
help_deploy() {
  cat <<'EOF'
Usage: nix run . -- node deploy [options] [--goal G | --dry-run | ...] <node-or-group>...

With deploy.method = "copy" (the default), in stages: every target is probed over SSH at
once (ConnectTimeout, NIXVERSE_PROBE_TIMEOUT, default 10 s); all nodes are evaluated in ONE
evaluator (nix-eval-jobs when it is on PATH, else nix eval; --eval-jobs) and built in ONE
`nix build --keep-going`; then per node, -p at a time: the host files are copied, the
closure goes over with `nix copy --to ssh://<deploy.targetHost>` (--substitute-on-destination
with deploy.useSubstitutes), the system profile is set and switch-to-configuration runs
(through systemd-run when the target runs systemd, so it finishes if SSH drops; sudo with
deploy.useRemoteSudo). nix-darwin nodes: the profile, then the system's activate. With
deploy.method = "nixos-rebuild": one nixos-rebuild --flake <flake>#<node> (darwin-rebuild,
with sudo unless run as root: nix-darwin's switch needs root, so a remote user other than root
needs sudo without a password) per node, as before. Nodes without deploy.targetHost are
deployed locally (only one at a time). The node's host key and fs/ files (secrets/fs decrypted
with the node key) are copied to the host before activation. Every ssh has keepalives (ServerAliveInterval=15).

Options:
      --goal G       switch (default), boot, test, dry-activate or build
  -n, --dry-run      --goal build: only build; copies nothing
      --ephemeral    --goal test: activate without adding a boot entry (NixOS only)
      --boot, --dry-activate   the same as --goal boot / dry-activate (NixOS only)
      --reboot       make it the boot default, reboot, and wait until SSH answers again
                     (NixOS only; NIXVERSE_REBOOT_TIMEOUT, default 600 s)
      --skip-unreachable  a node whose target does not answer the probe is skipped (it
                     does not fail the run) instead of failing
EOF
  help_common_options
}
help_build() {
  cat <<'EOF'
Usage: nix run . -- node build [options] <node-or-group>...

Evaluate the system closures of the selected nodes in one evaluator (nixosConfigurations.<n>
.config.system.build.toplevel, darwinConfigurations.<n>.system), then build them all with one
`nix build --no-link --keep-going`; each node is ok when its closure was built. Nothing is
copied or activated.

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
  run | archive | activate)
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
  local what=$plan_action i k width=0 n desc staged=()
  case $plan_mode in
  build) what+=" --dry-run (build only)" ;;
  test) what+=" --ephemeral" ;;
  reboot) what+=" --reboot" ;;
  boot | dry-activate) what+=" --$plan_mode" ;;
  esac
  printf 'nixverse: %s %d node(s): %s (at most %d at a time)\n' "$what" "${#plan_nodes[@]}" "${plan_nodes[*]}" "$parallel"
  printf 'flake: %s\n' "$plan_flake_ref"
  for n in "${plan_nodes[@]}"; do ((${#n} > width)) && width=${#n}; done
  for ((i = 0; i < plan_njobs; i++)); do
    local -n node_=J${i}_node stages_=J${i}_stages
    [[ $stages_ == 1 ]] && staged+=("$node_")
  done
  if ((${#staged[@]})); then
    printf '  %-*s  %s\n' "$width" "(all)" "evaluate ${staged[*]} in one evaluator, then build them in one nix build --keep-going (@out@: a node's result)"
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
# Seconds with one decimal from microseconds, or "-".
seconds_of() {
  local us=$1
  if [[ -n $us ]]; then printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10)); else printf -- -; fi
}

# print_summary — one row per node: what it reached and how it ended; fails when any node did
# not succeed (a node skipped by --skip-unreachable does not count).
print_summary() {
  local i n width=4 failed=0 skipped=0 result
  for n in "${plan_nodes[@]}"; do ((${#n} > width)) && width=${#n}; done
  printf '\n%-*s  %-7s  %-11s  %-9s  %6s  %s\n' "$width" NODE ACTION RESULT STAGE STATUS SECONDS
  for ((i = 0; i < ${#plan_nodes[@]}; i++)); do
    n=${plan_nodes[i]}
    result=${job_result[i]:-not run}
    case $result in
    ok) ;;
    skipped) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
    esac
    printf '%-*s  %-7s  %-11s  %-9s  %6s  %7s\n' "$width" "$n" "$plan_action" "$result" \
      "${job_stage[i]:--}" "${job_rc[i]:--}" "$(seconds_of "${job_us[i]:-}")"
  done
  if ((failed)); then
    printf '%d of %d node(s) did not succeed; logs: %s/<node>.log\n' "$failed" "${#plan_nodes[@]}" "$log_dir"
    return 1
  fi
  if ((skipped)); then
    printf '%d node(s) skipped as unreachable, the other %d succeeded; logs: %s/<node>.log\n' \
      "$skipped" "$((${#plan_nodes[@]} - skipped))" "$log_dir"
    return 0
  fi
  printf 'all %d node(s) succeeded; logs: %s/<node>.log\n' "${#plan_nodes[@]}" "$log_dir"
}

# json_string <s> — a JSON string literal (names, stages and store paths; control characters
# cannot occur in them).
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# write_json <file> — the summary for scripts: one object per node.
write_json() {
  local file=$1 i sep="" secs
  {
    printf '{"action":%s,"goal":%s,"nodes":[' "$(json_string "$plan_action")" "$(json_string "${plan_mode:-}")"
    for ((i = 0; i < ${#plan_nodes[@]}; i++)); do
      secs=$(seconds_of "${job_us[i]:-}")
      [[ $secs == - ]] && secs=null
      printf '%s\n{"node":%s,"stage":%s,"result":%s,"status":%s,"seconds":%s,"storePath":%s}' "$sep" \
        "$(json_string "${plan_nodes[i]}")" \
        "$(if [[ -n ${job_stage[i]:-} ]]; then json_string "${job_stage[i]}"; else printf null; fi)" \
        "$(json_string "${job_result[i]:-not run}")" \
        "${job_rc[i]:-null}" "$secs" \
        "$(if [[ -n ${job_out[i]:-} ]]; then json_string "${job_out[i]}"; else printf null; fi)"
      sep=,
    done
    printf '\n]}\n'
  } >"$file"
}
