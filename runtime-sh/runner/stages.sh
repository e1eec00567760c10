# shellcheck shell=bash
# nixverse runner: the stages that run once for all nodes, before the per-node pool — the
# reachability probe, ONE evaluation of every selected node's system closure and ONE
# `nix build --keep-going` of them all. Each stage marks the nodes it fails (mark_failed), so the
# pool only gets the nodes that are still good.

# mark_failed <job> <stage> <status> <message> — the node is done: its log and the terminal say
# why, in one line.
mark_failed() {
  local i=$1 stage=$2 rc=$3 msg=$4 result=${5:-failed} label
  job_label "$i"
  job_result[i]=$result job_stage[i]=$stage job_rc[i]=$rc
  job_us[i]=$((${stage_end_us:-0} - run_start_us))
  printf '%s\n' "$msg" | prefix_lines "$label" "$log_dir/$label.log"
}

# probe_stage <ids...> — `ssh … true` to every node with a target, all at once, each bounded by
# ConnectTimeout (NIXVERSE_PROBE_TIMEOUT, default 10 s) and BatchMode (a probe never waits for a
# password). Unreachable nodes fail here, or are skipped with --skip-unreachable.
probe_stage() {
  local i t=${NIXVERSE_PROBE_TIMEOUT:-10} err rc
  local -A pid=()
  [[ $t =~ ^[0-9]+$ ]] || abort "NIXVERSE_PROBE_TIMEOUT must be a number of seconds"
  for i in "$@"; do
    local -n probe_=J${i}_probe
    ((${#probe_[@]})) || continue
    (
      rc=0
      "${probe_[0]}" -o ConnectTimeout="$t" -o BatchMode=yes "${probe_[@]:1}" true \
        </dev/null >/dev/null 2>"$tmp/probe.$i" || rc=$?
      now_us end
      printf '%s %s\n' "$rc" "$end" >"$tmp/probe.$i.status"
    ) &
    pid[$i]=$!
  done
  ((${#pid[@]})) || return 0
  step "${#pid[@]} node(s) over ssh (ConnectTimeout=$t)" | prefix_lines probe "$log_dir/probe.log"
  for i in "${!pid[@]}"; do
    wait "${pid[$i]}" || true
    read -r rc stage_end_us <"$tmp/probe.$i.status" || rc=255
    ((rc == 0)) && continue
    err=$(tail -n 1 "$tmp/probe.$i")
    local -n probe_=J${i}_probe
    if ((skip_unreachable)); then
      mark_failed "$i" probe "$rc" "unreachable, skipped: ${probe_[-1]}: ${err:-ssh failed}" skipped
    else
      mark_failed "$i" probe "$rc" "unreachable: ${probe_[-1]}: ${err:-ssh failed} (--skip-unreachable skips such nodes)"
    fi
  done
  now_us stage_end_us
}

# Attribute path of a node's system closure (darwin: darwinConfigurations.<n>.system).
toplevel_attr() {
  local -n os_=J$1_os node_=J$1_node
  if [[ $os_ == darwin ]]; then
    printf 'darwinConfigurations.%s.system' "$node_"
  else
    printf 'nixosConfigurations.%s.config.system.build.toplevel' "$node_"
  fi
}

# eval_stage <ids...> — one evaluator for all of them: nix-eval-jobs when it is on PATH
# (--workers, --max-memory-size), else `nix eval` of nixverse.targets (nixverse/lib/targets.nix),
# one per --eval-jobs chunk (eval_chunks).
# Sets job_drv/job_out; a node whose evaluation fails is evaluated alone to show its error.
eval_stage() {
  local -a ids=("$@")
  local i k names="" line attr
  local -a eval_drv=() eval_out=()
  ((${#ids[@]})) || return 0
  # fd 4: this run's stdout, for evaluator messages while stdout is captured
  exec 4>&1
  for i in "${ids[@]}"; do
    local -n node_=J${i}_node
    names+=" $(nix_string "$node_")"
  done
  if command -v nix-eval-jobs >/dev/null && [[ ${NIXVERSE_EVAL:-} != nix ]]; then
    step "nix-eval-jobs: ${#ids[@]} node(s), $eval_jobs worker(s)" | prefix_lines eval "$log_dir/eval.log"
    local expr
    expr="(builtins.getFlake $(nix_string "$flake_ref")).nixverse.targets.attrs [$names ]"
    while IFS= read -r line; do
      # one JSON object per attribute; names and store paths never hold a quote
      [[ $line =~ \"attr\":\"([^\"]*)\" ]] || continue
      attr=${BASH_REMATCH[1]}
      for k in "${!ids[@]}"; do
        local -n node_=J${ids[k]}_node
        [[ $node_ == "$attr" ]] || continue
        if [[ $line =~ \"drvPath\":\"([^\"]*)\" ]]; then eval_drv[k]=${BASH_REMATCH[1]}; fi
        if [[ $line =~ \"out\":\"([^\"]*)\" ]]; then eval_out[k]=${BASH_REMATCH[1]}; fi
      done
    done < <(nix-eval-jobs --impure --expr "$expr" --workers "$eval_jobs" \
      --max-memory-size "${NIXVERSE_EVAL_MAX_MEMORY:-4096}" 2> >(prefix_lines eval "$log_dir/eval.log" >&4))
  else
    eval_chunks "${ids[@]}"
  fi
  exec 4>&-
  now_us stage_end_us
  for k in "${!ids[@]}"; do
    i=${ids[k]}
    if [[ -n ${eval_drv[k]:-} && -n ${eval_out[k]:-} ]]; then
      job_drv[i]=${eval_drv[k]} job_out[i]=${eval_out[k]}
      continue
    fi
    attr=$(toplevel_attr "$i")
    job_label "$i"
    {
      printf 'evaluation failed; evaluating %s alone for its error:\n' "$attr"
      nix_cmd eval --no-warn-dirty --raw "$flake_ref#$attr.drvPath" 2>&1 >/dev/null
    } | prefix_lines "$label" "$log_dir/$label.log"
    mark_failed "$i" eval 1 "evaluation failed (the error is above)"
  done
}

# eval_chunks <ids...> — without nix-eval-jobs: the nodes in $eval_jobs chunks (--eval-jobs,
# default 1: one `nix eval` of them all), one `nix eval` of nixverse.targets per chunk, the
# chunks at once. Each process's memory is gone when its chunk is done. Sets eval_drv/eval_out
# (the caller's), indexed like the ids.
eval_chunks() {
  local -a ids=("$@") pids=()
  local n=$# size c k names
  size=$(((n + eval_jobs - 1) / eval_jobs))
  step "nix eval: $n node(s) in $(((n + size - 1) / size)) evaluation(s) at once" | prefix_lines eval "$log_dir/eval.log"
  for ((c = 0; c * size < n; c++)); do
    names=""
    for ((k = c * size; k < n && k < (c + 1) * size; k++)); do
      local -n node_=J${ids[k]}_node
      names+=" $(nix_string "$node_")"
    done
    nix_cmd eval --no-warn-dirty --raw "$flake_ref#nixverse" --apply "nv: nv.targets.shell [$names ]" \
      >"$tmp/eval.$c" 2> >(prefix_lines eval "$log_dir/eval.log" >&4) &
    pids+=("$!")
  done
  for ((c = 0; c < ${#pids[@]}; c++)); do
    wait "${pids[c]}" || continue
    # the chunk's own indices (0…) shifted to the whole list's
    local -a chunk_drv=() chunk_out=()
    eval "$(sed -e 's/^eval_drv\[/chunk_drv[/' -e 's/^eval_out\[/chunk_out[/' "$tmp/eval.$c")"
    for k in "${!chunk_drv[@]}"; do
      eval_drv[c * size + k]=${chunk_drv[k]} eval_out[c * size + k]=${chunk_out[k]:-}
    done
  done
}

# build_stage <ids...> — one `nix build --keep-going` per place closures are built: this machine,
# or each deploy.buildHost (build_on). deploy.buildOnTarget nodes are built by a step of their own
# instead. Then every deploy.cache gets its closures (cache_stage).
build_stage() {
  local i key
  local -A group=()
  local -a keys=()
  for i in "$@"; do
    [[ -n ${job_out[i]:-} ]] || continue
    local -n at_=J${i}_build_at store_=J${i}_build_store opts_=J${i}_build_sshopts
    [[ $at_ == target ]] && continue
    key=$store_$'\t'$opts_
    [[ -v group[$key] ]] || keys+=("$key")
    group[$key]+=" $i"
  done
  for key in "${keys[@]}"; do
    # shellcheck disable=SC2086 # a list of job numbers
    build_on "${key%%$'\t'*}" "${key#*$'\t'}" ${group[$key]}
  done
  cache_stage "$@"
}

# build_on <store URL or ""> <NIX_SSHOPTS> <ids...> — one `nix build --keep-going` of their
# closures; on a builder `--store ssh-ng://… --eval-store auto` (this machine's evaluation, the
# derivations copied there, the outputs left there). A node is built when its out path is valid in
# that store afterwards (one `nix path-info` for all), whatever else failed.
build_on() {
  local store=$1 sshopts=$2 i p rc=0
  shift 2
  local -a ids=("$@") drvs=() outs=() on=() extra=()
  local -A valid=()
  if [[ -n $store ]]; then
    on=(--store "$store")
    local -x NIX_SSHOPTS=$sshopts
  elif [[ -n $fleet_builders ]]; then
    extra=(--builders "$fleet_builders")
  fi
  for i in "${ids[@]}"; do drvs+=("${job_drv[i]}^out") outs+=("${job_out[i]}"); done
  {
    step "nix build --keep-going: ${#ids[@]} system closure(s)${store:+ on $store}"
    nix_cmd build --no-link --keep-going "${on[@]}" ${store:+--eval-store auto} "${extra[@]}" "${drvs[@]}" 2>&1
  } | prefix_lines build "$log_dir/build.log" || rc=$?
  while IFS= read -r p; do valid[$p]=1; done < <(nix_cmd path-info "${on[@]}" "${outs[@]}" 2>/dev/null || true)
  now_us stage_end_us
  ((rc)) || rc=1 # a path nix build did not make is a failure whatever it said
  for i in "${ids[@]}"; do
    [[ -n ${valid[${job_out[i]}]:-} ]] && continue
    mark_failed "$i" build "$rc" "build failed${store:+ on $store} (nix build's output: $log_dir/build.log)"
  done
}

# cache_stage <ids...> — every built closure with a deploy.cache is pushed there once, one
# `nix copy` per cache (and build place), before any target fetches it: N targets cost one upload.
cache_stage() {
  local i key
  local -A group=()
  local -a keys=()
  for i in "$@"; do
    [[ -n ${job_out[i]:-} && -z ${job_result[i]:-} ]] || continue
    local -n cache_=J${i}_cache store_=J${i}_build_store opts_=J${i}_build_sshopts
    [[ -n $cache_ ]] || continue
    key=$cache_$'\t'$store_$'\t'$opts_
    [[ -v group[$key] ]] || keys+=("$key")
    group[$key]+=" $i"
  done
  for key in "${keys[@]}"; do
    local rest=${key#*$'\t'}
    # shellcheck disable=SC2086 # a list of job numbers
    push_to_cache "${key%%$'\t'*}" "${rest%%$'\t'*}" "${rest#*$'\t'}" ${group[$key]}
  done
}

# push_to_cache <cache URL> <build store or ""> <NIX_SSHOPTS> <ids...>
push_to_cache() {
  local cache=$1 store=$2 sshopts=$3 i rc=0
  shift 3
  local -a outs=() from=()
  if [[ -n $store ]]; then
    from=(--from "$store")
    local -x NIX_SSHOPTS=$sshopts
  fi
  for i in "$@"; do outs+=("${job_out[i]}"); done
  {
    step "nix copy --to $cache: ${#outs[@]} closure(s), once for all their targets"
    nix_cmd copy "${from[@]}" --to "$cache" "${outs[@]}" 2>&1
  } | prefix_lines cache "$log_dir/cache.log" || rc=$?
  now_us stage_end_us
  ((rc == 0)) && return 0
  for i in "$@"; do mark_failed "$i" cache "$rc" "pushing to $cache failed (log: $log_dir/cache.log)"; done
}
