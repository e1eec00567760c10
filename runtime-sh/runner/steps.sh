# shellcheck shell=bash
# nixverse runner: the steps of one node, in order.

# reboot_and_wait <step prefix>: reboot over SSH, then wait until the host answers with a new
# boot id (so an SSH session that sneaks in before the reboot does not count).
reboot_and_wait() {
  local p=$1 before now deadline
  local -n argv_=${p}_argv sudo_=${p}_sudo timeout_=${p}_timeout
  local -a probe=("${argv_[0]}" -o ConnectTimeout=10 "${argv_[@]:1}")
  before=$("${probe[@]}" cat /proc/sys/kernel/random/boot_id) || {
    echo "cannot reach ${argv_[-1]} to reboot it"
    return 1
  }
  echo "rebooting ${argv_[-1]}"
  "${argv_[@]}" "$([[ $sudo_ == 1 ]] && printf 'sudo ')reboot" || true # the connection drops
  deadline=$((SECONDS + timeout_))
  while ((SECONDS < deadline)); do
    sleep "${NIXVERSE_REBOOT_POLL:-5}"
    if now=$("${probe[@]}" cat /proc/sys/kernel/random/boot_id 2>/dev/null) && [[ -n $now && $now != "$before" ]]; then
      echo "${argv_[-1]} is back"
      return 0
    fi
  done
  echo "${argv_[-1]} did not answer over SSH within ${timeout_} s after the reboot"
  return 1
}

# Regenerates flake.nix and nixverse/ after a new hardware-configuration.nix, one node at a time
# (a mkdir lock: several installs may finish their first phase together).
regenerate_flake() {
  [[ $decryptor == gen ]] || detect_decryptor
  if [[ $decryptor != gen ]]; then
    echo "the flake must be regenerated to import the new hardware-configuration.nix, but nixverse-gen is not installed ($get_nixverse_gen):"
    echo "run \`nixverse-gen\` in $flake_dir, then \`nix run . -- node install $node_name\` again (the machine stays in the installer)"
    return 1
  fi
  until mkdir "$tmp/regenerate.lock" 2>/dev/null; do sleep 0.2; done
  step "nixverse-gen gen --flake $flake_dir"
  "${decrypt_cmd[@]}" gen --flake "$flake_dir"
  local rc=$?
  rmdir "$tmp/regenerate.lock"
  return "$rc"
}

install_hint_for() {
  case $1 in
  nixos-rebuild) printf 'run with it on PATH, e.g. nix shell nixpkgs#nixos-rebuild -c nix run . -- node …' ;;
  nixos-anywhere) printf 'run with it on PATH, e.g. nix shell nixpkgs#nixos-anywhere -c nix run . -- node …' ;;
  darwin-rebuild) printf 'it comes with nix-darwin; the first time, run nix run nix-darwin -- switch --flake .#<node>' ;;
  *) printf 'install it and run again' ;;
  esac
}

# activate <job> <argv...> — the node's switch-to-configuration (darwin: activate), on the
# target over ssh or here. The one place a new configuration goes live: health checks and
# rollback (issue 14) wrap this.
activate() {
  shift
  "$@"
}

# flake_archive_path <output> — the flake's own store path from `nix flake archive --json`
# (its last line; a wrapper may print before it): the "path" of the outermost object. Every
# input nests its own {"path": …, "inputs": …}, and current Nix (2.26, 2.34) sorts keys, so
# "inputs" with their paths come first: nested objects are dropped before looking. Nothing in
# that JSON (store paths, input names) contains a brace or a quote.
flake_archive_path() {
  local json=$1
  while [[ $json == *$'\n' ]]; do json=${json%$'\n'}; done
  json=${json##*$'\n'}
  while [[ $json =~ ^(\{.*)\{[^{}]*\}(.*\})$ ]]; do
    json=${BASH_REMATCH[1]}null${BASH_REMATCH[2]}
  done
  [[ $json =~ \"path\":[[:space:]]*\"(/[^\"]*)\" ]] && printf '%s' "${BASH_REMATCH[1]}"
}

# run_step <job> <step prefix> <tree> — one step of a node; returns its status.
run_step() {
  local i=$1 p=$2 tree=$3 a
  local -n kind_=${p}_kind argv_=${p}_argv env_=${p}_env root_=${p}_root stage_=${p}_stage
  local -a cmd=()
  # the stage this node has reached, for the summary (also when it is interrupted here)
  printf '%s\n' "$stage_" >|"$tmp/stage/$i"
  # The step's environment, exported for this step only.
  ((${#env_[@]} == 0)) || local -x "${env_[@]}"
  case $kind_ in
  hostFiles) copy_host_files "$tree" "$p" ;;
  reboot) reboot_and_wait "$p" ;;
  gitAdd)
    if in_git_tree "$flake_dir" && [[ -e ${argv_[0]} ]]; then
      git -C "$flake_dir" add --intent-to-add -- "${argv_[@]}"
    fi
    ;;
  regenerate) regenerate_flake ;;
  run | archive | activate)
    for a in "${argv_[@]}"; do
      case $a in
      @extraFiles@)
        if tree_has_files "$tree"; then cmd+=(--extra-files "$tree"); fi
        ;;
      *@source@*) cmd+=("${a//@source@/$remote_source}") ;;
      *@out@*) cmd+=("${a//@out@/${job_out[i]}}") ;;
      *@drv@*) cmd+=("${a//@drv@/${job_drv[i]}}") ;;
      *) cmd+=("$a") ;;
      esac
    done
    if ! command -v "${cmd[0]}" >/dev/null; then
      echo "${cmd[0]} is not installed (not on PATH); $(install_hint_for "${cmd[0]}")"
      return 127
    fi
    [[ $root_ == 1 && $EUID != 0 ]] && cmd=(sudo "${cmd[@]}")
    quote_words "${env_[@]}" "${cmd[@]}"
    step "$qw"
    if [[ $kind_ == activate ]]; then
      activate "$i" "${cmd[@]}"
    elif [[ $kind_ == archive ]]; then
      local json
      json=$("${cmd[@]}") || return $?
      printf '%s\n' "$json"
      remote_source=$(flake_archive_path "$json")
      [[ $remote_source == /* ]] || {
        echo "could not read the store path from nix flake archive"
        return 1
      }
    else
      "${cmd[@]}"
    fi
    ;;
  *)
    echo "unknown step kind $kind_ (nixverse/run.sh and nixverse/lib/plan.nix disagree; re-run nixverse-gen)"
    return 1
    ;;
  esac
}

# run_job <job> — everything for one node, in order; stops at the first failing step.
run_job() {
  local i=$1 k tree="" rc=0
  local -n err_=J${i}_error nsteps_=J${i}_nsteps hf_=J${i}_hf node_name=J${i}_node
  set +C
  remote_source=""
  if [[ -n $err_ ]]; then
    printf 'error: %s\n' "$err_"
    return 1
  fi
  if [[ $hf_ == 1 ]]; then
    tree=$tmp/hostfiles.$i/fs
    assemble_host_files "$i" "$tree" || rc=1
  fi
  for ((k = 0; rc == 0 && k < nsteps_; k++)); do
    run_step "$i" "J${i}_S${k}" "$tree" || rc=$?
  done
  # decrypted files never outlive the node's run
  if [[ -n $tree && -d ${tree%/*} ]]; then rm -rf "${tree%/*}"; fi
  return "$rc"
}

# job_main <job> <label> <log> — runs a job with its output prefixed and logged, then records
# "<status> <microseconds>" for the scheduler.
job_main() {
  local i=$1 label=$2 log=$3 start end rc
  now_us start
  : >|"$log"
  set +e
  # lastpipe: the prefixer runs in this process, one fork fewer per node
  shopt -s lastpipe
  run_job "$i" 2>&1 | prefix_lines "$label" "$log"
  rc=${PIPESTATUS[0]}
  now_us end
  printf '%s %s\n' "$rc" "$((end - start))" >|"$tmp/status/$i"
  return "$rc"
}
