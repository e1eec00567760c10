# shellcheck shell=bash
# nixverse runner: host files (the node's fs/ and decrypted secrets/fs) and copying them.

# ── host files (README.md#install) ─────────────────────────────────────────────────────────────
# Files of one source directory, NUL-separated and relative to it: git-tracked ones only when the
# directory is in a git work tree (untracked secrets never leave the machine), else all of them.
source_files() {
  local dir=$1
  if in_git_tree "$dir"; then
    git -C "$dir" ls-files -z
  else
    (
      cd "$dir"
      shopt -s globstar dotglob nullglob
      local f
      for f in **; do [[ -f $f || -L $f ]] && printf '%s\0' "$f"; done
    )
  fi
}

# How encrypted files are decrypted, decided once per run: nixverse-gen (native sops), else the
# sops binary (plus ssh-to-age for files encrypted to the node key).
decryptor=""
decrypt_cmd=()
detect_decryptor() {
  if [[ -n ${NIXVERSE_GEN_JS:-} ]]; then
    decryptor=gen decrypt_cmd=("${NIXVERSE_NODE:-node}" "$NIXVERSE_GEN_JS")
  elif command -v nixverse-gen >/dev/null; then
    decryptor=gen decrypt_cmd=(nixverse-gen)
  elif command -v npx >/dev/null && npx --no-install nixverse-gen --version >/dev/null 2>&1; then
    decryptor=gen decrypt_cmd=(npx --no-install nixverse-gen)
  elif command -v sops >/dev/null; then
    decryptor=sops
  else
    decryptor=none
  fi
}
# nixverse-gen is not in the npm registry yet: npx would only print npm's 404.
readonly get_nixverse_gen="install it from a clone of its repository with \`npm ci && npm link\` (it is not in the npm registry yet)"
readonly install_hint="install nixverse-gen (from a clone of its repository: npm ci && npm link), or install sops and ssh-to-age"

# decrypt <node> <file> <out> <master:0|1> — <out> is created 0600.
decrypt() {
  local node=$1 file=$2 out=$3 master=$4 key
  (
    umask 077
    case $decryptor in
    gen)
      if [[ $master == 1 ]]; then
        "${decrypt_cmd[@]}" secrets decrypt "$file" >"$out"
      else
        "${decrypt_cmd[@]}" secrets decrypt --node "$node" "$file" >"$out"
      fi
      ;;
    sops)
      if [[ $master == 1 ]]; then
        sops --decrypt "$file" >"$out"
      else
        command -v ssh-to-age >/dev/null ||
          {
            echo "cannot decrypt $file with the node key: ssh-to-age is not installed ($install_hint)"
            exit 1
          }
        [[ -n ${node_key_file:-} ]] ||
          {
            echo "cannot decrypt $file: node $node has no SSH host key in secrets/fs/$plan_host_key_rel"
            exit 1
          }
        key=$(ssh-to-age -private-key -i "$node_key_file")
        SOPS_AGE_KEY=$key sops --decrypt "$file" >"$out"
      fi
      ;;
    *)
      echo "cannot decrypt $file: no decrypter found; $install_hint"
      exit 1
      ;;
    esac
  ) || {
    rm -f "$out"
    return 1
  }
  chmod 0600 "$out"
}

# assemble_host_files <job> <tree>: builds the tree that lands on the host's /. The first source
# (plan order: node dir before group commons; private secret > secret > private plain > plain)
# that has a path wins.
assemble_host_files() {
  local i=$1 tree=$2 node s rel src out master hk
  local -n node_=J${i}_node dirs_=J${i}_hf_dirs secret_=J${i}_hf_secret hostkey_=J${i}_hf_hostkey
  node=$node_
  node_key_file=""
  # Most nodes have no host files: touch nothing unless some source exists.
  local any=0
  for s in "${!dirs_[@]}"; do [[ -d $flake_dir/${dirs_[s]} ]] && any=1; done
  ((any)) || return 0
  mkdir -m 0700 "${tree%/*}"
  mkdir -m 0755 "$tree"
  # The decrypted host key is also the node key for the sops fallback, so it goes first.
  for hk in "${hostkey_[@]}"; do
    [[ -f $flake_dir/$hk ]] || continue
    in_git_tree "$(dirname "$flake_dir/$hk")" &&
      ! git -C "$(dirname "$flake_dir/$hk")" ls-files --error-unmatch -- "$(basename "$hk")" >/dev/null 2>&1 && continue
    out=$tree/$plan_host_key_rel
    (umask 022 && mkdir -p "$(dirname "$out")")
    echo "decrypting the host key $hk"
    decrypt "$node" "$flake_dir/$hk" "$out" 1 || {
      echo "failed to decrypt $hk"
      return 1
    }
    node_key_file=$out
    break
  done
  for s in "${!dirs_[@]}"; do
    src=$flake_dir/${dirs_[s]}
    [[ -d $src ]] || continue
    while IFS= read -r -d '' rel; do
      out=$tree/$rel
      [[ -e $out || -L $out ]] && continue
      (umask 022 && mkdir -p "$(dirname "$out")")
      if [[ ${secret_[s]} == 1 ]]; then
        master=0
        for hk in "${hostkey_[@]}"; do [[ ${dirs_[s]}/$rel == "$hk" ]] && master=1; done
        echo "decrypting ${dirs_[s]}/$rel"
        decrypt "$node" "$src/$rel" "$out" "$master" || {
          echo "failed to decrypt ${dirs_[s]}/$rel"
          return 1
        }
      else
        cp -P -p "$src/$rel" "$out"
      fi
    done < <(source_files "$src")
  done
}

tree_has_files() {
  [[ -n $1 && -d $1 ]] || return 1
  local -a e
  shopt -s nullglob dotglob
  e=("$1"/*)
  shopt -u nullglob dotglob
  ((${#e[@]}))
}

# copy_host_files <tree> <step prefix>: tar over ssh (deploy.sshOpts) into the host's /, or locally.
# Existing directories keep their owner and mode; files arrive owned by the receiving user.
copy_host_files() {
  local tree=$1 p=$2 dest=${NIXVERSE_HOST_ROOT:-/} extract
  local -n argv_=${p}_argv sudo_=${p}_sudo root_=${p}_root
  local -a top=()
  local e
  shopt -s nullglob dotglob
  for e in "$tree"/*; do top+=("${e##*/}"); done
  shopt -u nullglob dotglob
  if ((${#top[@]} == 0)); then
    echo "no host files to copy"
    return 0
  fi
  extract="umask 022; case \$(tar --version 2>&1) in *GNU*) exec tar -x -p --no-same-owner --no-overwrite-dir -f - -C $(sh_quote "$dest") ;; *) exec tar -x -p -o -f - -C $(sh_quote "$dest") ;; esac"
  if ((${#argv_[@]})); then
    echo "copying host files to ${argv_[-1]}:$dest"
    local remote
    remote="sh -c $(sh_quote "$extract")"
    [[ $sudo_ == 1 ]] && remote="sudo $remote"
    tar -C "$tree" -cf - -- "${top[@]}" | "${argv_[@]}" "$remote"
  else
    echo "copying host files to $dest"
    if [[ $root_ == 1 && $EUID != 0 ]]; then
      tar -C "$tree" -cf - -- "${top[@]}" | sudo sh -c "$extract"
    else
      tar -C "$tree" -cf - -- "${top[@]}" | sh -c "$extract"
    fi
  fi
}
