// Names are identifiers, never paths. A node or group name becomes a directory, a flake attribute,
// a host name, a make target and a runner log file name; a user name becomes a home-manager
// attribute and a directory. So both are checked once, here, before anything is written.
//
// The rule (README.md#names): a node or group name is hostname-like — ASCII letters, digits
// and `-`, not starting with `-`. Nixverse itself forbids only space, `.` and `_`; everything it
// accepts beyond this rule (a `/`, a newline, `$(…)`, `"`) breaks a path, a flake or a Makefile.
// A user name also may hold `_` and start with it (`_deploy`, `build_user` are ordinary Unix
// accounts), but nothing else.

import type { Diagnostic, Location } from "../errors.js";
import { diag } from "../errors.js";

export const ENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
export const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** Shows a name as it can be printed safely: control and non-ASCII characters escaped. */
export function printable(name: string): string {
  return JSON.stringify(name).slice(1, -1);
}

/** Why `name` is not a valid node or group name, or null when it is. */
export function entityNameProblem(name: string): string | null {
  if (ENTITY_NAME.test(name)) return null;
  if (name.includes("\uFFFD")) return "it is not valid UTF-8";
  return "use only ASCII letters, digits and -, not starting with -";
}

export function checkEntityName(
  name: string,
  where: Partial<Location> & { file: string },
  hint: string,
): Diagnostic | null {
  const problem = entityNameProblem(name);
  if (!problem) return null;
  return diag(
    "node-name-invalid",
    `"${printable(name)}" is not a valid node or group name (${problem}): ${where.file}`,
    where,
    hint,
  );
}

/** Every users/<u>/ directory holding a home file, checked once per path. */
export function checkUserNames(files: Iterable<string>): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const m = /^(.*\/users\/([^/]+))\/home(?:\.nix|\/default\.nix)$/.exec(f);
    if (!m || seen.has(m[1]!) || USER_NAME.test(m[2]!)) continue;
    seen.add(m[1]!);
    errors.push(
      diag(
        "user-name-invalid",
        `"${printable(m[2]!)}" is not a valid user name (only ASCII letters, digits, _ and -, not starting with -): ${m[1]}`,
        { file: m[1]! },
        "rename the directory; user names become home-manager attributes",
      ),
    );
  }
  return errors;
}
