# shellcheck shell=bash
# nixverse runner: the pool of workers, interruption and results.

# ── scheduling ───────────────────────────────────────────────────────────────────────────────────
# A pool of $parallel workers, each in its own process group (`set -m`), takes the nodes in order:
# a worker claims a node by creating its claim file exclusively (noclobber: O_EXCL, no fork), runs
# it, and claims the next one. The next node starts the moment a worker is free, without a round
# trip through this shell. Results are read back from the claim and status files.
on_interrupt() { interrupted=1; }

worker() {
  local i label t
  set +e -C
  for i in "$@"; do
    now_us t
    { printf '%s' "$t" >"$tmp/claim/$i"; } 2>/dev/null || continue
    job_label "$i"
    job_main "$i" "$label" "$log_dir/$label.log"
  done
}

# Fills job_result/job_us/job_rc/job_stage from the files the workers left: status → ok/failed;
# a claim without a status → interrupted (seconds since the claim); neither → not run.
collect_results() {
  local i rc us t0 now
  now_us now
  for i in "$@"; do
    if [[ -f $tmp/stage/$i ]]; then read -r "job_stage[i]" <"$tmp/stage/$i" || true; fi
    if [[ -f $tmp/status/$i ]] && read -r rc us <"$tmp/status/$i" && [[ -n $us ]]; then
      if [[ $rc == 0 ]]; then job_result[i]=ok; else job_result[i]=failed; fi
      job_us[i]=$us job_rc[i]=$rc
    elif [[ -f $tmp/claim/$i ]]; then
      read -r t0 <"$tmp/claim/$i" || t0=$now
      job_result[i]=interrupted
      job_us[i]=$((now - ${t0:-$now}))
    fi
  done
}

# Whether a process group still has a live member. A zombie still counts for `kill -0`, and
# orphans are only reaped when init gets to it, so on Linux /proc tells the living apart.
group_alive() {
  local g=$1 f st rest
  kill -0 -- "-$g" 2>/dev/null || return 1
  [[ -r /proc/self/stat ]] || return 0
  for f in /proc/[0-9]*/stat; do
    read -r st <"$f" 2>/dev/null || continue
    rest=${st##*) }              # after "pid (comm) ": state ppid pgrp …
    read -r st _ rest <<<"$rest" # st = state, rest = "pgrp …"
    [[ ${rest%% *} == "$g" && $st != Z ]] && return 0
  done
  return 1
}

# Stops every worker and what it runs: each process group (see `set -m`), TERM first, KILL after a
# grace period.
stop_all() {
  local pid t alive
  for pid in "${job_pid[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  # Reap the workers first: a zombie still counts as a member of its process group.
  for pid in "${job_pid[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ((t = 0; t < 50; t++)); do
    alive=0
    for pid in "${job_pid[@]}"; do group_alive "$pid" && alive=1 && break; done
    ((alive)) || break
    sleep 0.1
  done
  if ((alive)); then echo "nixverse: still running 5 s after SIGTERM, sending SIGKILL"; fi
  for pid in "${job_pid[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# run_jobs <ids...>: at most $parallel at a time.
run_jobs() {
  local -a ids=("$@")
  local w n
  mkdir -p "$tmp/status" "$tmp/claim" "$tmp/stage"
  trap on_interrupt INT TERM HUP
  if ((${#ids[@]} == 1)) && [[ -t 0 ]]; then
    # One node at a terminal runs in the foreground, keeping the terminal (sudo and ssh can ask
    # for a password); Ctrl-C reaches it directly.
    (worker "${ids[@]}") || true
  else
    set -m
    n=$((parallel < ${#ids[@]} ? parallel : ${#ids[@]}))
    for ((w = 0; w < n; w++)); do
      worker "${ids[@]}" </dev/null &
      job_pid+=("$!")
    done
    # `wait` returns early when a trapped signal arrives.
    until ((interrupted)); do wait 2>/dev/null && break; done
    if ((interrupted)); then
      printf '\nnixverse: interrupted, stopping every running node\n' >&2
      # bash reports each killed job ("[1]- Terminated …") on stderr: not news to the user.
      exec 3>&2 2>/dev/null
      stop_all
      exec 2>&3 3>&-
    fi
    set +m
  fi
  trap - INT TERM HUP
  collect_results "${ids[@]}"
}
# job_label <job> — sets label to the job's node name.
job_label() {
  local -n n_=J$1_node
  label=$n_
}
