// The git pre-commit hook `nixverse-gen hook install` writes. Pure: text in, text out.
//
// Chaining: a pre-commit hook that was there before (hand-written, or the pre-commit framework's)
// is moved aside to pre-commit.nixverse-chained and run first; ours never replaces it.

export const HOOK_MARK = "# nixverse-gen pre-commit hook";
export const CHAINED_NAME = "pre-commit.nixverse-chained";

export function isOurHook(text: string): boolean {
  return text.includes(HOOK_MARK);
}

/** POSIX sh single quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The flake directory (relative to the work tree's top) an installed hook of ours regenerates. */
export function hookFlakeDir(text: string): string | null {
  const m = /^cd "\$top"(?:\/'((?:[^']|'\\'')*)')? \|\| exit 1$/m.exec(text);
  if (!m) return null;
  return (m[1] ?? "").replace(/'\\''/g, "'");
}

export interface HookOptions {
  /** The flake directory relative to the work tree's top ("" for the top itself). */
  flakeDir: string;
  /** The node binary and the bin script of the nixverse-gen that installs the hook. */
  node: string;
  bin: string;
}

export function hookScript(o: HookOptions): string {
  const cd = o.flakeDir === "" ? '"$top"' : `"$top"/${shQuote(o.flakeDir)}`;
  const node = shQuote(o.node);
  const bin = shQuote(o.bin);
  // For a message inside double quotes: nothing the shell would expand.
  const shownBin = o.bin.replace(/["$\\\x60]/g, "");
  return `#!/bin/sh
${HOOK_MARK} (installed by \`nixverse-gen hook install\`; remove with \`nixverse-gen hook uninstall\`).
# Regenerates flake.nix and nixverse/ and stages them, so a commit never holds a stale flake; a
# generation error (e.g. a broken node.nix) blocks the commit with its file:line:col.
# Skip once with \`git commit --no-verify\`.

hooks_dir=$(dirname "$0")
if [ -x "$hooks_dir/${CHAINED_NAME}" ]; then
  "$hooks_dir/${CHAINED_NAME}" "$@" || exit $?
fi

top=$(git rev-parse --show-toplevel) || exit 1
cd ${cd} || exit 1

# $NIXVERSE_GEN if set; else the nixverse-gen that installed this hook (with the node that ran it,
# or the node on PATH once that one is gone); else one on PATH; else the project's own copy
# through npx. Never a bare npx: nixverse-gen is not in the npm registry, so that is npm's 404.
run_gen() {
  if [ -n "$NIXVERSE_GEN" ]; then
    $NIXVERSE_GEN "$@"
  elif [ -f ${bin} ]; then
    if [ -x ${node} ]; then ${node} ${bin} "$@"; else node ${bin} "$@"; fi
  elif command -v nixverse-gen >/dev/null 2>&1; then
    nixverse-gen "$@"
  elif command -v npx >/dev/null 2>&1 && npx --no-install nixverse-gen --version >/dev/null 2>&1; then
    npx --no-install nixverse-gen "$@"
  else
    echo "nixverse-gen: the nixverse-gen this hook ran (${shownBin}) is gone and none is installed: install it from a clone of its repository with \\\`npm ci && npm link\\\` (it is not in the npm registry yet), or set NIXVERSE_GEN" >&2
    return 127
  fi
}

if ! run_gen gen --quiet --flake .; then
  echo "nixverse-gen: commit blocked: fix the error above and commit again (or skip with --no-verify)" >&2
  exit 1
fi
git add -A -- flake.nix nixverse || exit 1
`;
}
