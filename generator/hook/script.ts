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

export interface HookOptions {
  /** The flake directory relative to the work tree's top ("" for the top itself). */
  flakeDir: string;
  /** argv that runs nixverse-gen from here, e.g. [node, /…/bin/nixverse-gen.js]. */
  command: string[];
}

export function hookScript(o: HookOptions): string {
  const cmd = o.command.map(shQuote).join(" ");
  const dir = o.flakeDir === "" ? "" : `/${o.flakeDir}`;
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
cd "$top${dir}" || exit 1

# The nixverse-gen that installed this hook; $NIXVERSE_GEN or the project's own copy otherwise.
run_gen() {
  if [ -n "$NIXVERSE_GEN" ]; then
    $NIXVERSE_GEN "$@"
  elif [ -f ${shQuote(o.command[o.command.length - 1] ?? "")} ]; then
    ${cmd} "$@"
  else
    npx --no-install nixverse-gen "$@"
  fi
}

if ! run_gen gen --quiet --flake .; then
  echo "nixverse-gen: commit blocked: fix the error above and commit again (or skip with --no-verify)" >&2
  exit 1
fi
git add -A -- flake.nix nixverse || exit 1
`;
}
