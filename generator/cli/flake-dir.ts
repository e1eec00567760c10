import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Recovery } from "../write/atomic.js";
import { recoverInterrupted } from "../write/atomic.js";
import type { Output } from "./command.js";
import type { Diagnostic, Result } from "../errors.js";
import { DiagnosticError, diag, fail, ok } from "../errors.js";

/** The one wording of where the fleet is found, for every command's `--flake` help line. */
export const FLAKE_OPTION_HELP =
  "the fleet's directory (default: $FLAKE, else the nearest parent with nodes/)";

const START_HINT =
  "run the command inside a fleet (a directory with nodes/<name>/node.nix), pass --flake DIR, or start one with `nixverse-gen init`";

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Whether `dir` is a fleet: a nodes/ directory holding at least one node or group directory. */
export function checkFleet(dir: string, shown: string): Diagnostic | null {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return diag("fleet-missing", `${shown}: no such directory`, undefined, START_HINT);
  }
  if (!st.isDirectory())
    return diag("fleet-missing", `${shown} is not a directory`, undefined, START_HINT);
  const nodes = path.join(dir, "nodes");
  if (!isDirectory(nodes))
    return diag(
      "not-a-fleet",
      `${shown} is not a fleet: it has no nodes/ directory`,
      undefined,
      START_HINT,
    );
  const entries = readdirSync(nodes, { withFileTypes: true });
  if (!entries.some((e) => e.isDirectory() && e.name !== "common"))
    return diag(
      "not-a-fleet",
      `${shown} is not a fleet yet: nodes/ has no node or group`,
      { file: path.join(shown, "nodes") },
      'add nodes/<name>/node.nix, e.g. { os = "nixos"; channel = "unstable"; }',
    );
  return null;
}

/**
 * The fleet directory: --flake, else $FLAKE, else the nearest directory upwards from cwd that has
 * nodes/ (so the tool works from any subdirectory). Refused unless it is a fleet, so that nothing
 * is ever generated into (or a hook pointed at) a directory that merely happens to be the cwd.
 */
export function findFlakeDir(
  cwd: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): Result<string> {
  const given = explicit ?? env.FLAKE;
  if (given) {
    const dir = path.resolve(cwd, given);
    const problem = checkFleet(dir, given);
    return problem ? fail(problem) : ok(dir);
  }
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    if (isDirectory(path.join(d, "nodes"))) {
      const problem = checkFleet(d, path.relative(cwd, d) || ".");
      return problem ? fail(problem) : ok(d);
    }
    if (path.dirname(d) === d) break;
  }
  return fail(
    diag(
      "not-a-fleet",
      `no fleet here: neither ${path.resolve(cwd)} nor a parent directory has nodes/`,
      undefined,
      START_HINT,
    ),
  );
}

/** findFlakeDir for a command: a refusal goes up to main as diagnostics (exit 1). */
export function requireFleet(
  cwd: string,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const found = findFlakeDir(cwd, explicit, env);
  if (!found.ok) throw new DiagnosticError(found.errors);
  return found.value;
}

/**
 * The fleet directory (requireFleet), after finishing or undoing a write that a crash interrupted
 * there: every command starts from a consistent tree. Says on stderr what it did.
 */
export async function openFlakeDir(
  ctx: { cwd: string; env: NodeJS.ProcessEnv; stderr: Output },
  explicit: string | undefined,
): Promise<string> {
  const root = requireFleet(ctx.cwd, explicit, ctx.env);
  for (const r of await recoverInterrupted(root)) ctx.stderr.write(`${recoveryLine(r)}\n`);
  return root;
}

function recoveryLine(r: Recovery): string {
  const files = r.files.join(", ");
  switch (r.action) {
    case "rolled-forward":
      return `nixverse-gen: finished a write that was interrupted (${files})`;
    case "rolled-back":
      return `nixverse-gen: undid a write that was interrupted (${files})`;
    case "discarded":
      return `nixverse-gen: removed ${r.dir} left by an interrupted run (no file had been changed)`;
    case "left-alone":
      return `nixverse-gen: warning: ${r.dir} was left by an older nixverse-gen that crashed; it may hold your previous files (${files || "empty"}): restore what you need, then delete it`;
  }
}
